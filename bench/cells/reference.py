"""Reference rows: non-learned codes scored beside the methods, one record each, cached like cells.

For every corpus (and seed, training subsample and latent size) of a run, ``bench run`` stores the
references of each track the run uses: ``tfidf``, ``tfidf-svd`` and ``untrained`` beside the text
backbone, ``embedding`` and ``embedding-pca`` beside the embedding backbone (``tasks.references``).
A reference reads its data through the cell's own :func:`bench.cells.method.load_data` (the same seeded
training subsample, vocabulary restriction and scaled embeddings as the cells it stands beside) and
is scored by the same scorers and probe protocol with the same seed; ``untrained`` is the ``ae``
method's model exactly as a cell builds it before its first step, scored by
:func:`bench.cells.evaluate.score_model` itself.

A reference's identity is a hash of its name, the corpus and its checksum, the training split and
subsample, the latent size (or the untrained model's configuration), the seed, the encoder's
identity on the embedding track, the scoring settings and :data:`tasks.references.REFERENCE_VERSION`
(and the preset name, so the row is labelled with its run's preset).  Records live beside the
cells under ``runs/`` (``ref-<name>-<corpus>-seed<s>-<id>``), with ``"reference": {...}`` marking
them: the leaderboard shows them as reference rows and never ranks them.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Callable, Sequence

from bench.config.spec import RunSpec, digest, safe_name
from bench.store.results import Store
from tasks.references import REFERENCE_MODE, REFERENCE_VERSION, REFERENCES, references_for_track
from tasks.scoring import SCORING_VERSION

#: The method whose untrained model is the ``untrained`` reference (its code is the backbone's own).
UNTRAINED_METHOD = "ae"
_BACKBONE_SIZES = ("embed_dim", "hidden_dim", "latent_dim", "embed_layers")


def latent_size(method_config: dict[str, Any]) -> int:
    """The code size a reference projects to: ``latent_dim``, except for a sparse autoencoder (a config
    with ``k`` and ``expansion``), whose ``latent_dim`` is its dictionary and whose presets match ``k``,
    its active latents, to the other methods' ``latent_dim``."""
    if "k" in method_config and "expansion" in method_config:
        return int(method_config["k"])
    return int(method_config["latent_dim"])


@dataclass(frozen=True)
class ReferenceSpec:
    """One reference beside the cell ``source`` (whose corpus, seed, preset, split, sizes and encoder it takes)."""

    name: str
    source: RunSpec

    @property
    def info(self):
        return REFERENCES[self.name]

    @cached_property
    def model_spec(self) -> RunSpec:
        """The cell whose data (and, for ``untrained``, model) the reference reads: for ``untrained`` an
        ``ae`` cell with the source's backbone sizes; otherwise the source cell itself."""
        if self.name != "untrained":
            return self.source
        cfg = {**self.source.config["method_config"], "latent_dim": latent_size(self.source.config["method_config"])}
        sizes = tuple((f"{UNTRAINED_METHOD}.{k}", str(cfg[k])) for k in _BACKBONE_SIZES if k in cfg)
        return RunSpec(UNTRAINED_METHOD, self.source.corpus, self.source.seed, self.source.preset,
                       tuple(sorted(set(self.source.overrides) | set(sizes))), self.source.train_split)

    @cached_property
    def config(self) -> dict[str, Any]:
        """Everything that determines the reference's numbers, except the data checksums (see :meth:`identity`)."""
        src = self.model_spec.config
        train = src["train"]
        config: dict[str, Any] = {
            "reference": self.name, "reference_protocol": REFERENCE_VERSION, "scoring_protocol": SCORING_VERSION,
            "corpus": self.source.corpus, "train_split": self.source.train_split, "seed": self.source.seed,
            "preset": self.source.preset, "eval": src["eval"],
            "train": {"max_train_sentences": train["max_train_sentences"]},
            "method_config": {},
        }
        if self.info.track == "text":
            config["train"]["max_vocab"] = train["max_vocab"]
        if self.name == "untrained":
            config["method"] = UNTRAINED_METHOD
            config["method_config"] = src["method_config"]
            config["training_protocol"] = src["protocol"]
        elif self.info.uses_latent_dim:
            config["method_config"] = {"latent_dim": latent_size(src["method_config"])}
        if self.source.encoder:
            config["encoder"] = self.source.encoder
        return config

    def identity(self, checksums: dict[str, Any]) -> str:
        """The record id: :attr:`config` plus the corpus checksum (and the encoder's identity key)."""
        return digest({**self.config, "checksums": checksums})

    def dirname(self, ident: str) -> str:
        return f"ref-{safe_name(self.name)}-{safe_name(self.source.corpus)}-seed{self.source.seed}-{ident}"

    def describe(self) -> str:
        latent = self.config["method_config"].get("latent_dim")
        size = f", latent {latent}" if latent is not None and self.info.uses_latent_dim else ""
        enc = f", encoder {self.source.encoder}" if self.source.encoder else ""
        return (f"reference {self.name} on {self.source.corpus} (seed {self.source.seed}, preset "
                f"{self.source.preset}{size}{enc})")

    @property
    def key(self) -> str:
        return digest(self.config)


