from __future__ import annotations

import json
import os
import stat

import pytest

from bench.store.results import Store, atomic_write_text, record_problems


def good(**extra):
    return {"cell_id": "c", "status": "ok", "spec": {"method": "vae", "corpus": "synthetic", "seed": 0, "preset": "smoke"},
            "config": {"method_config": {}, "train": {}}, "metrics": {"modes": {"mean": {"probe_accuracy": 0.5}}},
            "provenance": {}, **extra}


def test_atomic_write_leaves_no_temp_files_and_replaces(tmp_path):
    target = tmp_path / "a" / "record.json"
    atomic_write_text(target, "one")
    atomic_write_text(target, "two")
    assert target.read_text() == "two"
    assert [p.name for p in target.parent.iterdir()] == ["record.json"]


def test_files_follow_the_umask_so_a_shared_results_folder_stays_readable(tmp_path):
    old = os.umask(0o022)
    try:
        atomic_write_text(tmp_path / "r.json", "{}")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "r.json").stat().st_mode) == 0o644


def test_failed_write_keeps_the_old_record(tmp_path, monkeypatch):
    store = Store(tmp_path)
    store.save("cell", good(x=1))

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr("bench.store.results.os.replace", boom)
    with pytest.raises(OSError):
        store.save("cell", good(x=2))
    assert store.load("cell").to_json() == good(x=1)
    assert sorted(p.name for p in (tmp_path / "runs" / "cell").iterdir()) == ["record.json"]


@pytest.mark.parametrize("content, why", [
    ("{ truncated", "not valid JSON"),
    ("[1, 2]", "is not of type 'object'"),
    ('{"status": "ok"}', "'cell_id' is a required property"),
    (json.dumps({**good(), "metrics": {"modes": {}}}), "should be non-empty"),
    (json.dumps({**good(status="failed"), "metrics": None}), "'error' is a required property"),
    # issue 24 §4: a stored score that no scorer returns (NaN, inf, text, an accuracy of 7.5, a bool)
    ('{"cell_id": "c", "status": "ok", "spec": {"method": "vae", "corpus": "s", "seed": 0, "preset": "smoke"}, '
     '"config": {"method_config": {}, "train": {}}, "provenance": {}, '
     '"metrics": {"modes": {"mean": {"probe_accuracy": NaN}}}}', "probe_accuracy = nan is not finite"),
    (json.dumps(good(metrics={"modes": {"mean": {"probe_accuracy": float("inf")}}})), "is not finite"),
    (json.dumps(good(metrics={"modes": {"mean": {"probe_accuracy": "0.5"}}})), "'0.5' is not a number"),
    (json.dumps(good(metrics={"modes": {"mean": {"probe_accuracy": 7.5}}})), "probe_accuracy = 7.5 is outside [0, 1]"),
    (json.dumps(good(metrics={"modes": {"mean": {"probe_accuracy@100": 1.5}}})), "is outside [0, 1]"),
    (json.dumps(good(metrics={"modes": {"mean": {"active_dims": True}}})), "active_dims = True is not a number"),
    (json.dumps(good(metrics={"modes": {"mean": {"probe_accuracy": 0.5}},
                              "reconstruction": {"nll_per_token": -1.0, "recon_kind": "token_ce"}})),
     "metrics/reconstruction/nll_per_token = -1.0 is outside [0, inf]"),
])
def test_damaged_records_are_named_counted_and_never_used(tmp_path, content, why):
    store = Store(tmp_path)
    (tmp_path / "runs" / "bad").mkdir(parents=True)
    (tmp_path / "runs" / "bad" / "record.json").write_text(content)
    store.save("good", good())
    record, problem = store.read("bad")
    assert record is None and why in problem
    assert store.load("bad") is None
    scan = store.scan()
    assert [r["dirname"] for r in scan.records] == ["good"]
    assert [d.path.parent.name for d in scan.damaged] == ["bad"] and why in scan.damaged_note()


