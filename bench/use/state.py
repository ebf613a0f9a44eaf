"""Reading back what encoding new text with a trained cell needs (the state :mod:`bench.data.encoding_state`
makes and ``encoding.json`` beside the weights holds), and checking it against the record and the weights.

For a model saved before ``encoding.json`` existed the state is recomputed from the corpus by the
cell's own data preparation; :func:`check_against_record` refuses one whose data differs from what the
record says the model trained on.
"""
from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from bench.errors import UserError
from bench.data.encoding_state import FORMAT
from bench.store.results import ENCODING

def read_state(folder: Path) -> dict[str, Any] | None:
    """The stored state of a model folder, or None when absent or unreadable (then it is recomputed)."""
    try:
        state = json.loads((folder / ENCODING).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError, UnicodeDecodeError):
        return None
    return state if isinstance(state, dict) and state.get("format") == FORMAT else None


def check_against_record(state: dict[str, Any], record: dict[str, Any]) -> None:
    """Refuse a recomputed state whose data differs from what the record says the model trained on."""
    prov = (record.get("training") or {}).get("provenance") or record.get("provenance") or {}
    where = f"cell {record.get('cell_id', '?')}"
    expected = prov.get("corpus_checksum")
    if expected and expected != state["corpus_checksum"]:
        raise UserError(f"{where} trained on corpus data with checksum {expected[:12]}…, but the corpus read now "
                        f"has {state['corpus_checksum'][:12]}…: its vocabulary or centring cannot be recomputed; "
                        "pass the --data-dir holding the files it was trained on")
    note = prov.get("vocabulary")
    if note and state["backbone"] == "text" and int(note.get("vocab_size", -1)) != state["vocab_size"]:
        raise UserError(f"{where} trained on a vocabulary of {note['vocab_size']} ids, the recomputed one has "
                        f"{state['vocab_size']}; pass the --data-dir holding the files it was trained on")
    enc = prov.get("encoder") or {}
    if state["backbone"] == "embedding" and "scale" in enc:
        mean_norm = float(np.linalg.norm(np.asarray(state["mean"])))
        if not (math.isclose(enc["scale"], state["scale"], rel_tol=1e-9)
                and math.isclose(enc.get("mean_norm", mean_norm), mean_norm, rel_tol=1e-9)):
            raise UserError(f"{where} was trained on embeddings scaled ×{enc['scale']:.6g} (mean norm "
                            f"{enc.get('mean_norm', float('nan')):.6g}); recomputed: ×{state['scale']:.6g} (mean norm "
                            f"{mean_norm:.6g}): the encoder's embeddings of the corpus differ from those it trained on")


def check_shape(state: dict[str, Any], weights: dict[str, Any], where: str) -> None:
    """The state's vocabulary agrees with the model's own rows, wherever a weight is shaped by it."""
    rows = {tuple(v.shape)[0] for k, v in weights.items() if k.endswith("backbone.embedding.weight")}
    if state["backbone"] == "text" and rows and rows != {state["vocab_size"]}:
        raise UserError(f"{where}: the vocabulary has {state['vocab_size']} ids but the model's word embedding has "
                        f"{sorted(rows)} rows; the corpus read differs from the one it trained on")
    if state["backbone"] == "text" and len(state.get("words", ())) != state["vocab_size"]:
        raise UserError(f"{where}: the stored vocabulary lists {len(state.get('words', ()))} words for "
                        f"{state['vocab_size']} ids; remove {ENCODING} from the model folder to recompute it")
