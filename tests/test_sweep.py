"""Sweep files: expansion, labels, override styles, and every bad-input message."""
from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from snaptui.engine.errors import ConfigError
from snaptui.engine.sweep.spec import load_sweep, load_sweep_text, parse_sweep_string


def sweep(text: str):
    return load_sweep_text(text)


def test_grid_is_cartesian_with_last_key_fastest_and_fixed_params_in_argv():
    spec = sweep('''
name = "s"
command = ["python", "train.py"]
[params]
epochs = 3
[grid]
lr = [0.001, 0.01]
seed = [1, 2, 3]
''')
    jobs = spec.expand()
    assert [j.label for j in jobs[:4]] == ["lr=0.001,seed=1", "lr=0.001,seed=2", "lr=0.001,seed=3", "lr=0.01,seed=1"]
    assert jobs[4].argv == ["python", "train.py", "epochs=3", "lr=0.01", "seed=2"]
    assert [j.index for j in jobs] == list(range(6))


def test_zip_groups_vary_together_and_cross_with_the_grid():
    spec = sweep('''
name = "s"
command = ["run"]
[grid]
seed = [0, 1]
[[zip]]
model = ["small", "large"]
width = [64, 512]
''')
    labels = [j.label for j in spec.expand()]
    assert labels == ["seed=0,model=small,width=64", "seed=0,model=large,width=512",
                      "seed=1,model=small,width=64", "seed=1,model=large,width=512"]


def test_argparse_and_placeholder_styles_build_argv_without_a_shell():
    argparse_style = sweep('name="s"\ncommand=["train"]\noverride_style="argparse"\n[grid]\nlr=[0.1]\n'
                           'flag=[true, false]\ntext=["false"]\n')
    # a boolean is a store_true flag: present when true, absent when false; a string goes as written
    assert [j.argv for j in argparse_style.expand()] == [["train", "--lr", "0.1", "--flag", "--text", "false"],
                                                          ["train", "--lr", "0.1", "--text", "false"]]
    placeholder = sweep('name="s"\ncommand=["train", "--lr={lr}", "out/{lr}-{tag}"]\n'
                        'override_style="placeholder"\n[params]\ntag="a b;$(x)"\n[grid]\nlr=[1]\n')
    assert placeholder.expand()[0].argv == ["train", "--lr=1", "out/1-a b;$(x)"]


def test_hydra_sweep_strings_expand_like_hydra():
    assert parse_sweep_string("1,2,3") == [1, 2, 3]
    assert parse_sweep_string("range(3)") == [0, 1, 2]
    assert parse_sweep_string("range(1, 10, 4)") == [1, 5, 9]
    assert parse_sweep_string("range(0, 1, 0.25)") == [0, 0.25, 0.5, 0.75]
    assert parse_sweep_string("choice(adam, sgd)") == ["adam", "sgd"]
    assert parse_sweep_string("'x', y") == ["x", "y"]
    spec = sweep('name="s"\ncommand=["x"]\n[grid]\nseed="range(2)"\nopt="choice(adam,sgd)"\n')
    assert spec.job_count == 4


def test_no_grid_gives_one_job_labelled_default():
    spec = sweep('name="s"\ncommand=["x"]\n[params]\na=1\n')
    assert [(j.label, j.argv) for j in spec.expand()] == [("default", ["x", "a=1"])]


def error_of(text: str, name: str = "sweep.toml") -> str:
    with pytest.raises(ConfigError) as info:
        load_sweep_text(text, name)
    assert info.value.exit_code == 2
    return info.value.render()


def test_unknown_key_names_file_line_and_near_miss():
    message = error_of('name = "s"\ncomand = ["x"]\n')
    assert "sweep.toml:2: comand: unknown key" in message
    assert "did you mean 'command'?" in message
    assert "sweep.toml: command: is required" in message


