"""Records of an older protocol: after a protocol bump the old and the new record of one cell both
sit in ``runs/`` (the cell has another id now); a table that averaged them would mix two protocols in
one row and count two seeds where there is one."""
from __future__ import annotations

from typing import Any, Iterable

from bench.config.spec import TRAINING_VERSION
from tasks.references import REFERENCE_VERSION
from tasks.scoring import SCORING_VERSION


def protocol_versions(record: dict[str, Any]) -> dict[str, int]:
    """The protocol versions a record was made under (training, scoring, and reference where it is one)."""
    config = record.get("config") or {}
    keys = ("protocol", "scoring_protocol", "reference_protocol")
    return {k: config[k] for k in keys if isinstance(config.get(k), int)}


def split_stale(records: list[dict[str, Any]], as_published: bool = False
                ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(current, stale): a record made under an older training, scoring or reference protocol than
    today's harness computes is stale; ``as_published`` reads the records as of the newest scoring protocol
    among them instead of today's (:func:`published_scoring`)."""

    scoring = published_scoring(records) if as_published else None
    today = {"protocol": TRAINING_VERSION, "scoring_protocol": SCORING_VERSION if scoring is None else scoring,
             "reference_protocol": REFERENCE_VERSION}
    current, stale = [], []
    for r in records:
        old = any(v < today[k] for k, v in protocol_versions(r).items())
        (stale if old else current).append(r)
    return current, stale


def published_scoring(records: Iterable[dict[str, Any]]) -> int | None:
    """The newest scoring protocol among ``records``: the one a folder was published under.  A track published
    under an older protocol (results/reference/text/, protocol 2) is read as it was published with it; the
    records of a protocol older still, beside them, stay left out (None: no record says)."""
    found = [v["scoring_protocol"] for v in map(protocol_versions, records) if "scoring_protocol" in v]
    return max(found) if found else None


def current_successful(records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The successful records of today's protocols among ``records``."""
    return split_stale([r for r in records if r.get("status") == "ok"])[0]


def stale_note(stale: list[dict[str, Any]]) -> str:
    if not stale:
        return ""
    return (f"{len(stale)} record(s) from an older protocol left out (e.g. {stale[0].get('dirname', '?')}); "
            "`bench run` with the same options makes today's, `--all-protocols` shows them")
