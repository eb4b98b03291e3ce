"""Record what the Slurm commands snaptui runs print, on the real test cluster, as fixtures for the
parsing tests that need no cluster (tests/test_slurm_parsing.py).

How they were recorded: `scripts/slurm-cluster up` (MaxArraySize 11), then, as the user the tests run as,
`.venv/bin/python tests/slurm_fixtures/record.py` (about two minutes: it waits for a job to reach its
time limit). Each file is one command's stdout, named after what it shows; the argv is the one snaptui
runs (imported from its modules, so a changed query means recording again). The jobs it submits:
  - an array of 4 tasks, at most 1 at a time (%1): task 0 exits 0, task 1 exits 3, task 2 sleeps and is
    cancelled, task 3 waits its turn (recorded pending, folded as A_[3]), then completes;
  - a job with a 1-minute limit that sleeps past it (TIMEOUT);
  - a job tagged with a launch's comment, as recovery looks for;
  - an allocation (salloc --no-shell), shown by scontrol and then released;
  - for what issue 27 reads (`record.py queue` records only these, about a minute): the queue as the
    executor looks at it every second (a running job, an array task held by its %1, a job asking for more
    CPUs than a node has: PartitionConfig, one that ended), sacct's usage fields of a sleeper holding
    memory for 35 s (MaxRSS is sampled every 30 s) and of a burner, and sbatch's refusals.
"""
from __future__ import annotations

import getpass
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))

from snaptui.engine.executors.slurm import queue, sacct  # noqa: E402

TAG = "snaptui:abc123"   # what launch_tag() puts in the comment of a launch's jobs


def run(argv: list[str], check: bool = True) -> str:
    out = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    if check and out.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed: {out.stderr}")
    return out.stdout


def save(name: str, text: str) -> None:
    (HERE / name).write_text(text)
    print(f"recorded {name} ({len(text.splitlines())} lines)")


def sacct_of(ids: list[str]) -> str:
    return run(["sacct", "-X", "-n", "-P", "-o", ",".join(sacct.FIELDS), "-j", ",".join(ids)])


def wait_for(what: str, done, timeout: float = 900) -> None:   # the cluster is shared: jobs may queue
    end = time.monotonic() + timeout
    while not done():
        if time.monotonic() > end:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(1)


def main() -> None:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))   # a stopped recording cancels its jobs too
    folder = Path(tempfile.mkdtemp(prefix="snaptui-record-"))
    record_queue_usage_and_refusals(folder)
    if sys.argv[1:] == ["queue"]:
        return
    array = folder / "array.sh"
    array.write_text("#!/bin/bash\ncase $SLURM_ARRAY_TASK_ID in 1) exit 3;; 2) sleep 300;; esac\nexit 0\n")
    late = folder / "late.sh"
    late.write_text("#!/bin/bash\nsleep 200\n")
    quick = folder / "quick.sh"
    quick.write_text("#!/bin/bash\ntrue\n")
    common = ["-p", "debug", "-n", "1", "-c", "1", "--mem=100M", f"--output={folder}/%j.out"]
    submitted = run(["sbatch", *common, "--array=0-3%1", "--job-name=snaptui-rec-abc123", str(array)])
    save("sbatch.txt", submitted)
    array_id = re.search(r"Submitted batch job (\d+)", submitted).group(1)
    timeout_id = re.search(r"(\d+)", run(["sbatch", *common, "--time=1", "--job-name=snaptui-rec-timeout",
                                          str(late)])).group(1)
    tagged_id = re.search(r"(\d+)", run(["sbatch", *common, f"--comment={TAG}", "--job-name=snaptui-rec-abc123",
                                         str(quick)])).group(1)

    try:
        record_jobs(folder, array_id, timeout_id, tagged_id)
    finally:
        run(["scancel", array_id, timeout_id, tagged_id], check=False)


