"""The built-in corpora, each declared once: files, download sources with checksums, lengths, classes, shape.

Every fact about ``yahoo``, ``dbpedia``, ``yelp`` and ``synthetic`` is in its declaration below, and
only there: the loaders (:mod:`tasks.corpora.hsvae_format`, :mod:`tasks.corpora.yelp`) read their file
names, classes and length limit from it, ``bench data download`` its sources, ``bench profile`` its
shape, ``bench list corpora`` and ``bench data info`` its description (composed from the facts, so it
cannot disagree with them).  Blob ids are those of the files in the authors' repositories at the
pinned commits, as the repository listing gives them (VictorProkhorov/HSVAE @ bf5e561,
fangleai/Implicit-LVM); sha256 values are of the files' uncompressed bytes.  None is invented, which
is why the label and vocabulary files, whose blob ids were not read from the repository, carry only
a sha256 (see ``docs/corpora.md``).
"""
from __future__ import annotations

import importlib
from typing import Callable, Optional

from tasks.corpora.base import Corpus
from tasks.corpora.info import CorpusInfo, FileLayout, LengthShape, RemoteFile
from tasks.corpora.synthetic import SyntheticSpec
from tasks.corpora.vocab import DEFAULT_MAX_VOCAB

HSVAE_REPO = ("VictorProkhorov/HSVAE", "bf5e561ddb10a95c1ad69bb350e87c092e8c9cfa")
IMPLICIT_LVM_REPO = ("fangleai/Implicit-LVM", "master")

#: yahoo and dbpedia as the HSVAE authors ship them.
HSVAE_LAYOUT = FileLayout(text="{split}.txt", label="{split}_class_label.txt", vocab="vocab.txt")
#: Yang et al. 2017: the label leads every line; no vocabulary file (a vocab.txt beside them is used if present).
YELP_LAYOUT = FileLayout(text="yelp.{split}.txt", label=None, vocab="vocab.txt")

#: (git blob id, sha256) of one file; either may be unknown (None), never both.
Checks = tuple[Optional[str], Optional[str]]


def _files(repo: tuple[str, str], folder: str, checks: dict[str, Checks]) -> tuple[RemoteFile, ...]:
    """The files ``folder/NAME`` of ``repo`` (owner/name, commit), each saved as NAME and checked as given."""
    return tuple(RemoteFile(*repo, f"{folder}/{name}", name, blob, sha256) for name, (blob, sha256) in checks.items())


def _reads(target: str, name: str) -> Callable[..., Corpus]:
    """A loader that imports ``module:function`` only when called and hands it ``name``'s description.

    The description is looked up when the loader runs, so the function always reads the declaration
    that is registered (a test may swap one in), never a copy of its constants.
    """
    module, _, function = target.partition(":")

    def load(data_dir=None, splits=None, max_length=None, **_: object) -> Corpus:
        read = getattr(importlib.import_module(module), function)
        return read(BUILTIN_CORPORA[name], data_dir, splits, max_length)

    return load


def _file_corpus(name: str, about: str, *, reader: str, sizes: str, class_names: tuple[str, ...], max_length: int,
                 layout: FileLayout, shape: LengthShape, sources: tuple[RemoteFile, ...]) -> CorpusInfo:
    description = f"{about}: {len(class_names)} classes, {sizes}, max {max_length} tokens; bench data download {name}"
    return CorpusInfo(name, description, _reads(reader, name), class_names=class_names, max_length=max_length,
                      layout=layout, sources=sources, shape=shape)


def _synthetic(**_: object) -> Corpus:
    from tasks.corpora.synthetic import make_synthetic

    return make_synthetic(SYNTHETIC_SPEC)


SYNTHETIC_SPEC = SyntheticSpec()

SYNTHETIC = CorpusInfo(
    "synthetic",
    f"built-in, generated offline from seed {SYNTHETIC_SPEC.seed}: {SYNTHETIC_SPEC.n_classes} classes, "
    f"{SYNTHETIC_SPEC.train_size}/{SYNTHETIC_SPEC.valid_size}/{SYNTHETIC_SPEC.test_size} sentences",
    _synthetic, class_names=SYNTHETIC_SPEC.class_names, max_length=SYNTHETIC_SPEC.max_length,
)

