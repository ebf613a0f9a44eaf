"""What encoding new text with a trained cell needs beyond its weights, stored beside them.

A model's weights alone cannot encode a sentence: on the text backbone the ids mean the words of the
cell's vocabulary, which ``max_vocab`` restricted to the most frequent words of the cell's seeded
training subsample; on the embedding backbone the model reads the frozen encoder's embedding centred
on that subsample's mean and multiplied by one scalar.  Both are decided by the training data, so
they are recorded when the model is trained (``encoding.json`` in the model folder, written
atomically after the weights) and, for models saved before this file existed, recomputed from the
corpus by the cell's own data preparation and checked against what the record says it trained on.

The state is a JSON object:

- ``format``, ``backbone`` ("text" or "embedding"), ``vocab_size``, ``eos_id``, ``input_dim``: the
  :class:`~bench.models.DataShape` the model was built with;
- ``class_names`` and ``corpus_checksum`` of the training corpus;
- text backbone: ``words`` (the word of every id the model knows, ``<pad>`` = 0) and ``tokenizer``
  (``lowercase``, ``token_pattern`` or null for whitespace, ``max_tokens`` before ``<EOS>``);
- embedding backbone: ``mean`` (the centring vector, float64 as JSON numbers, exact), ``scale``
  and ``encoder`` (the frozen encoder's model identity, as the cell's config holds it).
"""
from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from bench.errors import UserError
from bench.store import ENCODING

FORMAT = 1


def tokenizer_of(corpus_name: str, vocab: tuple[str, ...] | list[str], max_length: int) -> dict[str, Any]:
    """How the corpus loader turned its lines into tokens, for new sentences.

    A user corpus says it (``lowercase``, ``token_pattern``).  The built-in files are already
    tokenised and lower-cased, so new text is split on whitespace and lower-cased exactly when the
    vocabulary holds no upper-case word (then an upper-case token could only ever be ``_UNK``); a
    plugin corpus with upper-case words keeps case.  ``max_length`` is the corpus's, ``<EOS>`` included.
    """
    from tasks.corpora import is_user_corpus
    from tasks.corpora.base import EOS, PAD, UNK

    max_tokens = int(max_length) - 1
    if is_user_corpus(corpus_name):
        from tasks.corpora.user import spec_from_path

        spec = spec_from_path(Path(corpus_name))
        return {"lowercase": bool(spec.lowercase), "token_pattern": spec.token_pattern, "max_tokens": max_tokens}
    cased = any(w != w.lower() for w in vocab if w not in (PAD, EOS, UNK))
    return {"lowercase": not cased, "token_pattern": None, "max_tokens": max_tokens}


def restricted_words(vocab: tuple[str, ...], before: Any, after: Any, vocab_size: int) -> list[str]:
    """The word of every id after :func:`bench.data.restrict_vocabulary`, read off the training split itself.

    Every kept word occurs in the training split (that is why it was kept), so pairing each token's
    old id with its new id names every new id; ``_UNK`` and ``<EOS>`` are the last two ids.
    """
    from tasks.corpora.base import EOS, PAD, UNK

    words: list[str | None] = [None] * vocab_size
    words[0], words[vocab_size - 2], words[vocab_size - 1] = PAD, UNK, EOS
    old, new = np.asarray(before.ids), np.asarray(after.ids)
    known = new < vocab_size - 2
    pairs = np.unique(np.stack([new[known], old[known]]), axis=1)
    for n, o in pairs.T.tolist():
        if words[n] is not None and words[n] != vocab[o]:
            raise ValueError(f"restricted id {n} stands for both {words[n]!r} and {vocab[o]!r}")
        words[n] = vocab[o]
    missing = [i for i, w in enumerate(words) if w is None]
    if missing:
        raise ValueError(f"{len(missing)} restricted ids name no training word (first: {missing[0]})")
    return [str(w) for w in words]


def text_state(spec: Any, corpus: Any, shape: Any, words: list[str] | tuple[str, ...]) -> dict[str, Any]:
    return {**_common(spec, corpus, shape), "words": list(words),
            "tokenizer": tokenizer_of(spec.corpus, corpus.vocab, corpus.max_length)}


def embedding_state(spec: Any, corpus: Any, shape: Any, mean: np.ndarray, scale: float,
                    identity: dict[str, Any]) -> dict[str, Any]:
    return {**_common(spec, corpus, shape), "mean": np.asarray(mean, dtype=np.float64).tolist(),
            "scale": float(scale), "encoder": dict(identity)}


def _common(spec: Any, corpus: Any, shape: Any) -> dict[str, Any]:
    return {"format": FORMAT, "backbone": spec.backbone, "vocab_size": int(shape.vocab_size),
            "eos_id": int(shape.eos_id), "input_dim": None if shape.input_dim is None else int(shape.input_dim),
            "class_names": list(getattr(corpus, "class_names", ()) or ()), "corpus_checksum": corpus.checksum,
            "train_id": spec.train_id}


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
