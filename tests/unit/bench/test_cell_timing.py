"""A record says where its cell's time went: data, training, encoding, the test loss terms and each scorer."""
from __future__ import annotations

import pytest

from bench.cells.method import MethodCell
from bench.cells.protocol import CellRun
from bench.config.spec import RunSpec
from tasks.metrics import all_scorers


@pytest.mark.slow
def test_record_carries_the_time_of_each_part():
    cell = MethodCell.resolve(RunSpec("vae", "synthetic", 0, "smoke", (("epochs", "1"), ("max_train_sentences", "400"))))
    record = cell.run(CellRun()).record.to_json()
    assert record["status"] == "ok", record.get("error")
    timing = record["provenance"]["timing"]
    assert set(timing) >= {"data", "train", "encode", "test_loss", "scorers"}
    ran = {s.name for s in all_scorers() if s.per == "model" or s.name in record["metrics"]["analysis"]["mean"]}
    assert set(timing["scorers"]) >= ran - {"hoyer_ratio"} and "probes" in timing["scorers"]
    parts = [timing["data"], timing["train"], timing["encode"], timing["test_loss"], *timing["scorers"].values()]
    assert all(v >= 0 for v in parts)
    assert sum(parts) <= record["wall_seconds"] + 0.01  # the parts are disjoint pieces of the cell's time
    assert timing["train"] == pytest.approx(record["training"]["provenance"]["train_seconds"], abs=1e-3)