def record_queue_usage_and_refusals(folder: Path) -> None:
    common = ["-p", "debug", "-n", "1", "--mem=100M", f"--output={folder}/%j.out"]
    hold = folder / "hold.py"
    hold.write_text("import time\nblock = bytearray(200 * 2 ** 20)\nfor i in range(0, len(block), 4096):\n"
                    "    block[i] = 1\ntime.sleep(35)\n")
    burn = folder / "burn.py"
    burn.write_text("import time\nwhile time.process_time() < 3:\n    pass\n")
    submit = lambda *args: re.search(r"(\d+)", run(["sbatch", *common, *args])).group(1)   # noqa: E731
    sleeper = submit("-c", "1", "--job-name=snaptui-rec-hold", "--wrap", f"{sys.executable} {hold}")
    burner = submit("-c", "1", "--job-name=snaptui-rec-burn", "--wrap", f"{sys.executable} {burn}")
    array = submit("-c", "1", "--array=0-1%1", "--job-name=snaptui-rec-q", "--wrap", "sleep 20")
    never = submit("-c", "64", "--job-name=snaptui-rec-never", "--wrap", "true")
    ids = [sleeper, burner, array, never]
    try:
        def listed() -> dict:
            return queue.parse(run(["squeue", "-h", "-r", "-t", "all", "-o", queue.FORMAT, "-j", ",".join(ids)]))
        wait_for("the array's task 0 to run", lambda: listed().get(f"{array}_0", None) is not None
                 and listed()[f"{array}_0"].slurm_state == "RUNNING" and never in listed()
                 and listed()[never].reason == "PartitionConfig", timeout=300)
        save("squeue_queue.txt", run(["squeue", "-h", "-r", "-t", "all", "-o", queue.FORMAT, "-j", ",".join(ids)]))
        wait_for("the sleeper and the burner to end", lambda: all(
            (r := sacct.parse(sacct_of([j])).get(j)) is not None and r.state.is_final for j in (sleeper, burner)))
        save("sacct_usage.txt", run(["sacct", "-n", "-P", "-o", ",".join(sacct.USAGE_FIELDS), "-j",
                                     f"{sleeper},{burner}"]))
    finally:
        run(["scancel", *ids], check=False)
    refusals = []
    for args in (["-p", "nosuch"], ["-q", "nosuch"], ["-A", "nosuch"], ["--mem=4000G"], ["--constraint=nofeature"]):
        out = subprocess.run(["sbatch", "-p", "debug", *args, "--wrap", "true"], capture_output=True, text=True)
        refusals.append(f"# sbatch {' '.join(args)}\n{out.stderr.strip()}\n")
    save("sbatch_refusals.txt", "".join(refusals))


def record_jobs(folder: Path, array_id: str, timeout_id: str, tagged_id: str) -> None:
    def task_state(task: str) -> str:
        record = sacct.parse(sacct_of([array_id])).get(f"{array_id}_{task}")
        return record.slurm_state if record else ""

    wait_for("task 2 to run", lambda: task_state("2") == "RUNNING")
    save("sacct_running.txt", sacct_of([array_id, timeout_id]))
    save("squeue_ids.txt", run(["squeue", "-h", "-o", "%i"]))
    save("squeue_all.txt", run(["squeue", "--me", "-h", "-r", "-t", "all", "-o", "%i|%T|%k"]))
    save("scontrol_array_job.txt", run(["scontrol", "show", "job", "-o", array_id]))
    run(["scancel", f"{array_id}_2"])
    wait_for("task 3 to end", lambda: task_state("3") == "COMPLETED")
    wait_for("the time limit", lambda: sacct.parse(sacct_of([timeout_id]))[timeout_id].slurm_state == "TIMEOUT")
    save("sacct_final.txt", sacct_of([array_id, timeout_id, tagged_id]))
    save("squeue_all_after.txt", run(["squeue", "--me", "-h", "-r", "-t", "all", "-o", "%i|%T|%k"]))

    granted = subprocess.run(["salloc", "--no-shell", "-p", "debug", "-n", "1", "--mem=100M", "--time=2",
                              "--job-name=snaptui-rec-alloc"], capture_output=True, text=True, timeout=120)
    save("salloc.txt", granted.stdout + granted.stderr)
    allocation = re.search(r"Granted job allocation (\d+)", granted.stdout + granted.stderr).group(1)
    save("scontrol_allocation.txt", run(["scontrol", "show", "job", "-o", allocation]))
    run(["scancel", allocation])

    save("scontrol_config.txt", run(["scontrol", "show", "config"]))
    user = getpass.getuser()
    save("sacctmgr_assoc.txt", run(["sacctmgr", "-n", "-P", "show", "assoc", f"user={user}",
                                    "format=Account,MaxSubmit,DefaultQOS"]))
    save("sacctmgr_qos.txt", run(["sacctmgr", "-n", "-P", "show", "qos", "format=Name,MaxSubmitPU"]))
    (HERE / "RECORDED").write_text(f"recorded {time.strftime('%Y-%m-%d %H:%M')} on cluster "
                                   f"{run(['scontrol', 'show', 'config']).split('ClusterName')[1].split()[1]} "
                                   f"with {run(['sbatch', '--version']).strip()}; ids: array {array_id}, "
                                   f"timeout {timeout_id}, tagged {tagged_id}, allocation {allocation}\n")


if __name__ == "__main__":
    main()
