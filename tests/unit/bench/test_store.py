from __future__ import annotations

import json

import pytest

from bench.store import Store, atomic_write_text


def test_atomic_write_leaves_no_temp_files_and_replaces(tmp_path):
    target = tmp_path / "a" / "record.json"
    atomic_write_text(target, "one")
    atomic_write_text(target, "two")
    assert target.read_text() == "two"
    assert [p.name for p in target.parent.iterdir()] == ["record.json"]


def test_failed_write_keeps_the_old_record(tmp_path, monkeypatch):
    store = Store(tmp_path)
    store.save("cell", {"status": "ok", "x": 1})

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr("bench.store.os.replace", boom)
    with pytest.raises(OSError):
        store.save("cell", {"status": "ok", "x": 2})
    assert store.load("cell") == {"status": "ok", "x": 1}
    assert sorted(p.name for p in (tmp_path / "runs" / "cell").iterdir()) == ["record.json"]


def test_unreadable_record_counts_as_missing(tmp_path):
    store = Store(tmp_path)
    (tmp_path / "runs" / "cell").mkdir(parents=True)
    (tmp_path / "runs" / "cell" / "record.json").write_text("{ truncated")
    assert store.load("cell") is None
    assert list(store.records()) == []
    store.save("good", {"status": "ok"})
    assert [json.dumps(r) for r in store.records()] == [json.dumps({"status": "ok", "dirname": "good"})]
