"""The built-in ``synthetic`` corpus: generated from a seed, offline, with known class structure.

Each class has its own topical words (Zipf-distributed), all classes share function words, and a
little cross-class noise keeps the task from being trivial.  Because the generating process is
known, a useful encoder must beat chance on it, which makes it a real end-to-end check rather than
a fixture.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tasks.corpora.base import EOS, PAD, UNK, Corpus, Split


@dataclass(frozen=True)
class SyntheticSpec:
    n_classes: int = 4
    words_per_class: int = 40
    function_words: int = 30
    train_size: int = 4000
    valid_size: int = 800
    test_size: int = 800
    min_length: int = 5
    max_length: int = 20
    topical_fraction: float = 0.5
    noise: float = 0.1
    seed: int = 0

    @property
    def class_names(self) -> tuple[str, ...]:
        return tuple(f"class{c}" for c in range(self.n_classes))


def _zipf(n: int, s: float = 1.1) -> np.ndarray:
    w = 1.0 / np.arange(1, n + 1) ** s
    return w / w.sum()


def make_synthetic(spec: SyntheticSpec = SyntheticSpec()) -> Corpus:
    rng = np.random.default_rng(spec.seed)
    func = [f"fw{i}" for i in range(spec.function_words)]
    topical = [[f"c{c}w{i}" for i in range(spec.words_per_class)] for c in range(spec.n_classes)]
    vocab = (PAD, EOS, UNK, *func, *(w for ws in topical for w in ws))
    eos = 1
    func_ids = np.arange(3, 3 + spec.function_words)
    topic_base = 3 + spec.function_words + spec.words_per_class * np.arange(spec.n_classes)
    p_func, p_topic = _zipf(spec.function_words), _zipf(spec.words_per_class)

    def sentences(n: int) -> Split:
        labels = np.arange(n) % spec.n_classes
        rng.shuffle(labels)
        seqs = []
        for c in labels:
            length = int(rng.integers(spec.min_length, spec.max_length + 1))
            is_topic = rng.random(length) < spec.topical_fraction
            cls = np.where(rng.random(length) < spec.noise, rng.integers(0, spec.n_classes, length), c)
            words = np.where(
                is_topic,
                topic_base[cls] + rng.choice(spec.words_per_class, size=length, p=p_topic),
                rng.choice(func_ids, size=length, p=p_func),
            )
            seqs.append(np.append(words, eos))
        return Split.from_sequences(seqs, labels)

    splits = {"train": sentences(spec.train_size), "valid": sentences(spec.valid_size),
              "test": sentences(spec.test_size)}
    return Corpus(
        name="synthetic",
        vocab=vocab,
        splits=splits,
        class_names=spec.class_names,
        max_length=spec.max_length + 1,
        source=f"generated: {spec}",
    )
