"""Reference cells: the non-learned rows scored beside the methods, run and stored like every other cell.

For every corpus (and seed, training subsample and latent size) of a run, ``bench run`` adds the
references of each track the run uses: ``tfidf``, ``tfidf-svd`` and ``untrained`` beside the text
backbone, ``embedding`` and ``embedding-pca`` beside the embedding backbone.  Each is declared once
(:class:`tasks.references.ReferenceInfo`) with its own compute function; those numpy can compute
are declared in :mod:`tasks.references`, and ``untrained``, whose code is a model's, here.  A
:class:`ReferenceCell` implements the cell protocol (:mod:`bench.cells.protocol`): the driver plans,
executes (in this process, in worker processes, on GPUs, on Dask) and stores it like a method cell.

A reference reads its data through the cells' own :func:`bench.data.prepare.load_data` (the same
seeded training subsample, vocabulary restriction and scaled embeddings as the cells it stands
beside) and is scored by the same scorers and probe protocol with the same seed; ``untrained`` is the
``ae`` method's model exactly as a cell builds it before its first step, scored by
:func:`bench.cells.evaluate.score_model` itself.

A reference's identity is a hash of its name, the corpus and its checksum, the training split and
subsample, the latent size (or the untrained model's configuration), the seed, the encoder's
identity on the embedding track, the scoring settings and :data:`tasks.references.REFERENCE_VERSION`
(and the preset name, so the row is labelled with its run's preset).  Records live beside the
cells under ``runs/`` (``ref-<name>-<corpus>-seed<s>-<id>``), with ``"reference": {...}`` marking
them: the leaderboard shows them as reference rows and never ranks them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Callable, ClassVar, Mapping, Sequence

import numpy as np

from bench.cells.method import MethodCell
from bench.cells.protocol import CellResult, CellRun, run_guarded
from bench.config.spec import RunSpec, digest, safe_name
from bench.data.prepare import CellData, DataOptions, load_data
from bench.store.record import Record
from tasks.references import REFERENCE_VERSION, REFERENCES as NUMPY_REFERENCES, ReferenceInfo, ReferenceOutput
from tasks.scoring import SCORING_VERSION, ScoringConfig

#: The method whose untrained model is the ``untrained`` reference (its code is the backbone's own).
UNTRAINED_METHOD = "ae"
_BACKBONE_SIZES = ("embed_dim", "hidden_dim", "latent_dim", "embed_layers")


def latent_size(cell: MethodCell) -> int:
    """The code size a reference beside ``cell`` projects to: the active dimensions its method is compared
    at, as the method declares them (``latent_dim``, or a sparse autoencoder's active latents: its
    ``latent_dim`` is its dictionary; :meth:`methods.declare.MethodIdentity.code_budget`)."""
    from methods.registry import get_method

    entry = get_method(cell.spec.method)
    identity = entry.identity if entry.identity is not None else entry.load().identity()
    return identity.code_budget(cell.config["method_config"])


def untrained_model_cell(source: MethodCell) -> MethodCell:
    """The ``ae`` cell with ``source``'s backbone sizes: whose model, before its first step, is ``untrained``."""
    cfg = {**source.config["method_config"], "latent_dim": latent_size(source)}
    sizes = tuple((f"{UNTRAINED_METHOD}.{k}", str(cfg[k])) for k in _BACKBONE_SIZES if k in cfg)
    spec = RunSpec(UNTRAINED_METHOD, source.spec.corpus, source.spec.seed, source.spec.preset,
                   tuple(sorted(set(source.spec.overrides) | set(sizes))), source.spec.train_split)
    return MethodCell.resolve(spec)


def untrained_reference(data: "_Data") -> ReferenceOutput:
    """``ae`` built as a method cell builds it (same seed, same call), scored without training."""
    import torch

    from bench.cells.evaluate import model_metrics, score_model
    from bench.cells.models import build_model
    from methods.registry import get_method

    cell = data.cell
    cls = get_method(cell.spec.method).load()
    torch.manual_seed(cell.spec.seed)
    model = build_model(cell.spec.method, cell.config["method_config"], data.prepared.shape)
    scores = score_model(model, data.prepared.train, data.prepared.test, seed=cell.spec.seed, config=data.scoring,
                         batch_size=cell.config["train"]["eval_batch_size"], device=torch.device("cpu"))
    return ReferenceOutput(model_metrics(cls, scores))


@dataclass(frozen=True)
class ModelReference(ReferenceInfo):
    """A reference whose codes are a model's: ``model_of`` names the cell whose model (and data) it reads."""

    model_of: Callable[[MethodCell], MethodCell] = field(compare=False, repr=False)


UNTRAINED = ModelReference("untrained", "text", "the text backbone at random init (ae's code before training, seeded)",
                           True, untrained_reference, untrained_model_cell)