def references_for(specs: Sequence[RunSpec]) -> list[ReferenceSpec]:
    """The references that stand beside ``specs``: each track's, once per distinct configuration."""
    out: dict[str, ReferenceSpec] = {}
    for spec in specs:
        for name in references_for_track(spec.backbone):
            ref = ReferenceSpec(name, spec)
            out.setdefault(ref.key, ref)
    return list(out.values())


@dataclass
class ReferenceOutcome:
    ref: ReferenceSpec
    record: dict[str, Any] | None
    status: str  # "computed", "cached", "failed"
    error: str = ""


@dataclass
class ReferenceSummary:
    outcomes: list[ReferenceOutcome] = field(default_factory=list)

    def count(self, *statuses: str) -> int:
        return sum(o.status in statuses for o in self.outcomes)

    @property
    def failed(self) -> list[ReferenceOutcome]:
        return [o for o in self.outcomes if o.status == "failed"]

    @property
    def records(self) -> list[dict[str, Any]]:
        return [o.record for o in self.outcomes if o.record is not None]

    def line(self) -> str:
        text = f"references: {self.count('computed')} computed, {self.count('cached')} cached"
        if self.count("failed"):
            text += f", {self.count('failed')} failed"
        return text


class _Checksums:
    """Corpus checksums (and encoder identity keys) per run, each read once."""

    def __init__(self, corpus_options: dict[str, Any]) -> None:
        self.options = corpus_options
        self.corpora: dict[tuple[str, str], str] = {}
        self.encoders: dict[str, str] = {}

    def __call__(self, ref: ReferenceSpec) -> dict[str, Any]:
        from tasks.corpora import load_corpus

        key = (ref.source.corpus, ref.source.train_split)
        if key not in self.corpora:
            corpus = load_corpus(ref.source.corpus, **{"splits": (ref.source.train_split, "test"), **self.options})
            self.corpora[key] = corpus.checksum
        out: dict[str, Any] = {"corpus": self.corpora[key]}
        if ref.source.encoder:
            if ref.source.encoder not in self.encoders:
                from bench.encoders.identity import model_key, resolve_encoder

                self.encoders[ref.source.encoder] = model_key(
                    resolve_encoder(ref.source.encoder, cache_dir=self.options.get("cache_dir")))
            out["encoder"] = self.encoders[ref.source.encoder]
        return out


