"""Named corpora: the built-in catalogue, lookup with helpful errors, and loading."""
from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Callable

from tasks.corpora.base import Corpus, Split
from tasks.errors import CorpusError


@dataclass(frozen=True)
class CorpusInfo:
    name: str
    description: str
    loader: Callable[..., Corpus]


def _synthetic(**_: object) -> Corpus:
    from tasks.corpora.synthetic import make_synthetic

    return make_synthetic()


CORPORA: dict[str, CorpusInfo] = {
    "synthetic": CorpusInfo("synthetic", "built-in, generated offline from seed 0: 4 classes, 4000/800/800 sentences",
                            _synthetic),
}


def did_you_mean(name: str, choices) -> str:
    close = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def corpus_info(name: str) -> CorpusInfo:
    if name not in CORPORA:
        raise CorpusError(
            f"unknown corpus {name!r}{did_you_mean(name, CORPORA)}; valid corpora: {', '.join(sorted(CORPORA))}"
        )
    return CORPORA[name]


def load_corpus(name: str, **options: object) -> Corpus:
    return corpus_info(name).loader(**options)


__all__ = ["CORPORA", "Corpus", "CorpusInfo", "Split", "corpus_info", "load_corpus", "did_you_mean"]
