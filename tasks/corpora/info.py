"""The one description of a corpus: what loaders, ``bench data``, ``bench list`` and ``bench profile`` read.

A :class:`CorpusInfo` holds every fact about a corpus that is known before its files are read: its
name and one-line description, where it comes from, its class names, its length limit, the names of
its files (:class:`FileLayout`), where to download them and what they must hash to
(:class:`RemoteFile`), and the shape of its sentences (:class:`LengthShape`) for data shaped like it
when the files are absent.  Built-ins are declared in :mod:`tasks.corpora.catalogue`; a corpus plugin
may register the same object.  Keeping all of it in one frozen value is what stops two copies of a
fact (a file name, a checksum, a maximum length) from disagreeing.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Callable

from tasks.corpora.base import Corpus
from tasks.corpora.vocab import vocab_ids

DEFAULT_BASE_URL = "https://raw.githubusercontent.com"
SPLIT_FIELD = "{split}"


@dataclass(frozen=True)
class FileLayout:
    """File names inside ``<data dir>/<corpus>/``; ``{split}`` stands for ``train``, ``valid`` or ``test``.

    Every file may also be present gzip-compressed (``NAME.gz``).
    """

    text: str  # e.g. "{split}.txt": one sentence a line
    label: str | None = None  # e.g. "{split}_class_label.txt"; None: the label leads each text line
    vocab: str | None = None  # e.g. "vocab.txt": a shipped vocabulary, used when present

    def __post_init__(self) -> None:
        for kind, pattern in (("text", self.text), ("label", self.label)):
            if pattern is not None and SPLIT_FIELD not in pattern:
                raise ValueError(f"FileLayout.{kind} = {pattern!r} must contain {SPLIT_FIELD} "
                                 "(one file a split), e.g. '{split}.txt'")

    def text_file(self, split: str) -> str:
        return self.text.format(split=split)

    def label_file(self, split: str) -> str:
        """The file holding ``split``'s labels: its own label file, else the text file (label first)."""
        return (self.label or self.text).format(split=split)

    def names(self, splits: tuple[str, ...] = ("train", "valid", "test")) -> tuple[str, ...]:
        """Every file name this layout can hold, for checking that a download source belongs here."""
        files = [self.text_file(s) for s in splits] + [self.label_file(s) for s in splits]
        return tuple(dict.fromkeys(files + ([self.vocab] if self.vocab else [])))


@dataclass(frozen=True)
class RemoteFile:
    """One file to fetch: where it lives, what it is called here, and what it must hash to."""

    repo: str
    ref: str
    path: str
    name: str
    blob: str | None = None  # git blob id (sha1 of "blob <size>\0" + content)
    sha256: str | None = None

    def url(self, base_url: str = DEFAULT_BASE_URL) -> str:
        return f"{base_url.rstrip('/')}/{self.repo}/{self.ref}/{self.path}"


@dataclass(frozen=True)
class LengthShape:
    """Sentence lengths (tokens without ``<EOS>``) and vocabulary size of a corpus.

    ``bench profile`` draws synthetic sentences of this shape when the corpus's files are absent, so
    its throughput figures mean something on any machine.  ``words`` counts the vocabulary's distinct
    words, ``_UNK`` included; ``<pad>`` and ``<EOS>`` come on top, laid out as the loaders lay them out
    (:func:`tasks.corpora.vocab.vocab_ids`), so the model sees the real corpus's ``<EOS>`` id.
    """

    min_tokens: int
    mean_tokens: float
    max_tokens: int
    words: int

    def __post_init__(self) -> None:
        if not 0 < self.min_tokens < self.mean_tokens < self.max_tokens:
            raise ValueError(f"LengthShape needs 0 < min_tokens < mean_tokens < max_tokens, got {self.min_tokens}, "
                             f"{self.mean_tokens}, {self.max_tokens}")
        if self.words < 1:
            raise ValueError(f"LengthShape.words must be >= 1 (words in the vocabulary, _UNK included), got {self.words}")

    @property
    def vocab_size(self) -> int:
        return vocab_ids(self.words)[0]

    @property
    def eos_id(self) -> int:
        return vocab_ids(self.words)[1]


@dataclass(frozen=True)
class SplitsOnDisk:
    """``present(data_dir)`` derived from a layout: the standard splits whose text file is in ``<data dir>/<name>/``.

    A value rather than a closure, so that a description copied with another name or layout
    (``dataclasses.replace``) derives it again instead of keeping the old one.
    """

    name: str
    layout: FileLayout

    def __call__(self, data_dir: str | os.PathLike[str] | None = None) -> tuple[str, ...]:
        from tasks.corpora.assemble import present_splits
        from tasks.corpora.datadir import resolve_data_dir

        return present_splits(resolve_data_dir(data_dir) / self.name, self.layout.text)


@dataclass(frozen=True)
class CorpusInfo:
    """Everything known about a corpus before its files are read; built-ins and plugins alike.

    ``loader(**options) -> Corpus`` takes ``data_dir``, ``splits`` (training split first) and
    ``max_length`` and ignores options it does not use.  ``present(data_dir)`` names the splits whose
    files are on disk; it is derived from ``layout`` when not given, and None means the corpus is
    always complete (generated).  ``max_length`` counts tokens before ``<EOS>``.
    """

    name: str
    description: str
    loader: Callable[..., Corpus] = field(compare=False, repr=False)
    present: Callable[..., tuple[str, ...]] | None = field(default=None, compare=False, repr=False)
    origin: str = "built-in"
    class_names: tuple[str, ...] = ()
    max_length: int | None = None
    layout: FileLayout | None = None
    sources: tuple[RemoteFile, ...] = ()
    shape: LengthShape | None = None

    def __post_init__(self) -> None:
        if self.present is None or isinstance(self.present, SplitsOnDisk):
            derived = SplitsOnDisk(self.name, self.layout) if self.layout is not None else None
            object.__setattr__(self, "present", derived)
        if self.shape is not None and self.max_length is not None and self.shape.max_tokens > self.max_length:
            raise ValueError(f"corpus {self.name!r}: shape.max_tokens {self.shape.max_tokens} exceeds max_length "
                             f"{self.max_length}; sentences are cut to max_length, so the shape cannot be longer")
        if self.sources:
            if self.layout is None:
                raise ValueError(f"corpus {self.name!r} declares download sources but no FileLayout to put them in")
            known = self.layout.names()
            for remote in self.sources:
                if remote.name not in known:
                    raise ValueError(f"corpus {self.name!r}: source {remote.path!r} is saved as {remote.name!r}, "
                                     f"which its layout never reads; expected one of {', '.join(known)}")
                if remote.blob is None and remote.sha256 is None:
                    raise ValueError(f"corpus {self.name!r}: source {remote.name!r} has neither a git blob id nor a "
                                     "sha256; an unverifiable download is never accepted")


__all__ = ["CorpusInfo", "DEFAULT_BASE_URL", "FileLayout", "LengthShape", "RemoteFile"]
