"""kvbench's result scripts, importable from a notebook started at the repository root:

    import scripts
    cells = scripts.load("results/latest.json")            # one row per cell
    cells.groupby("strategy")["token_hit_rate"].median()
    results = scripts.load_results("a.json", "b.json")     # everything kvbresults reads

The scripts import each other as top-level modules (they also run as commands), so their
folder joins sys.path here.
"""

import os
import sys

_SCRIPTS = os.path.dirname(os.path.abspath(__file__))
if _SCRIPTS not in sys.path:
    sys.path.insert(0, _SCRIPTS)

import kvbresults  # noqa: E402  (needs the path above)


def load(*paths):
    """The cells of one or more result files as a pandas DataFrame, one row per cell: its
    name and parameters (matrix, strategy, cluster, trace, prices, rate_scale, seed), failed
    and error_message, repetitions, real_time_s and cpu_time_s, then every counter (the
    columns of the file's metric table: `scripts.metrics(path)` says what each means).
    Raises kvbresults.ResultsError naming the file at fault."""
    return load_results(*paths).cells


def load_results(*paths):
    """Every table kvbresults reads (cells, matrices, repetition times, contexts, metric
    table, per-cell result objects) from one or more result files."""
    if not paths:
        raise TypeError("load() needs at least one result file")
    return kvbresults.load(paths[0]) if len(paths) == 1 else kvbresults.load_many(list(paths))


def metrics(*paths):
    """The metric table as a DataFrame: name, unit, better direction, fraction, counter."""
    import dataclasses
    import pandas as pd
    return pd.DataFrame([dataclasses.asdict(m) for m in load_results(*paths).metrics.values()])