YAHOO = _file_corpus(
    "yahoo", "Yahoo Answers question titles (HSVAE files)", reader="tasks.corpora.hsvae_format:load_hsvae",
    sizes="100K/10K/10K", max_length=30, layout=HSVAE_LAYOUT,
    # Zhang et al. 2015 order, class index minus one (inferred from the examples of each class)
    class_names=("Society & Culture", "Science & Mathematics", "Health", "Education & Reference",
                 "Computers & Internet", "Sports", "Business & Finance", "Entertainment & Music",
                 "Family & Relationships", "Politics & Government"),
    # Table 2; vocab.txt holds 20,000 distinct lines (one of them the empty string)
    shape=LengthShape(min_tokens=5, mean_tokens=12.4, max_tokens=30, words=20_000),
    sources=_files(HSVAE_REPO, "Data/New_Yahoo", {
        "train.txt": ("d2aafbc640f48d0c90fbe3318c59812c92782484", None),
        "valid.txt": ("88fa017b4e4b3fc3198fdbb2ce48b9abf914d16a",
                      "7606bdb2ba45a93bb5d34f61be13f55bcc2fac4c50551651642ea0d017a6c589"),
        "test.txt": ("2bb7ad12f719273b339220d1d230f0101160ee90",
                     "fec4ce3e72eea711eda9e1fd5722de8774be168f6dc1f54a411a7a643a27e0e6"),
        "train_class_label.txt": (None, "29275ceeb2a72406870843c1c8d3ae99955932025205f5f0c1b7dcf5482d6d29"),
        "valid_class_label.txt": (None, "e83ff91f64ebf38f9413ab07043768c070dbef5a60329fe8d285e54a4dc8cd2c"),
        "test_class_label.txt": (None, "3e83f5bb5eab810942ca0225ce49d0ecbe3c01dff438260ad636be00a27f59fe"),
        "vocab.txt": (None, "c8e82054092edbfc953bb9b8e52f6d983aefe57e853860ee88e9440f5a6dc706"),
    }),
)

DBPEDIA = _file_corpus(
    "dbpedia", "DBpedia sentences (HSVAE files)", reader="tasks.corpora.hsvae_format:load_hsvae",
    sizes="140K/14K/14K", max_length=60, layout=HSVAE_LAYOUT,
    class_names=("Company", "EducationalInstitution", "Artist", "Athlete", "OfficeHolder", "MeanOfTransportation",
                 "Building", "NaturalPlace", "Village", "Animal", "Plant", "Album", "Film", "WrittenWork"),
    shape=LengthShape(min_tokens=1, mean_tokens=35.3, max_tokens=60, words=20_000),
    sources=_files(HSVAE_REPO, "Data/New_DBPedia", {
        "train.txt": ("ed1e3fc01b05f9d33c7179ce8f07c6c66b9dd56a", None),
        "valid.txt": ("b4d70977a8dfd196e116e7033b4bcc838b34c6fb",
                      "06765314fa2761a8f8ec716723cf9cae96b44aedcefe76b77ddc16f734650d9f"),
        "test.txt": ("2ebafdffff0e80e6cf0a4eda3ce5b86500b9085b",
                     "a39faa91fedad14a4df9576c288d6f8569a66163cf6644ee88c355b13f1f9552"),
        "train_class_label.txt": (None, "45c98e778359d517320ca838be55e00f2e7306f7fee957cab46c4e4131697aa4"),
        # valid and test labels are byte-identical (both sorted 0..13, 1,000 each)
        "valid_class_label.txt": (None, "d605651fafa037419af6fabb9caf58f4c3e6584290a1696189addba6b81624ec"),
        "test_class_label.txt": (None, "d605651fafa037419af6fabb9caf58f4c3e6584290a1696189addba6b81624ec"),
        "vocab.txt": (None, "3853e00a6bd1011a5b266947f45d1d79bf6f4372d6cb4bc73c0131e3e67ffd5f"),
    }),
)

YELP = _file_corpus(
    "yelp", "Yelp reviews (Yang et al. 2017), star ratings", reader="tasks.corpora.yelp:load_yelp",
    sizes="100K/10K/10K", max_length=200, layout=YELP_LAYOUT,
    class_names=("0", "1", "2", "3", "4"),
    # no vocab.txt: the top DEFAULT_MAX_VOCAB words of the training split, _UNK included
    shape=LengthShape(min_tokens=20, mean_tokens=96.0, max_tokens=200, words=DEFAULT_MAX_VOCAB),
    sources=_files(IMPLICIT_LVM_REPO, "lang_model_yelp/data", {
        "yelp.train.txt": ("2c4c802349fd14b932d2dead17846ca6b4e1b870", None),
        "yelp.valid.txt": ("5280a264fbc11a7795cef76bb79541d67e65c568", None),
        "yelp.test.txt": ("8c61afcb9c034eb53cc390c315c276fbdbed5a19", None),
    }),
)

#: name → description of every built-in corpus; read at call time by the registry and the loaders.
BUILTIN_CORPORA: dict[str, CorpusInfo] = {c.name: c for c in (SYNTHETIC, YAHOO, DBPEDIA, YELP)}