def run_references(specs: Sequence[RunSpec], store: Store, *, resume: str = "missing",
                   corpus_options: dict[str, Any] | None = None, echo: Callable[[str], None] = print,
                   verbose: bool = False, threads: int | None = None) -> ReferenceSummary:
    """Compute (or reuse) every reference of ``specs`` and store it; a failure is reported, not stored.

    ``resume``: ``always`` recomputes them; otherwise a stored reference scored by today's scorers is
    reused and a missing one computed, also under ``cache-only``: a reference trains nothing, so
    ``bench run --resume cache-only`` adds the reference rows to a finished grid.  Failed references
    are not stored, so the next run tries again.  ``threads``: torch threads for ``untrained`` (as for
    a cell: ``--threads`` / ``$SPARSEBENCH_THREADS``, else the usable cores less the busy ones).
    """
    from bench.errors import USER_ERRORS
    from tasks.metrics import scorer_signature

    options = dict(corpus_options or {})
    checksums = _Checksums(options)
    signature = scorer_signature()
    summary = ReferenceSummary()
    loaded: dict[str, Any] = {}  # per run: data and TF-IDF shared by the references of one cell
    for ref in references_for(specs):
        sums = checksums(ref)
        ident = ref.identity(sums)
        dirname = ref.dirname(ident)
        existing, why = store.read(dirname)
        if why is not None:
            echo(f"damaged reference record {store.cell_dir(dirname) / 'record.json'} ({why}): computed again")
        if resume != "always" and existing is not None and existing.get("scorers") == signature:
            summary.outcomes.append(ReferenceOutcome(ref, existing, "cached"))
            if verbose:
                echo(f"{ref.describe()}: cached ({store.cell_dir(dirname)})")
            continue
        try:
            record = compute_reference(ref, ident, sums, options, loaded, log=echo if verbose else lambda s: None,
                                       threads=threads)
        except Exception as exc:  # a failed reference is reported; the methods' results stand
            if isinstance(exc, USER_ERRORS):
                raise
            error = f"{type(exc).__name__}: {exc}"
            echo(f"{ref.describe()}: FAILED: {error}")
            summary.outcomes.append(ReferenceOutcome(ref, None, "failed", error))
            continue
        log = record.pop("log", "")
        store.save(dirname, record, log)
        echo(f"{ref.describe()}: done in {record['wall_seconds']:.1f}s")
        summary.outcomes.append(ReferenceOutcome(ref, record, "computed"))
    return summary


def _data_key(spec: RunSpec) -> str:
    """What decides a cell's data in :func:`bench.cells.method.load_data`: corpus, split, seed, subsample, vocabulary, encoder."""
    train = spec.config["train"]
    return digest({"corpus": spec.corpus, "split": spec.train_split, "seed": spec.seed, "backbone": spec.backbone,
                   "max_train_sentences": train["max_train_sentences"], "encoder": spec.encoder,
                   "max_vocab": train["max_vocab"] if spec.backbone == "text" else 0})


def _data(spec: RunSpec, options: dict[str, Any], loaded: dict[str, Any], say: Callable[[str], None]):
    from bench.data.prepare import load_data

    key = _data_key(spec)
    if key not in loaded:
        loaded.clear()  # one cell's data at a time (references come grouped by cell): memory stays bounded
        loaded[key] = load_data(spec, options, say)
    return loaded[key]


def _documents(split, eos_id: int) -> list[Any]:
    """Each sentence's token ids without ``<EOS>`` (a PaddedSplit row cut to its length)."""
    return [row[:n][row[:n] != eos_id] for row, n in zip(split.padded, split.lengths)]


