"""yahoo and dbpedia in the HSVAE authors' layout: ``{split}.txt``, ``{split}_class_label.txt``, ``vocab.txt``.

Texts are already tokenised, lower-cased and ``_UNK``-ed; one sentence a line, its class id on the
same line of the label file.  Only the requested splits are read, so a missing ``train.txt`` matters
only when the training split is ``train``.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Sequence

from tasks.corpora.assemble import RawSplit, assemble, requested_splits
from tasks.corpora.base import Corpus
from tasks.corpora.datadir import describe_data_dir, download_hint, resolve_data_dir
from tasks.corpora.files import find_file, read_lines, require_file
from tasks.corpora.labels import check_same_count, parse_int_labels
from tasks.corpora.vocab import shipped_vocab
from tasks.errors import CorpusError


@dataclass(frozen=True)
class HsvaeCorpus:
    name: str
    max_length: int  # tokens, not counting <EOS> (Table 2's maximum)
    class_names: tuple[str, ...]
    description: str


YAHOO = HsvaeCorpus(
    "yahoo", 30,
    ("Society & Culture", "Science & Mathematics", "Health", "Education & Reference", "Computers & Internet",
     "Sports", "Business & Finance", "Entertainment & Music", "Family & Relationships", "Politics & Government"),
    "Yahoo Answers question titles (HSVAE files): 10 classes, 100K/10K/10K, max 30 tokens",
)
DBPEDIA = HsvaeCorpus(
    "dbpedia", 60,
    ("Company", "EducationalInstitution", "Artist", "Athlete", "OfficeHolder", "MeanOfTransportation", "Building",
     "NaturalPlace", "Village", "Animal", "Plant", "Album", "Film", "WrittenWork"),
    "DBpedia abstracts' first sentences (HSVAE files): 14 classes, 140K/14K/14K, max 60 tokens",
)


def load_hsvae(spec: HsvaeCorpus, data_dir: os.PathLike[str] | str | None = None,
               splits: Sequence[str] | None = None, max_length: int | None = None) -> Corpus:
    """Load ``splits`` (training split first; default train, valid, test) of an HSVAE-layout corpus."""
    names = requested_splits(splits)
    folder = resolve_data_dir(data_dir) / spec.name
    if not folder.is_dir():
        raise CorpusError(f"no {spec.name} corpus at {folder}: {download_hint(spec.name, 'all', data_dir)}")
    limit = max_length or spec.max_length
    raw = []
    for split in names:
        text_path = require_file(folder, f"{split}.txt", download_hint(spec.name, split, data_dir))
        label_path = require_file(folder, f"{split}_class_label.txt", download_hint(spec.name, split, data_dir))
        texts = read_lines(text_path)
        label_lines = read_lines(label_path)
        check_same_count(text_path, len(texts), label_path, len(label_lines))
        labels = parse_int_labels(label_lines, label_path, len(spec.class_names))
        raw.append(RawSplit(split, texts, labels, text_path, label_path))
    vocab_path = find_file(folder, "vocab.txt")
    vocab = shipped_vocab(vocab_path) if vocab_path else None
    note = f"shipped {vocab_path.name}: {len(vocab) - 2:,} words, sorted, + <pad> = 0 and <EOS>" if vocab else ""
    return assemble(spec.name, raw, class_names=spec.class_names, max_length=limit, vocab=vocab, vocab_note=note,
                    source=f"{spec.name} in {describe_data_dir(data_dir)}")
