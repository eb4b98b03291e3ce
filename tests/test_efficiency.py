"""What a job used of what it asked for (issue 27, item 3), measured by its runner on the local executor:
CPU time of its process tree (a sleeper near 0%, a burner near 100% of its core), its memory peak, GPU
utilisation through nvidia-smi; `status SWEEP --efficiency` and the sweep's one line of advice. On Slurm,
against sacct's own numbers: test_slurm_efficiency.py."""
from __future__ import annotations

import os
import stat
import textwrap

from snaptui.engine.views import efficiency, efficiency_advice
from tests.conftest import run_cli, wait_sweep_done, write_sweep

WORK = textwrap.dedent('''\
    import sys, time
    kind = sys.argv[1].split("=", 1)[1]
    end = time.time() + 2.0
    if kind == "sleep":
        time.sleep(2.0)
    elif kind == "burn":   # a core's worth of work, whatever the load: one second of its own CPU time
        while time.process_time() < 1.0:
            pass
        print(f"SNAPTUI_RESULT cpu={time.process_time()}")
    elif kind == "memory":
        block = bytearray(300 * 2 ** 20)   # 300 MB, touched
        for i in range(0, len(block), 4096):
            block[i] = 1
        time.sleep(1.5)
''')


def test_a_sleeper_a_burner_and_a_memory_hog_as_their_runner_measured_them(engine, git_repo):
    (git_repo / "work.py").write_text(WORK)
    path = write_sweep(git_repo, '''
        name = "eff"
        command = ["python", "work.py"]
        [grid]
        kind = ["sleep", "burn", "memory"]
    ''')
    sweep = engine.launch(engine.plan(path, profile="local", sets=["max_parallel_jobs=1"]))   # one at a time
    wait_sweep_done(engine, sweep.id)
    used = {j.params["kind"]: efficiency(j.attempt) for j in engine.jobs_with_usage(sweep.id)}
    jobs = {j.params["kind"]: j for j in engine.jobs(sweep.id)}
    assert used["sleep"].cpu_pct < 10, used["sleep"]
    # the burner's CPU time as it counted it itself (its interpreter's start on top); its share of the core
    # is whatever this machine's load left it, so it is compared with the sleeper's, not with 100%
    own = jobs["burn"].attempt.results["cpu"]
    assert own <= jobs["burn"].attempt.usage["cpu_s"] < own + 0.5, jobs["burn"].attempt.usage
    assert used["burn"].cpu_pct > 5 * max(used["sleep"].cpu_pct, 2), (used["burn"], used["sleep"])
    assert 300 <= used["memory"].peak_mb < 450, used["memory"]
    assert used["sleep"].limit_s == 5 * 60 and used["sleep"].cpus == 1   # the profile's timeout_min, a slot
    assert 1.9 <= used["sleep"].elapsed_s

    status = run_cli(["status", str(sweep.id), "--efficiency"], cwd=git_repo)
    assert status.returncode == 0, status.stderr
    advice = efficiency_advice(engine.jobs(sweep.id))
    assert advice.startswith("longest job ") and " of 5; peak memory " in advice and "CPU " in advice
    assert "(ask for less: timeout_min=1)" in advice   # seconds of a 5-minute limit
    assert advice in " ".join(status.stdout.split())
    burn_row = next(line for line in status.stdout.splitlines() if "kind=burn" in line)
    assert f"{used['burn'].cpu_pct:.0f}%" in burn_row and "/5m" in burn_row


def test_gpu_utilisation_is_sampled_through_nvidia_smi_where_the_job_has_gpus(engine, git_repo, tmp_path):
    """No GPU here: an nvidia-smi first on PATH answers as the real one does for two busy devices."""
    fake = tmp_path / "bin" / "nvidia-smi"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\necho '0, GPU-aaa, 80, 1000'\necho '1, GPU-bbb, 40, 500'\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    path = write_sweep(git_repo, 'name = "gpu"\ncommand = ["python", "-c", "import time; time.sleep(1.5)"]\n')
    env = {**os.environ, "PATH": f"{fake.parent}:{os.environ['PATH']}", "CUDA_VISIBLE_DEVICES": "0,1"}
    sweep = engine.launch(engine.plan(path, profile="local"), environ=env)
    wait_sweep_done(engine, sweep.id)
    used = efficiency(engine.jobs(sweep.id)[0].attempt)
    assert used.gpu_pct == 60.0 and engine.jobs(sweep.id)[0].attempt.usage["gpu_mem_peak_mb"] == 1500.0
    assert "GPU 60% busy" in efficiency_advice(engine.jobs(sweep.id))
