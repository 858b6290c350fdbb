"""scripts/ as a package: `import scripts; scripts.load(path)` from the repository root."""

import os
import subprocess

from conftest import PYTHON, SCRIPTS, fixture_path

ROOT = os.path.dirname(SCRIPTS)


def run_in_root(code):
    return subprocess.run([PYTHON, "-c", code], capture_output=True, text=True, cwd=ROOT,
                          timeout=120)


def test_load_gives_one_row_per_cell_with_parameters_and_counters():
    done = run_in_root(
        "import scripts\n"
        f"df = scripts.load({fixture_path('mixed.json')!r})\n"
        "print(len(df), sorted(set(df['cluster'])), df.loc[df['strategy'] == 'random', "
        "'hit_rate'].tolist())\n"
        "print(type(df).__name__, 'token_hit_rate' in df.columns)\n")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "6 ['real4', 'seed4'] [0.2, 0.3]"  # the fixture's random cells
    assert lines[1] == "DataFrame True"


def test_load_of_two_files_and_the_metric_table():
    done = run_in_root(
        "import scripts\n"
        f"p = {fixture_path('mixed.json')!r}\n"
        "print(len(scripts.load(p, p)))\n"
        "m = scripts.metrics(p)\n"
        "print(m.loc[m['name'] == 'hit_rate', 'better'].item())\n")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["12", "higher"]


def test_load_of_a_bad_file_names_it(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    done = run_in_root(f"import scripts\nscripts.load({str(bad)!r})\n")
    assert done.returncode != 0
    assert "bad.json" in done.stderr
