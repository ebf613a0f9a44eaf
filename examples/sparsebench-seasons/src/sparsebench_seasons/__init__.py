"""A corpus plugin for sparsebench: sentences about the four seasons, generated from a fixed seed.

Why a plugin: it shows everything a third party needs to add a corpus without editing sparsebench: one
:class:`tasks.corpora.CorpusInfo` (name, description, classes, length limit, and the loader), a
loader that reads the splits it is asked for and returns a :class:`tasks.corpora.Corpus` through
sparsebench's own assembly (vocabulary, indexing, truncation counted), and one entry point.  The
sentences mix words of their season with words every season shares, so a useful encoder must beat
chance on it, and real English words, so a frozen sentence encoder reads it too.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from tasks.corpora import CorpusInfo
from tasks.corpora.assemble import RawSplit, assemble, requested_splits
from tasks.corpora.base import Corpus

__version__ = "0.1.0"

SEASONS_WORDS = {
    "spring": "blossom rain tulips lambs planting buds daffodils showers nests seedlings april meadow",
    "summer": "sunshine beach holiday swimming heat picnic ice cream sandals tan july barbecue",
    "autumn": "leaves harvest pumpkins fog apples conkers october chestnuts rake mushrooms acorns wind",
    "winter": "snow frost ice scarf fireplace sledge december cold gloves skating snowman blizzard",
}
SHARED = "the a we our in on and with went saw walked felt day morning evening park garden town friends".split()
SIZES = {"train": 400, "valid": 80, "test": 80}
MAX_LENGTH = 16
SEED = 2024


def _split(name: str) -> RawSplit:
    """``SIZES[name]`` sentences, balanced over the seasons, from a seed of their own (each split the same
    whatever other splits are read)."""
    rng = np.random.default_rng([SEED, list(SIZES).index(name)])
    classes = list(SEASONS_WORDS)
    labels = np.arange(SIZES[name]) % len(classes)
    rng.shuffle(labels)
    texts = []
    for label in labels:
        own = SEASONS_WORDS[classes[label]].split()
        length = int(rng.integers(5, 12))
        words = [rng.choice(own) if rng.random() < 0.45 else rng.choice(SHARED) for _ in range(length)]
        texts.append(" ".join(words))
    where = Path(f"seasons-generated-{name}")
    return RawSplit(name, texts, labels.astype(np.int64), where, where)


def load_seasons(data_dir: object = None, splits: tuple[str, ...] | None = None, max_length: int | None = None,
                 **_: object) -> Corpus:
    """The splits asked for (training split first), assembled as sparsebench assembles its file corpora."""
    names = requested_splits(splits)
    return assemble("seasons", [_split(n) for n in names], class_names=tuple(SEASONS_WORDS),
                    max_length=max_length or MAX_LENGTH, source=f"sparsebench-seasons {__version__}, seed {SEED}")


SEASONS = CorpusInfo(
    "seasons", f"sentences about the four seasons (generated, seed {SEED}): 4 classes, "
               f"{'/'.join(str(n) for n in SIZES.values())} sentences",
    load_seasons, class_names=tuple(SEASONS_WORDS), max_length=MAX_LENGTH)