#: Every reference, in the order they are listed and run: each track's numpy references, then the models'.
REFERENCES: dict[str, ReferenceInfo] = {
    **{n: r for n, r in NUMPY_REFERENCES.items() if r.track == "text"}, UNTRAINED.name: UNTRAINED,
    **{n: r for n, r in NUMPY_REFERENCES.items() if r.track != "text"}}


def references_for_track(track: str) -> list[str]:
    return [r.name for r in REFERENCES.values() if r.track == track]


def reference_config(info: ReferenceInfo, source: MethodCell, model: MethodCell) -> dict[str, Any]:
    """Everything that determines a reference's numbers, except the data checksums (see :attr:`ReferenceCell.cell_id`)."""
    src = model.config
    train = src["train"]
    spec = source.spec
    config: dict[str, Any] = {
        "reference": info.name, "reference_protocol": REFERENCE_VERSION, "scoring_protocol": SCORING_VERSION,
        "corpus": spec.corpus, "train_split": spec.train_split, "seed": spec.seed,
        "preset": spec.preset, "eval": src["eval"],
        "train": {"max_train_sentences": train["max_train_sentences"]},
        "method_config": {},
    }
    if info.track == "text":
        config["train"]["max_vocab"] = train["max_vocab"]
    if isinstance(info, ModelReference):
        config["method"] = model.spec.method
        config["method_config"] = src["method_config"]
        config["training_protocol"] = src["protocol"]
    elif info.uses_latent_dim:
        config["method_config"] = {"latent_dim": latent_size(model)}
    if spec.encoder:
        config["encoder"] = spec.encoder
    return config


@dataclass(frozen=True, eq=False)
class ReferenceCell:
    """One reference beside the cell ``source`` (whose corpus, seed, preset, split, sizes and encoder it takes).

    ``model`` is the cell whose data (and, for a model's reference, model) it reads: ``source`` itself,
    or for ``untrained`` the ``ae`` cell with the source's sizes; ``checksums`` are the corpus checksum
    (and the encoder's identity key), read once per run by :class:`Checksums`.
    """

    name: str
    source: MethodCell
    checksums: Mapping[str, Any]
    model: MethodCell
    #: everything that determines the reference's numbers but the data checksums (:func:`reference_config`)
    config: dict[str, Any]
    kind: ClassVar[str] = "reference"
    trains: ClassVar[bool] = False
    model_dirname: ClassVar[None] = None

    @classmethod
    def beside(cls, name: str, source: MethodCell, checksums: Mapping[str, Any]) -> "ReferenceCell":
        info = REFERENCES[name]
        model = info.model_of(source) if isinstance(info, ModelReference) else source
        return cls(name, source, dict(checksums), model, reference_config(info, source, model))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ReferenceCell) and self.cell_id == other.cell_id

    def __hash__(self) -> int:
        return hash(self.cell_id)

    @property
    def info(self) -> ReferenceInfo:
        return REFERENCES[self.name]

    @cached_property
    def key(self) -> str:
        """What tells two references apart within one run (its corpus's checksums are the run's)."""
        return digest(self.config)

    @cached_property
    def cell_id(self) -> str:
        """The record id: :attr:`config` plus the corpus checksum (and the encoder's identity key)."""
        return digest({**self.config, "checksums": dict(self.checksums)})

    @property
    def dirname(self) -> str:
        spec = self.source.spec
        return f"ref-{safe_name(self.name)}-{safe_name(spec.corpus)}-seed{spec.seed}-{self.cell_id}"

    def describe(self) -> str:
        latent = self.config["method_config"].get("latent_dim")
        size = f", latent {latent}" if latent is not None and self.info.uses_latent_dim else ""
        spec = self.source.spec
        enc = f", encoder {spec.encoder}" if spec.encoder else ""
        return f"reference {self.name} on {spec.corpus} (seed {spec.seed}, preset {spec.preset}{size}{enc})"

    # -- travel ----------------------------------------------------------------------------------
    def to_payload(self) -> dict[str, Any]:
        return {"kind": self.kind, "name": self.name, "source": self.source.to_payload(),
                "model": self.model.to_payload(), "checksums": dict(self.checksums), "config": self.config}

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> "ReferenceCell":
        return cls(payload["name"], MethodCell.from_payload(payload["source"]), payload["checksums"],
                   MethodCell.from_payload(payload["model"]), payload["config"])

    # -- results ---------------------------------------------------------------------------------
    def _record(self, **fields: Any) -> Record:
        spec = self.source.spec
        as_spec = {"method": self.name, "corpus": spec.corpus, "seed": spec.seed, "preset": spec.preset,
                   "train_split": spec.train_split, **({"encoder": spec.encoder} if spec.encoder else {})}
        reference = {"name": self.name, "track": self.info.track, "description": self.info.description,
                     "stands_beside": self.source.describe()}
        return Record(self.cell_id, as_spec, self.config, reference=reference, **fields)

    def failed(self, error: str, log: str = "") -> CellResult:
        from bench.store.provenance import now

        return CellResult(self._record(status="failed", error=error, traceback="", finished=now()), log)

    def run(self, run: CellRun) -> CellResult:
        """The reference's codes, scored by the methods' scorers, with provenance; a failed record when it fails."""
        return run_guarded(run, lambda say, started: self._compute(run, say, started), self._record)

    def _compute(self, run: CellRun, say: Callable[[str], None], started: str) -> CellResult:
        from bench.store import provenance
        from tasks.metrics import scorer_signature

        data = _Data.of(self, run, say)
        out = self.info.compute(data)
        head = out.metrics["modes"][out.metrics["default_mode"]]
        say(f"{self.describe()}: acc={head.get('probe_accuracy', float('nan')):.3f} "
            f"AH={head.get('avg_hoyer', float('nan')):.3f}")
        return CellResult(self._record(
            status="ok", scorers=scorer_signature(), metrics=out.metrics, started=started,
            provenance={"seed": self.source.spec.seed, "checksums": dict(self.checksums), **data.prepared.info,
                        "reference": out.details, "versions": provenance.package_versions(),
                        "git_commit": provenance.git_commit()}))


