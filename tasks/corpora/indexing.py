"""From sentences (strings) to a :class:`Split` of int32 token ids, fast and compact.

Ids go straight into an ``array('i')`` through one dict lookup per token (``map(dict.get, …)``), so no
per-token Python object outlives its sentence: 100K reviews × 96 tokens index in seconds and take
~40 MB.  Sentences longer than the corpus's limit are cut and *counted* (``Split.truncated``).
"""
from __future__ import annotations

from array import array
from itertools import repeat
from typing import Callable, Iterable, Mapping

import numpy as np

from tasks.corpora.base import Split


def encode_split(texts: Iterable[str], labels: np.ndarray, index: Mapping[str, int], *, eos: int, unk: int,
                 max_length: int, tokenize: Callable[[str], list[str]] = str.split) -> Split:
    """Token ids (``<EOS>`` appended) for each text; ``max_length`` counts tokens *before* ``<EOS>``."""
    ids = array("i")
    lengths = array("q")
    truncated = 0
    lookup = index.get
    for text in texts:
        tokens = tokenize(text)
        if len(tokens) > max_length:
            tokens = tokens[:max_length]
            truncated += 1
        ids.extend(map(lookup, tokens, repeat(unk)))
        ids.append(eos)
        lengths.append(len(tokens) + 1)
    offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(np.frombuffer(lengths, dtype=np.int64), out=offsets[1:])
    return Split(ids=np.frombuffer(ids, dtype=np.int32), offsets=offsets,
                 labels=np.asarray(labels, dtype=np.int64), truncated=truncated)
