"""A cell is a trained model plus its scoring: changing the scoring re-scores stored weights, never retrains."""
from __future__ import annotations

import json

SMALL = ("--methods", "vae", "--corpora", "synthetic", "--preset", "smoke", "--set", "epochs=1",
         "--set", "max_train_sentences=600", "--no-references")  # re-scoring the cells is the point here


def _records(results):
    records = {p.parent.name: json.loads(p.read_text()) for p in (results / "runs").glob("*/record.json")}
    return {k: r for k, r in records.items() if "reference" not in r}  # the cells, not the reference rows


def test_changing_probe_sizes_after_a_finished_run_rescores_without_training(run_bench, tmp_path):
    results = tmp_path / "results"
    dry = run_bench("run", *SMALL, "--results-dir", str(results), "--dry-run")
    assert dry.exit_code == 0 and not results.exists(), dry.output  # a dry run creates nothing
    assert "cells: 1 to train" in dry.output and "  train  vae on synthetic" in dry.output
    first = run_bench("run", *SMALL, "--results-dir", str(results))
    assert first.exit_code == 0 and "1 trained, 0 rescored, 0 cached" in first.output, first.output
    (model_dir,) = (results / "models").iterdir()
    weights_mtime = (model_dir / "model.pt").stat().st_mtime_ns

    # a dry run tells the three fates apart (a typo in a --set turns "re-score" into "train"), and writes nothing
    listing = sorted(p.relative_to(results) for p in results.rglob("*"))
    cached = run_bench("run", *SMALL, "--results-dir", str(results), "-n")
    assert "cells: 1 cached" in cached.output and "nothing to run: every cell is in the store" in cached.output
    rescore = run_bench("run", *SMALL, "--set", "probe_sizes=10,all", "--results-dir", str(results), "-n")
    assert "cells: 1 to re-score" in rescore.output and "re-score (weights kept)  vae on synthetic" in rescore.output
    retrain = run_bench("run", *SMALL, "--set", "epochs=2", "--results-dir", str(results), "-n")
    assert "cells: 1 to train" in retrain.output, retrain.output
    assert sorted(p.relative_to(results) for p in results.rglob("*")) == listing, "a dry run wrote into the store"
    # a cell another bench run on this folder is computing is said to be, not offered as if it were free
    from filelock import FileLock

    line = next(line for line in rescore.output.splitlines() if line.startswith("  re-score"))
    cell = line.rsplit("(", 1)[1].rstrip(")")  # the cell's folder name ends the line
    assert cell.startswith("vae-synthetic-seed0-"), line
    (results / ".locks").mkdir(exist_ok=True)
    with FileLock(results / ".locks" / f"{cell}.lock", thread_local=False):
        busy = run_bench("run", *SMALL, "--set", "probe_sizes=10,all", "--results-dir", str(results), "-n")
    assert "cells: 1 to re-score by another bench run" in busy.output, busy.output
    assert "re-score (weights kept) (another bench run on this folder is computing it)" in busy.output

    again = run_bench("run", *SMALL, "--set", "probe_sizes=10,all", "--results-dir", str(results))
    assert again.exit_code == 0 and "0 trained, 1 rescored, 0 cached" in again.output, again.output
    assert (model_dir / "model.pt").stat().st_mtime_ns == weights_mtime, "the model was not retrained"
    recs = sorted(_records(results).values(), key=lambda r: r["config"]["eval"]["probe_sizes"])
    assert [r["config"]["eval"]["probe_sizes"] for r in recs] == ["10,100,1000,all", "10,all"]
    assert recs[0]["train_id"] == recs[1]["train_id"] and recs[0]["cell_id"] != recs[1]["cell_id"]
    assert recs[1]["provenance"]["scoring"]["rescored"] and not recs[0]["provenance"]["scoring"]["rescored"]
    assert "probe_accuracy@100" in recs[0]["metrics"]["modes"]["mean"]
    assert "probe_accuracy@100" not in recs[1]["metrics"]["modes"]["mean"]
    # the re-scored model is the same model: the all-labels probe of the deterministic mode agrees
    assert recs[0]["metrics"]["modes"]["mean"]["probe_accuracy"] == recs[1]["metrics"]["modes"]["mean"]["probe_accuracy"]
    assert recs[1]["training"]["train_loss"] == recs[0]["training"]["train_loss"]

    third = run_bench("run", *SMALL, "--set", "probe_sizes=10,all", "--results-dir", str(results))
    assert "0 trained, 0 rescored, 1 cached" in third.output


def test_installing_a_metric_rescores_finished_cells_in_place(run_bench, install_example, tmp_path):
    results = tmp_path / "results"
    assert run_bench("run", *SMALL, "--results-dir", str(results)).exit_code == 0
    (before,) = _records(results).values()
    assert "gini" not in before["metrics"]["modes"]["mean"]
    install_example("sparsebench-gini")
    again = run_bench("run", *SMALL, "--results-dir", str(results))
    assert again.exit_code == 0 and "0 trained, 1 rescored, 0 cached" in again.output, again.output
    (after,) = _records(results).values()
    assert after["cell_id"] == before["cell_id"] and "gini" in after["metrics"]["modes"]["mean"]
    # rescored in place: the training's log stays, the re-scoring is appended below a rule
    (log,) = [p.read_text() for p in (results / "runs").glob("vae-*/log.txt")]
    training, _, rescoring = log.partition("\n--- re-scored ")
    assert "epoch 1/1" in training and "training vae" in training
    assert "re-scoring stored weights" in rescoring and "epoch 1/1" not in rescoring
    assert any(s.startswith("gini:plugin sparsebench-gini") for s in after["scorers"])


def test_a_dry_run_refuses_bad_input_as_the_run_would(run_bench, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    bad_dir = run_bench("run", *SMALL, "--results-dir", str(blocker / "results"), "-n")
    assert bad_dir.exit_code == 2 and "is a file, not a folder" in bad_dir.output and "Traceback" not in bad_dir.output
    missing = run_bench("run", "--methods", "vae", "--corpora", "yahoo", "--data-dir", str(tmp_path / "empty"),
                        "--results-dir", str(tmp_path / "r"), "-n")
    assert missing.exit_code == 2 and "yahoo" in missing.output and not (tmp_path / "r").exists()