def _data_key(cell: MethodCell) -> str:
    """What decides a cell's data in :func:`bench.data.prepare.load_data`: corpus, split, seed, subsample,
    vocabulary, encoder."""
    train = cell.config["train"]
    return digest({"corpus": cell.spec.corpus, "split": cell.spec.train_split, "seed": cell.spec.seed,
                   "backbone": cell.backbone, "max_train_sentences": train["max_train_sentences"],
                   "encoder": cell.spec.encoder, "max_vocab": train["max_vocab"] if cell.backbone == "text" else 0})


#: The last data a process prepared for references, and what its references share (the TF-IDF): the
#: references of one cell run one after another in a process, so they read and embed it once, and
#: memory stays bounded (one cell's data at a time).
_LAST: dict[str, tuple[CellData, dict[str, Any]]] = {}


@dataclass
class _Data:
    """:class:`tasks.references.ReferenceData` from a cell's prepared data."""

    cell: MethodCell
    prepared: CellData
    seed: int
    scoring: ScoringConfig
    latent_dim: int
    memo: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, ref: ReferenceCell, run: CellRun, say: Callable[[str], None]) -> "_Data":
        key = _data_key(ref.model)
        if key not in _LAST:
            _LAST.clear()
            _LAST[key] = load_data(ref.model, DataOptions(run.corpus_options, run.device, say=say)), {}
        prepared, memo = _LAST[key]
        return cls(ref.model, prepared, ref.source.spec.seed, ScoringConfig.from_dict(ref.config["eval"]),
                   int(ref.config["method_config"].get("latent_dim") or 0), memo)

    @property
    def train_labels(self) -> np.ndarray:
        return self.prepared.train.labels

    @property
    def test_labels(self) -> np.ndarray:
        return self.prepared.test.labels

    def documents(self, split: str) -> list[np.ndarray]:
        """Each sentence's token ids without ``<EOS>`` (a PaddedSplit row cut to its length)."""
        data, eos = getattr(self.prepared, split), self.prepared.shape.eos_id
        return [row[:n][row[:n] != eos] for row, n in zip(data.padded, data.lengths)]

    def inputs(self, split: str) -> np.ndarray:
        return getattr(self.prepared, split).inputs


class Checksums:
    """Corpus checksums (and encoder identity keys) of a run's references, each corpus read once."""

    def __init__(self, corpus_options: Mapping[str, Any]) -> None:
        self.options = dict(corpus_options)
        self.corpora: dict[tuple[str, str], str] = {}

    def __call__(self, source: MethodCell) -> dict[str, Any]:
        from tasks.corpora import load_corpus

        key = (source.spec.corpus, source.spec.train_split)
        if key not in self.corpora:
            corpus = load_corpus(source.spec.corpus, **{"splits": (source.spec.train_split, "test"), **self.options})
            self.corpora[key] = corpus.checksum
        out: dict[str, Any] = {"corpus": self.corpora[key]}
        if isinstance(source.config.get("encoder"), dict):
            from bench.encoders.identity import identity_key

            out["encoder"] = identity_key(source.config["encoder"])  # what the model computes, resolved once
        return out


def references_for(cells: Sequence[MethodCell], checksums: Callable[[MethodCell], Mapping[str, Any]]
                   ) -> list[ReferenceCell]:
    """The references that stand beside ``cells``: each track's, once per distinct configuration."""
    out: dict[str, ReferenceCell] = {}
    for cell in cells:
        for name in references_for_track(cell.backbone):
            ref = ReferenceCell.beside(name, cell, checksums(cell))
            out.setdefault(ref.key, ref)
    return list(out.values())