def compute_reference(ref: ReferenceSpec, ident: str, checksums: dict[str, Any], options: dict[str, Any],
                      loaded: dict[str, Any] | None = None, log: Callable[[str], None] = lambda s: None,
                      threads: int | None = None) -> dict[str, Any]:
    """The record of one reference: codes made, scored by the methods' scorers, with provenance."""
    from bench.store import provenance
    from tasks.metrics import scorer_signature
    from tasks.references import pca_codes, score_codes, svd_codes, tfidf_codes
    from tasks.scoring import ScoringConfig

    loaded = {} if loaded is None else loaded
    started, t0 = provenance.now(), time.perf_counter()
    lines: list[str] = []

    def say(msg: str) -> None:
        lines.append(msg)
        log(msg)

    seed = ref.source.seed
    config = ScoringConfig.from_dict(ref.config["eval"])
    shape, train, test, data_info = _data(ref.model_spec, options, loaded, say)
    details: dict[str, Any] = {}
    if ref.name == "untrained":
        metrics = _untrained_metrics(ref, shape, train, test, config, threads)
    else:
        kw: dict[str, Any] = {}
        dim = ref.config["method_config"].get("latent_dim")
        if ref.info.track == "text":
            tkey = f"tfidf:{_data_key(ref.model_spec)}"  # tfidf and tfidf-svd of one cell share it
            if tkey not in loaded:
                loaded[tkey] = tfidf_codes(_documents(train, shape.eos_id), _documents(test, shape.eos_id))
            tr, te, details = loaded[tkey]
            details = dict(details)
            if ref.name == "tfidf-svd":
                tr, te, svd = svd_codes(tr, te, dim, seed)
                details = {**details, "svd": svd}
            exact_zeros = ref.name == "tfidf"
        else:
            tr, te = train.inputs, test.inputs
            dec_tr, dec_te = tr, te
            if ref.name == "embedding-pca":
                tr, te, dec_tr, dec_te, details = pca_codes(tr, te, dim, seed)
            kw = {"test_inputs": test.inputs, "train_decoded": dec_tr, "test_decoded": dec_te}
            exact_zeros = False
        t_eval = time.perf_counter()
        scored = score_codes(tr, train.labels, te, test.labels, seed=seed, config=config, exact_zeros=exact_zeros, **kw)
        details["eval_seconds"] = round(time.perf_counter() - t_eval, 3)
        metrics = {"modes": {REFERENCE_MODE: scored.scalars}, "default_mode": REFERENCE_MODE,
                   "analysis": {REFERENCE_MODE: scored.analysis}, "reconstruction": {},
                   "modes_kind": {REFERENCE_MODE: "deterministic"},
                   "headline_modes": {"deterministic": REFERENCE_MODE, "stochastic": None}}
    head = metrics["modes"][metrics["default_mode"]]
    say(f"{ref.describe()}: acc={head.get('probe_accuracy', float('nan')):.3f} "
        f"AH={head.get('avg_hoyer', float('nan')):.3f}")
    spec = {"method": ref.name, "corpus": ref.source.corpus, "seed": seed, "preset": ref.source.preset,
            "train_split": ref.source.train_split, **({"encoder": ref.source.encoder} if ref.source.encoder else {})}
    return {
        "cell_id": ident, "reference": {"name": ref.name, "track": ref.info.track, "description": ref.info.description,
                                        "stands_beside": ref.source.describe()},
        "spec": spec, "config": ref.config, "status": "ok", "scorers": scorer_signature(), "metrics": metrics,
        "provenance": {"seed": seed, "checksums": checksums, **data_info, "reference": details,
                       "versions": provenance.package_versions(), "git_commit": provenance.git_commit()},
        "started": started, "finished": provenance.now(), "wall_seconds": round(time.perf_counter() - t0, 3),
        "log": "\n".join(lines),
    }


def _untrained_metrics(ref: ReferenceSpec, shape, train, test, config, threads: int | None) -> dict[str, Any]:
    """``ae`` built as :func:`bench.cells.method.run_cell` builds it (same seed, same call), scored without training."""
    import torch

    from bench.cells.evaluate import score_model
    from bench.cells.models import build_model
    from bench.threads import cell_threads, pinned_threads
    from methods.registry import get_method

    spec = ref.model_spec
    cls = get_method(spec.method).load()
    with pinned_threads(cell_threads(1, threads)):
        torch.manual_seed(spec.seed)
        model = build_model(spec.method, spec.config["method_config"], shape)
        scores = score_model(model, train, test, seed=spec.seed, config=config,
                             batch_size=spec.config["train"]["eval_batch_size"], device=torch.device("cpu"))
    return {"modes": scores.modes, "default_mode": cls.default_mode, "reconstruction": scores.reconstruction,
            "analysis": scores.analysis,
            "modes_kind": {m: ("stochastic" if m in cls.stochastic_modes else "deterministic") for m in cls.modes},
            "headline_modes": {k: cls.identity().headline(k) for k in ("deterministic", "stochastic")}}