def test_a_damaged_cached_record_is_never_reused_its_cell_runs_again(tmp_path):
    """A NaN score in a stored record used to be reused as cached; now the plan names it and reruns the cell."""
    from bench.cells.method import MethodCell
    from bench.config.spec import RunSpec
    from bench.run.driver import plan

    spec = MethodCell.resolve(RunSpec("vae", "synthetic", 0, "smoke", (("epochs", "1"),)))
    store = Store(tmp_path)
    record = {**good(), "cell_id": spec.cell_id}
    record["metrics"]["modes"]["mean"]["probe_accuracy"] = float("nan")
    (tmp_path / "runs" / spec.dirname).mkdir(parents=True)
    (tmp_path / "runs" / spec.dirname / "record.json").write_text(json.dumps(record))
    p = plan([spec], store, "missing", retry_failed=False)
    assert not p.settled and [s for s, _ in p.to_run] == [spec]
    assert p.damaged and "not finite" in p.damaged[0][2]


def test_schema_accepts_a_real_failed_record():
    assert record_problems({**good(status="failed"), "error": "RuntimeError: x"}) == []


def test_records_of_an_older_protocol_are_left_out_of_tables_and_named(run_bench, tmp_path):
    """After a protocol bump the old and the new record of a cell both sit in runs/: the table shows
    today's only (it would otherwise average two protocols into one row), and says what it left out."""
    import json

    from bench.config.spec import TRAINING_VERSION
    from bench.report.stale import split_stale

    results = tmp_path / "r"
    assert run_bench("run", "--methods", "ae", "--preset", "smoke", "--set", "epochs=1", "--no-references",
                     "--set", "probe_sizes=all", "--results-dir", str(results)).exit_code == 0
    fresh = next((results / "runs").glob("*/record.json"))
    old = json.loads(fresh.read_text())
    old["config"]["protocol"] = TRAINING_VERSION - 1
    old["metrics"]["modes"]["code"]["probe_accuracy"] = 0.0  # would drag the mean down if averaged in
    (results / "runs" / "ae-old").mkdir()
    (results / "runs" / "ae-old" / "record.json").write_text(json.dumps(old))

    current, stale = split_stale([json.loads(fresh.read_text()), old])
    assert len(current) == 1 and len(stale) == 1 and stale[0] is old
    out = run_bench("leaderboard", "--results-dir", str(results))
    assert out.exit_code == 0, out.output
    assert "1 record(s) from an older protocol left out (e.g. ae-old)" in out.output
    row = next(line for line in out.output.splitlines() if line.startswith("| ae"))
    assert "0.000" not in row and row.rstrip(" |").endswith("1")  # one seed: the stale record is not counted
    both = run_bench("leaderboard", "--results-dir", str(results), "--all-protocols")
    assert both.exit_code == 0 and "older protocol" not in both.output


def test_every_committed_record_reads_as_a_typed_record_and_writes_back_byte_for_byte():
    """The typed record keeps the JSON's shape: a record read and written again is the same file, so
    every stored record (committed, or written by an older version) reads unchanged."""
    from pathlib import Path

    from bench.store.record import Record

    paths = sorted((Path(__file__).resolve().parents[3] / "results" / "reference").glob("*/runs/*/record.json"))
    assert len(paths) > 100
    kinds = set()
    for path in paths:
        text = path.read_text(encoding="utf-8")
        record = Record.from_json(json.loads(text))
        assert record.dumps() == text.strip(), path.parent.name
        kinds.add(record.is_reference)
    assert kinds == {True, False}


def test_a_record_keeps_keys_it_does_not_name_and_refuses_a_broken_one():
    from bench.store.record import Record, RecordError

    data = {**good(), "added_later": {"x": 1}}
    record = Record.from_json(data)
    assert record.extra == {"added_later": {"x": 1}} and record.to_json() == data and record.ok
    with pytest.raises(RecordError, match="'cell_id' is a required property"):
        Record.from_json({"status": "ok"})
