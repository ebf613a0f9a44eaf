"""Re-keying records after the encoder's library versions left the cell's identity: the new ids are
exactly what today's code gives the same cell, the old ones are kept in the record, nothing else moves."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.encoders import identity as I
from bench.paper.migrate import MigrationError, main, migrate
from bench.cells.method import MethodCell
from bench.config.spec import RunSpec, digest
from bench.store.results import Store

MODEL = I.EncoderRef(name="enc", path=Path("/models/enc"), source="local folder", revision=None, sha256="a" * 64,
                     dim=16, pipeline=("Transformer", "Pooling", "Normalize"),
                     versions={"sentence_transformers": "6.2.0", "transformers": "5.24.0"})
EMB = (("backbone", "embedding"),)


@pytest.fixture
def spec(monkeypatch) -> MethodCell:
    monkeypatch.setattr(I, "encoder_identity", lambda name, cache_dir=None: MODEL.model_identity)
    return MethodCell.resolve(RunSpec("vae", "synthetic", 0, "smoke", EMB, "valid", encoder="enc"))


def _old_cell(spec: MethodCell, store: Store) -> str:
    """A record as the old rule wrote it: the library versions inside config.encoder, ids digested from that."""
    old = {**spec.config, "encoder": MODEL.cache_identity}
    assert old["encoder"]["sentence_transformers"] == "6.2.0"
    training = {k: v for k, v in old.items() if k not in ("eval", "scoring_protocol")}
    record = {"cell_id": digest(old), "train_id": digest(training), "spec": spec.spec.to_dict(), "config": old,
              "status": "ok", "metrics": {"modes": {"mean": {"probe_accuracy": 0.5}}}, "provenance": {"seed": 0},
              "training": {"config": training, "train_id": digest(training)}}
    dirname = f"vae-synthetic-seed0-{record['cell_id']}"
    store.save(dirname, record, "log line\n")
    model = store.model_dir(f"vae-synthetic-seed0-{record['train_id']}")
    model.mkdir(parents=True)
    (model / "model.pt").write_bytes(b"weights")
    (model / "training.json").write_text(json.dumps(record["training"]))
    return dirname


def _old_reference(store: Store) -> tuple[str, dict]:
    config = {"reference": "embedding", "corpus": "synthetic", "encoder": "enc", "seed": 0, "method_config": {},
              "train": {"max_train_sentences": 100}}
    checksums = {"corpus": "c" * 64, "encoder": I.encoder_key(MODEL)}  # the old key: versions included
    record = {"cell_id": digest({**config, "checksums": checksums}), "reference": "embedding", "config": config,
              "spec": {"method": "ref", "corpus": "synthetic", "seed": 0, "preset": "smoke"}, "status": "ok",
              "metrics": {"modes": {"code": {"probe_accuracy": 0.6}}},
              "provenance": {"checksums": checksums, "encoder": {"encoder": MODEL.identity}}}
    dirname = f"ref-embedding-synthetic-seed0-{record['cell_id']}"
    store.save(dirname, record)
    return dirname, {**config, "checksums": {**checksums, "encoder": I.model_key(MODEL)}}


def test_old_records_get_the_ids_that_todays_code_gives_them(spec, tmp_path):
    store = Store(tmp_path)
    old_cell = _old_cell(spec, store)
    old_ref, ref_identity = _old_reference(store)
    assert spec.dirname != old_cell  # the rule changed the id: without migrating, the cell looks missing

    planned = migrate(tmp_path, dry_run=True)
    assert {m.old for m in planned} == {old_cell, old_ref} and (store.runs / old_cell).is_dir()

    moves = {m.kind: m for m in migrate(tmp_path)}
    assert moves["cell"].new == spec.dirname and moves["reference"].new.endswith(digest(ref_identity))
    cell = store.load(spec.dirname).to_json()
    assert cell["config"] == spec.config and cell["cell_id"] == spec.cell_id and cell["train_id"] == spec.train_id
    assert cell["training"]["config"]["encoder"] == MODEL.model_identity and cell["training"]["train_id"] == spec.train_id
    note = cell["migrations"][0]
    assert note["old_cell_id"] in old_cell and note["removed_from_config"] == dict(MODEL.versions)
    assert cell["metrics"] == {"modes": {"mean": {"probe_accuracy": 0.5}}}  # the numbers are untouched
    assert (store.cell_dir(spec.dirname) / "log.txt").read_text() == "log line\n"
    weights = store.weights_path(spec.model_dirname)  # the stored model follows: a re-score needs no retraining
    assert weights is not None and weights.read_bytes() == b"weights"
    assert store.training_record(spec.model_dirname)["train_id"] == spec.train_id
    ref = store.load(moves["reference"].new).to_json()
    assert ref["provenance"]["checksums"] == ref_identity["checksums"] and ref["migrations"][0]["old_dirname"] == old_ref
    assert not (store.runs / old_cell).exists() and not (store.runs / old_ref).exists()

    assert migrate(tmp_path) == []  # idempotent


def test_a_record_whose_id_is_not_what_the_old_rule_gives_is_refused(spec, tmp_path, capsys):
    store = Store(tmp_path)
    dirname = _old_cell(spec, store)
    record = store.load(dirname).to_json()
    record["config"]["seed"] = 7  # edited by hand after it was written: its id no longer says what it is
    store.save(dirname, record)
    with pytest.raises(MigrationError, match="not the digest of its config"):
        migrate(tmp_path)
    assert main([str(tmp_path)]) == 2 and "not the digest" in capsys.readouterr().err
    assert main([str(tmp_path / "nowhere")]) == 2 and "no runs/ folder" in capsys.readouterr().err
    assert main([]) == 2 and "usage" in capsys.readouterr().err
