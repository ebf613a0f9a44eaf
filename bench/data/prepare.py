"""A cell's data: its corpus splits read and prepared exactly as its config says.

The seeded training subsample, the vocabulary restricted to the most frequent training words (text
backbone) or the frozen encoder's embeddings centred and scaled (embedding backbone): one function,
used by method cells, reference cells, ``bench profile`` and ``bench.use`` alike, so that every
number is computed on the same data.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from bench.config.spec import RunSpec

@dataclass(frozen=True)
class DataShape:
    """What a model needs to know about its data: vocabulary, ``<EOS>`` id, embedding size (embedding backbone)."""

    vocab_size: int
    eos_id: int
    input_dim: int | None = None


#: Independent random streams of a cell's seed: the training subsample and the batch order.
SUBSAMPLE_STREAM, BATCH_STREAM = 0, 1


def load_data(spec: RunSpec, corpus_options: dict[str, Any] | None, say: Callable[[str], None],
              device: str = "cpu", *, with_test: bool = True, encoding_out: dict[str, Any] | None = None):
    """(data shape, train split, test split, provenance): the cell's data, subsampled, with the vocabulary
    restricted and the sentences embedded as its config says (on ``device``, the cell's own, when the
    embeddings are not cached yet).  ``with_test=False`` (``bench profile``) reads the training split
    alone; the test split is then None.  ``encoding_out``: see :func:`prepare_data`."""
    from tasks.corpora import load_corpus

    splits = (spec.train_split, "test") if with_test else (spec.train_split,)
    # only the splits this cell reads: a missing train file matters only when training on it
    corpus = load_corpus(spec.corpus, **{"splits": splits, **(corpus_options or {})})
    test_split = corpus.split("test") if with_test else None
    return prepare_data(spec, corpus, corpus.split(spec.train_split), test_split, corpus_options, say, device,
                        encoding_out=encoding_out)


def prepare_data(spec: RunSpec, corpus: Any, train_split: Any, test_split: Any, corpus_options: dict[str, Any] | None,
                 say: Callable[[str], None], device: str = "cpu", *, encoding_out: dict[str, Any] | None = None):
    """The cell's data from its splits: what :func:`load_data` returns, for a corpus's splits or (``bench
    profile`` without the files) splits shaped like it; ``corpus`` needs ``vocab_size``, ``eos_id``,
    ``vocab``, ``checksum`` and ``source`` (and the texts, on the embedding backbone).

    ``encoding_out``, when given, is filled with what encoding new text needs (the vocabulary after
    ``max_vocab``, or the centring mean and scale: :mod:`bench.use.state`), which the driver stores
    beside the weights; it is not part of the record."""
    from bench.data.batches import PaddedSplit, restrict_vocabulary

    train_cfg = spec.config["train"]
    rng = np.random.default_rng(np.random.SeedSequence([spec.seed, SUBSAMPLE_STREAM]))
    cap = train_cfg["max_train_sentences"]
    index = None
    if cap and len(train_split) > cap:
        index = np.sort(rng.choice(len(train_split), cap, replace=False))
        train_split = train_split.subset(index)
    info: dict[str, Any] = {"corpus_checksum": corpus.checksum, "corpus_source": corpus.source,
                            "train_sentences": len(train_split),
                            "test_sentences": len(test_split) if test_split is not None else 0}
    shape = DataShape(corpus.vocab_size, corpus.eos_id)
    others = [test_split] if test_split is not None else []
    if spec.backbone != "embedding":
        words = corpus.vocab
        if train_cfg.get("max_vocab"):
            from tasks.corpora.base import UNK

            unrestricted = train_split
            train_split, others, size, eos, note = restrict_vocabulary(
                train_split, others, eos_id=corpus.eos_id, unk_id=corpus.vocab.index(UNK),
                max_vocab=train_cfg["max_vocab"])
            shape = DataShape(size, eos)
            info["vocabulary"] = note
            say(f"vocabulary: the {note['kept_words']} most frequent training words + _UNK "
                f"({note['train_token_coverage']:.1%} of training tokens kept)")
            if encoding_out is not None:
                from bench.data.encoding_state import restricted_words

                words = restricted_words(corpus.vocab, unrestricted, train_split, size)
        if encoding_out is not None:
            from bench.data.encoding_state import text_state

            encoding_out.update(text_state(spec, corpus, shape, words))
        return shape, PaddedSplit(train_split), (PaddedSplit(others[0]) if others else None), info
    from bench.encoders.cache import embed_split
    from bench.encoders.identity import resolve_encoder

    cache_dir = (corpus_options or {}).get("cache_dir")
    encoder = resolve_encoder(spec.encoder, cache_dir=cache_dir)
    expected = spec.config.get("encoder")
    if isinstance(expected, dict) and encoder.model_identity != expected:
        now = encoder.model_identity
        changed = sorted(k for k in {*expected, *now} if expected.get(k) != now.get(k))
        raise RuntimeError(f"encoder {spec.encoder!r} changed after the run resolved it ({', '.join(changed)} differ): "
                           "its files were replaced while the grid ran; run again to train on the new weights")
    train_emb = embed_split(encoder, corpus, spec.train_split, cache_dir=cache_dir, device=device)
    test_emb = embed_split(encoder, corpus, "test", cache_dir=cache_dir, device=device) if others else None
    train_x = train_emb.embeddings if index is None else train_emb.embeddings[index]
    # centred on the training mean, then one scalar so that the mean squared norm (the total variance)
    # on the training split equals the dimension: every method starts at a sensible scale with unit
    # variance per coordinate on average, and a model that outputs 0 already predicts the mean (as
    # Gao et al. start b_pre at the data's geometric median).  Without centring, an encoder whose
    # embeddings share a large common component (mean pooling without normalisation, a random
    # model) leaves almost no variance to model after scaling.  FVU and the probes are unchanged by it.
    mean = train_x.astype(np.float64).mean(0)
    centred = train_x.astype(np.float64) - mean
    total = float(np.mean(np.sum(centred ** 2, axis=1)))
    scale = math.sqrt(train_x.shape[1] / total) if total > 0 else 1.0

    def transform(x: np.ndarray) -> np.ndarray:
        return ((x.astype(np.float64) - mean) * scale).astype(np.float32)

    info["embed_seconds"] = round(sum(e.provenance.get("seconds", 0.0) for e in (train_emb, test_emb) if e), 3)
    info["encoder"] = {**train_emb.provenance, "scale": scale, "centred": True, "mean_norm": float(np.linalg.norm(mean)),
                       **({"test_cache": test_emb.provenance.get("cache_sha256")} if test_emb is not None else {})}
    say(f"embeddings: {spec.encoder}, dim {train_x.shape[1]}, centred (mean norm {np.linalg.norm(mean):.3g}), "
        f"scaled ×{scale:.4g}")
    shape = DataShape(corpus.vocab_size, corpus.eos_id, int(train_x.shape[1]))
    if encoding_out is not None:
        from bench.data.encoding_state import embedding_state

        encoding_out.update(embedding_state(spec, corpus, shape, mean, scale,
                                            expected if isinstance(expected, dict) else encoder.model_identity))
    test = PaddedSplit(others[0], transform(test_emb.embeddings)) if test_emb is not None else None
    return shape, PaddedSplit(train_split, transform(train_x)), test, info
