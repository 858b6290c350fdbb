"""Shared helpers of the scripts' tests: the scripts directory on sys.path, fixture paths,
and running a script as users do (/usr/bin/python3 scripts/X.py ...)."""

import copy
import json
import os
import subprocess
import sys

import pytest

TESTS = os.path.dirname(os.path.abspath(__file__))
SCRIPTS = os.path.dirname(TESTS)
FIXTURES = os.path.join(TESTS, "fixtures")
sys.path.insert(0, SCRIPTS)

PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable


def fixture_path(name):
    return os.path.join(FIXTURES, name)


def load_fixture(name):
    with open(fixture_path(name), encoding="utf-8") as f:
        return json.load(f)


def write_json(path, document):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(document, f)
    return str(path)


def run_script(script, *args, cwd=None):
    """Runs scripts/<script> with /usr/bin/python3; returns the CompletedProcess (text)."""
    return subprocess.run([PYTHON, os.path.join(SCRIPTS, script), *map(str, args)],
                          capture_output=True, text=True, cwd=cwd, timeout=120)


def cell_entry(document, strategy, cluster):
    """The benchmarks[] entry of one cell of a fixture document (for injecting changes)."""
    for entry in document["benchmarks"]:
        if f"/strategy={strategy}/cluster={cluster}/" in entry["name"] and \
                entry.get("run_type", "iteration") == "iteration":
            return entry
    raise KeyError((strategy, cluster))


@pytest.fixture
def mixed_document():
    return copy.deepcopy(load_fixture("mixed.json"))


class Ran:
    """What a script run in-process printed and returned, like a CompletedProcess."""

    def __init__(self, returncode, stdout, stderr):
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


def run_main(module, *args):
    """Runs module.main(args) in this process (no interpreter start-up, no re-import of
    pandas and scipy), with kvbresults.main_wrapper's handling of bad input."""
    import contextlib
    import io
    import kvbresults
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = module.main([str(a) for a in args])
        except kvbresults.ResultsError as e:
            print(f"{module.__name__}.py: error: {e}", file=sys.stderr)
            code = 2
        except SystemExit as e:   # argparse errors
            code = e.code
    return Ran(code, out.getvalue(), err.getvalue())