def test_wrong_types_empty_grids_and_unequal_zips_are_all_reported_together():
    message = error_of('''name = "s"
command = "python train.py"
[grid]
lr = []
seed = 3
[[zip]]
a = [1, 2]
b = [1]
''')
    assert "sweep.toml:2: command: must be a list, got str 'python train.py'" in message
    assert "sweep.toml:4: grid.lr: is empty" in message
    assert "sweep.toml:5: grid.seed: must be a list of values" in message
    assert "sweep.toml:6: zip.0: lists in one zip group must have equal length: a has 2, b has 1" in message


def test_parameter_in_two_places_is_rejected():
    message = error_of('name="s"\ncommand=["x"]\n[params]\nlr=1\n[grid]\nlr=[1,2]\n')
    assert "sweep.toml:6: grid.lr: is also defined in [params]" in message


def test_empty_grid_table_is_rejected():
    assert "sweep.toml:3: grid: is empty" in error_of('name="s"\ncommand=["x"]\n[grid]\n')


def test_malformed_toml_names_line():
    assert "sweep.toml:2: not valid TOML: Invalid value at end of file" in error_of('name = "s"\ncommand = [\n')


def test_placeholder_mismatches_are_named():
    message = error_of('name="s"\ncommand=["x", "{lr}", "{nope}"]\noverride_style="placeholder"\n'
                       '[grid]\nlr=[1]\nseed=[1]\n')
    assert "placeholder {nope} names no parameter" in message
    assert "parameter 'seed' is not used by any {placeholder}" in message


def test_bad_values_in_grid_and_names():
    message = error_of('name="a b"\ncommand=["x"]\n[grid]\nlr=[[1],[2]]\nr="range(a)"\n')
    assert "name: may hold only letters" in message
    assert "grid.lr: values must be strings, numbers or booleans" in message
    assert "grid.r: range() takes 1 to 3 numbers" in message


def test_unreadable_and_missing_files(tmp_path):
    with pytest.raises(ConfigError, match="file not found"):
        load_sweep(tmp_path / "missing.toml")
    binary = tmp_path / "bin.toml"
    binary.write_bytes(b"\xff\xfe\x00name")
    with pytest.raises(ConfigError, match="cannot read file"):
        load_sweep(binary)


values = st.lists(st.integers(-5, 5), min_size=1, max_size=4, unique=True)


@settings(max_examples=60, deadline=None)
@given(grid=st.dictionaries(st.sampled_from(["a", "b", "c"]), values, min_size=1, max_size=3),
       zip_len=st.integers(1, 3), zip_keys=st.integers(1, 2))
def test_expansion_count_indices_and_labels_are_consistent(grid, zip_len, zip_keys):
    lines = ['name="p"', 'command=["x"]', "[grid]"] + [f"{k} = {v}" for k, v in grid.items()]
    lines += ["[[zip]]"] + [f"z{i} = {list(range(zip_len))}" for i in range(zip_keys)]
    spec = sweep("\n".join(lines))
    jobs = spec.expand()
    expected = 1
    for v in grid.values():
        expected *= len(v)
    assert len(jobs) == spec.job_count == expected * zip_len
    assert [j.index for j in jobs] == list(range(len(jobs)))
    assert len({j.label for j in jobs}) == len(jobs)  # every job is distinguishable
    combos = set(itertools.product(*grid.values()))
    assert {tuple(j.params[k] for k in grid) for j in jobs} == combos
    for job in jobs:  # zip keys always move together
        assert len({job.params[f"z{i}"] for i in range(zip_keys)}) == 1
    assert [j.label for j in spec.expand()] == [j.label for j in jobs]  # stable


def test_equals_style_writes_one_argument_per_parameter_with_python_booleans():
    spec = sweep('name="s"\ncommand=["python", "train.py"]\noverride_style="equals"\n[params]\n'
                 'dataset="shakespeare_char"\ncompile=false\n[grid]\nlearning_rate=[1e-3]\nbatch_size=[12]\n'
                 'name=["a b"]\n')
    assert spec.expand()[0].argv == ["python", "train.py", "--dataset=shakespeare_char", "--compile=False",
                                     "--learning_rate=0.001", "--batch_size=12", "--name=a b"]
