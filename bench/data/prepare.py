"""A cell's data: its corpus splits read and prepared exactly as its config says.

The seeded training subsample, the vocabulary restricted to the most frequent training words (text
backbone) or the frozen encoder's embeddings centred and scaled (embedding backbone): one function,
used by method cells, reference cells, ``bench profile`` and ``bench.use`` alike, so that every
number is computed on the same data.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Mapping, Protocol

import numpy as np

from bench.config.spec import RunSpec

if TYPE_CHECKING:
    from bench.data.batches import PaddedSplit


@dataclass(frozen=True)
class DataShape:
    """What a model needs to know about its data: vocabulary, ``<EOS>`` id, embedding size (embedding backbone)."""

    vocab_size: int
    eos_id: int
    input_dim: int | None = None


#: Independent random streams of a cell's seed: the training subsample and the batch order.
SUBSAMPLE_STREAM, BATCH_STREAM = 0, 1


class ForCell(Protocol):
    """What data preparation reads of a cell (:class:`bench.cells.method.MethodCell`)."""

    spec: RunSpec
    config: Mapping[str, Any]

    @property
    def backbone(self) -> str: ...

    @property
    def train_id(self) -> str: ...


@dataclass(frozen=True)
class DataOptions:
    """How a cell's data is read: loader options, the device that embeds, which parts are wanted."""

    #: corpus loader options (``data_dir``, ``cache_dir``)
    corpus_options: Mapping[str, Any] = field(default_factory=dict)
    #: where the frozen encoder embeds, when the embeddings are not cached yet (the cell's own device)
    device: str = "cpu"
    #: False (``bench profile``): read the training split alone; the test split is then None
    with_test: bool = True
    #: also make what encoding new text needs (:mod:`bench.data.encoding_state`): trained cells only
    with_encoding: bool = False
    say: Callable[[str], None] = lambda s: None


@dataclass
class CellData:
    """A cell's prepared data: the model's shape, the splits as batches, and where they came from."""

    shape: DataShape
    train: PaddedSplit
    test: PaddedSplit | None
    #: provenance of the data (checksums, sizes, vocabulary, encoder): part of the record
    info: dict[str, Any]
    #: what encoding new text needs, stored beside the weights (``with_encoding``); never in the record
    encoding: dict[str, Any] | None = None


def load_data(cell: ForCell, options: DataOptions = DataOptions()) -> CellData:
    """The cell's data, subsampled, with the vocabulary restricted and the sentences embedded as its
    config says."""
    from tasks.corpora import load_corpus

    split = cell.spec.train_split
    splits = (split, "test") if options.with_test else (split,)
    # only the splits this cell reads: a missing train file matters only when training on it
    corpus = load_corpus(cell.spec.corpus, **{"splits": splits, **options.corpus_options})
    test_split = corpus.split("test") if options.with_test else None
    return prepare_data(cell, corpus, corpus.split(split), test_split, options)


def prepare_data(cell: ForCell, corpus: Any, train_split: Any, test_split: Any,
                 options: DataOptions = DataOptions()) -> CellData:
    """The cell's data from its splits: what :func:`load_data` returns, for a corpus's splits or (``bench
    profile`` without the files) splits shaped like it; ``corpus`` needs ``vocab_size``, ``eos_id``,
    ``vocab``, ``checksum`` and ``source`` (and the texts, on the embedding backbone)."""
    index, train_split = _subsample(cell, train_split)
    info: dict[str, Any] = {"corpus_checksum": corpus.checksum, "corpus_source": corpus.source,
                            "train_sentences": len(train_split),
                            "test_sentences": len(test_split) if test_split is not None else 0}
    if cell.backbone == "embedding":
        return _embedded(cell, corpus, train_split, test_split, index, info, options)
    return _tokens(cell, corpus, train_split, test_split, info, options)


def _subsample(cell: ForCell, train_split: Any) -> tuple[np.ndarray | None, Any]:
    """(the kept rows or None, the split): the seeded subsample of ``max_train_sentences``."""
    cap = cell.config["train"]["max_train_sentences"]
    if not cap or len(train_split) <= cap:
        return None, train_split
    rng = np.random.default_rng(np.random.SeedSequence([cell.spec.seed, SUBSAMPLE_STREAM]))
    index = np.sort(rng.choice(len(train_split), cap, replace=False))
    return index, train_split.subset(index)


