"""The probe protocol's defaults are stated once (``tasks.probes``) and read by the scoring settings,
the probe functions and the metric table's definitions."""
from __future__ import annotations

import ast
import inspect
import math
from pathlib import Path

import tasks.probes as probes
import tasks.scoring as scoring
from tasks.metrics import metric_info
from tasks.scoring import ScoringConfig


def test_every_default_is_the_one_statement():
    cfg = ScoringConfig()
    assert cfg.probe_C == probes.DEFAULT_C and cfg.probe_repeats == probes.DEFAULT_REPEATS
    assert cfg.sizes() == probes.DEFAULT_SIZES
    for fn in (probes.logistic_probe, probes.probe_sweep):
        params = inspect.signature(fn).parameters
        assert params["C"].default == probes.DEFAULT_C and params["cv_folds"].default == probes.DEFAULT_CV_FOLDS
        assert params["max_iter"].default == probes.DEFAULT_MAX_ITER and params["tol"].default == probes.DEFAULT_TOL
    assert inspect.signature(probes.probe_sweep).parameters["repeats"].default == probes.DEFAULT_REPEATS
    # the headline rule: C and the scaler chosen by inner CV, unless a setting says otherwise
    assert cfg.probe_cv == probes.DEFAULT_CV and cfg.probe_scaler == probes.DEFAULT_SCALER
    assert cfg.probe_options() == {"C": probes.DEFAULT_C, "cv_C": probes.DEFAULT_C_GRID,
                                   "scaler": probes.DEFAULT_SCALER}
    for fn in (probes.logistic_probe, probes.probe_sweep):
        params = inspect.signature(fn).parameters
        assert params["cv_C"].default == (probes.DEFAULT_C_GRID if probes.DEFAULT_CV else None)
        assert params["scaler"].default == probes.DEFAULT_SCALER
    definition = metric_info("probe_accuracy").definition
    assert f"{probes.DEFAULT_CV_FOLDS}-fold" in definition
    ends = [f"1e{round(math.log10(c))}" for c in (probes.DEFAULT_C_GRID[0], probes.DEFAULT_C_GRID[-1])]
    assert f"{ends[0]}…{ends[1]}" in definition


def _literal_defaults(path: Path, names: set[str]) -> list[str]:
    """Function parameters or ``param(...)`` fields among ``names`` whose default is written as a number."""
    tree = ast.parse(path.read_text())
    found = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            args = node.args
            pairs = list(zip(args.kwonlyargs, args.kw_defaults))
            pairs += list(zip(args.args[len(args.args) - len(args.defaults):], args.defaults))
            found += [f"{node.name}({a.arg}=...)" for a, d in pairs
                      if a.arg in names and isinstance(d, ast.Constant) and isinstance(d.value, (int, float))]
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.target.id in names:
            call = node.value
            if isinstance(call, ast.Call) and call.args and isinstance(call.args[0], ast.Constant):
                found.append(f"field {node.target.id}")
    return found


def test_no_second_statement_of_a_default_in_the_source():
    """A number written again beside the constant is how the two statements drifted apart before."""
    probe_args = {"C", "repeats", "cv_folds", "max_iter", "tol"}
    assert _literal_defaults(Path(probes.__file__), probe_args) == []
    assert _literal_defaults(Path(scoring.__file__), {"probe_C", "probe_repeats"}) == []
