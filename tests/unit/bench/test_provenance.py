"""A cached cell made under other package versions is named when a run reuses it."""
from __future__ import annotations

from bench.store.provenance import drift_note, recorded_versions, version_drift

INSTALLED = {"torch": "2.13.0+cpu", "numpy": "2.4.6", "sentence-transformers": "6.3.0", "transformers": "5.24.0"}


def _record(numpy="2.4.6", st=None, rescored_torch=None) -> dict:
    prov = {"versions": {"torch": "2.13.0+cpu", "numpy": numpy, "gone": "1.0"}}
    if st:
        prov["encoder"] = {"encoder": {"sha256": "a" * 64, "sentence_transformers": st, "transformers": "5.24.0"}}
    if rescored_torch:
        prov["scoring"] = {"versions": {"torch": rescored_torch}}
    return {"provenance": prov}


def test_recorded_versions_cover_training_rescoring_and_the_encoders_libraries():
    got = recorded_versions(_record(st="6.2.0", rescored_torch="2.14.0"))
    assert got["torch"] == {"2.13.0+cpu", "2.14.0"} and got["sentence-transformers"] == {"6.2.0"}
    assert got["transformers"] == {"5.24.0"}
    assert recorded_versions({"provenance": {}}) == {}


def test_drift_counts_records_and_names_each_package_once():
    records = [_record(), _record(st="6.2.0"), _record(numpy="2.3.0", st="6.1.0"), _record(rescored_torch="2.12.0")]
    count, packages = version_drift(records, INSTALLED)
    assert count == 3
    assert packages == {"numpy": (["2.3.0"], "2.4.6"), "sentence-transformers": (["6.1.0", "6.2.0"], "6.3.0"),
                        "torch": (["2.12.0"], "2.13.0+cpu")}  # "gone" is not installed: not compared
    note = drift_note(records, INSTALLED)
    assert note.startswith("note: 3 cached cell(s)") and "sentence-transformers 6.1.0, 6.2.0 (installed 6.3.0)" in note
    assert "--resume always" in note
    assert drift_note([_record(), _record(st="6.3.0")], INSTALLED) is None and drift_note([], INSTALLED) is None