def _tokens(cell: ForCell, corpus: Any, train_split: Any, test_split: Any, info: dict[str, Any],
            options: DataOptions) -> CellData:
    """The text backbone's data: token ids, the vocabulary restricted to ``max_vocab`` training words."""
    from bench.data.batches import PaddedSplit, restrict_vocabulary
    from bench.data.encoding_state import restricted_words, text_state

    shape = DataShape(corpus.vocab_size, corpus.eos_id)
    others = [test_split] if test_split is not None else []
    words = corpus.vocab
    max_vocab = cell.config["train"].get("max_vocab")
    if max_vocab:
        from tasks.corpora.base import UNK

        unrestricted = train_split
        train_split, others, size, eos, note = restrict_vocabulary(
            train_split, others, eos_id=corpus.eos_id, unk_id=corpus.vocab.index(UNK), max_vocab=max_vocab)
        shape = DataShape(size, eos)
        info["vocabulary"] = note
        options.say(f"vocabulary: the {note['kept_words']} most frequent training words + _UNK "
                    f"({note['train_token_coverage']:.1%} of training tokens kept)")
        if options.with_encoding:
            words = restricted_words(corpus.vocab, unrestricted, train_split, size)
    encoding = text_state(cell, corpus, shape, words) if options.with_encoding else None
    return CellData(shape, PaddedSplit(train_split), PaddedSplit(others[0]) if others else None, info, encoding)


def _embedded(cell: ForCell, corpus: Any, train_split: Any, test_split: Any, index: np.ndarray | None,
              info: dict[str, Any], options: DataOptions) -> CellData:
    """The embedding backbone's data: the frozen encoder's embeddings (cached), centred and scaled.

    The encoder is found by the name the cell records and checked against the identity the driver
    resolved when it expanded the grid: files replaced while a grid runs are an error, not a silent
    change of the model a cell trains on."""
    from bench.data.batches import PaddedSplit
    from bench.data.encoding_state import embedding_state
    from bench.encoders.cache import embed_split
    from bench.encoders.identity import resolve_encoder

    name = cell.spec.encoder
    cache_dir = options.corpus_options.get("cache_dir")
    encoder = resolve_encoder(name, cache_dir=cache_dir)
    expected = cell.config.get("encoder")
    if isinstance(expected, dict) and encoder.model_identity != expected:
        now = encoder.model_identity
        changed = sorted(k for k in {*expected, *now} if expected.get(k) != now.get(k))
        raise RuntimeError(f"encoder {name!r} changed after the run resolved it ({', '.join(changed)} differ): "
                           "its files were replaced while the grid ran; run again to train on the new weights")
    train_emb = embed_split(encoder, corpus, cell.spec.train_split, cache_dir=cache_dir, device=options.device)
    test_emb = (embed_split(encoder, corpus, "test", cache_dir=cache_dir, device=options.device)
                if test_split is not None else None)
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

    embedded = [e for e in (train_emb, test_emb) if e is not None]
    info["embed_seconds"] = round(sum(e.provenance.get("seconds", 0.0) for e in embedded), 3)
    computed = [e for e in embedded if not e.from_cache]
    if computed:  # the first cell of a grid computes them for every other: its time is reported apart
        info["embed_computed_seconds"] = round(sum(e.provenance.get("seconds", 0.0) for e in computed), 3)
    info["encoder"] = {**train_emb.provenance, "scale": scale, "centred": True, "mean_norm": float(np.linalg.norm(mean)),
                       **({"test_cache": test_emb.provenance.get("cache_sha256")} if test_emb is not None else {})}
    how = (f"computed in {info['embed_computed_seconds']:.1f}s and cached" if computed
           else f"read from the cache in {info['embed_seconds']:.1f}s")
    options.say(f"embeddings: {name}, dim {train_x.shape[1]}, {how}, centred (mean norm {np.linalg.norm(mean):.3g}), "
                f"scaled ×{scale:.4g}")
    shape = DataShape(corpus.vocab_size, corpus.eos_id, int(train_x.shape[1]))
    encoding = (embedding_state(cell, corpus, shape, mean, scale,
                                expected if isinstance(expected, dict) else encoder.model_identity)
                if options.with_encoding else None)
    test = PaddedSplit(test_split, transform(test_emb.embeddings)) if test_emb is not None else None
    return CellData(shape, PaddedSplit(train_split, transform(train_x)), test, info, encoding)
