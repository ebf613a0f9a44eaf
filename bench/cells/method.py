"""A method cell: train a method (or load its stored weights) and score it, as a pure function of its config.

:class:`MethodCell` is a :class:`~bench.config.spec.RunSpec` with the configuration it resolved to
(:func:`bench.config.spec.resolve_config`), and the cell's identities (``cell_id``, ``train_id``,
``scoring_id``) are hashes of that configuration.  :meth:`MethodCell.run` returns a
:class:`~bench.cells.protocol.CellResult` instead of writing anything: the freshly trained weights
and what encoding new text needs travel beside the record, for the driver to store under the
training identity; given stored weights (``CellRun.stored``) the cell re-scores them without training.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Callable, ClassVar

import numpy as np

from bench.cells.protocol import CellResult, CellRun, run_guarded
from bench.config.spec import SCORING_KEYS, EncoderLookup, RunSpec, digest, resolve_config, safe_name
from bench.data.prepare import BATCH_STREAM, CellData, DataOptions, load_data
from bench.store.record import Record


@dataclass(frozen=True, eq=False)
class MethodCell:
    """A method's cell: what was asked for (``spec``) and everything that determines its result (``config``)."""

    spec: RunSpec
    config: dict[str, Any]
    kind: ClassVar[str] = "method"
    trains: ClassVar[bool] = True

    @classmethod
    def resolve(cls, spec: RunSpec, encoders: EncoderLookup | None = None) -> "MethodCell":
        """The cell ``spec`` asks for; ``encoders`` resolves encoder names (a fresh table when None)."""
        if encoders is None:
            from bench.encoders.identity import EncoderIdentities

            encoders = EncoderIdentities()
        return cls(*resolve_config(spec, encoders))

    @classmethod
    def from_record(cls, record: Record | dict[str, Any]) -> "MethodCell":
        """The cell a stored record scored, with the config it was scored under (not resolved again)."""
        data = record.to_json() if isinstance(record, Record) else record
        return cls(RunSpec.from_dict(data["spec"]), data["config"])

    def __eq__(self, other: object) -> bool:
        return isinstance(other, MethodCell) and (self.spec, self.cell_id) == (other.spec, other.cell_id)

    def __hash__(self) -> int:
        return hash((self.spec, self.cell_id))

    # -- identity --------------------------------------------------------------------------------
    @property
    def training_config(self) -> dict[str, Any]:
        """The part of :attr:`config` that determines the trained weights."""
        return {k: v for k, v in self.config.items() if k not in SCORING_KEYS}

    @cached_property
    def train_id(self) -> str:
        return digest(self.training_config)

    @cached_property
    def scoring_id(self) -> str:
        return digest({k: self.config[k] for k in SCORING_KEYS})

    @cached_property
    def cell_id(self) -> str:
        return digest(self.config)

    @property
    def backbone(self) -> str:
        return self.config["method_config"].get("backbone", "text")

    @property
    def name(self) -> str:
        return self.spec.method

    @property
    def dirname(self) -> str:
        return f"{safe_name(self.spec.label)}-{safe_name(self.spec.corpus)}-seed{self.spec.seed}-{self.cell_id}"

    @property
    def model_dirname(self) -> str:
        return f"{safe_name(self.spec.label)}-{safe_name(self.spec.corpus)}-seed{self.spec.seed}-{self.train_id}"

    def describe(self) -> str:
        return self.spec.describe()

    # -- travel ----------------------------------------------------------------------------------
    def to_payload(self) -> dict[str, Any]:
        return {"kind": self.kind, "spec": self.spec.to_dict(), "config": self.config}

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> "MethodCell":
        return cls(RunSpec.from_dict(payload["spec"]), payload["config"])

    # -- results ---------------------------------------------------------------------------------
    def _record(self, **fields: Any) -> Record:
        return Record(self.cell_id, self.spec.to_dict(), self.config, train_id=self.train_id,
                      scoring_id=self.scoring_id, **fields)

    def failed(self, error: str, log: str = "") -> CellResult:
        from bench.store.provenance import now

        return CellResult(self._record(status="failed", error=error, traceback="", finished=now()), log)

    def run(self, run: CellRun) -> CellResult:
        """Train (or load the stored weights) and score; a failed record for a bad cell, never an exception
        (user errors, bad input the driver should have caught, propagate)."""
        return run_guarded(run, lambda say, started: _Training(self, run, say).result(started), self._record)


class _Training:
    """One run of a method cell, step by step: data, model, training (or stored weights), scores, record."""

    def __init__(self, cell: MethodCell, run: CellRun, say: Callable[[str], None]) -> None:
        import torch

        self.cell, self.run, self.say = cell, run, say
        self.train_cfg = cell.config["train"]
        self.device = torch.device(run.device)
        self.timing: dict[str, Any] = {}  # where the cell's wall time went (provenance, see cell_timing)

    def result(self, started: str) -> CellResult:
        import torch

        from bench.cells.evaluate import model_metrics, score_model
        from bench.cells.models import build_model, load_weights, weights_bytes
        from bench.cells.train import set_fp32_precision
        from bench.store import provenance
        from methods.registry import get_method
        from tasks.metrics import scorer_signature
        from tasks.scoring import ScoringConfig

        cell, stored = self.cell, self.run.stored
        cls = get_method(cell.spec.method).load()
        t_data = time.perf_counter()
        data = load_data(cell, DataOptions(self.run.corpus_options, self.run.device, with_encoding=True, say=self.say))
        self.timing["data"] = time.perf_counter() - t_data
        set_fp32_precision(self.device, self.train_cfg["precision"])  # encoding for the scorers too, not only training
        torch.manual_seed(cell.spec.seed)
        model = build_model(cell.spec.method, cell.config["method_config"], data.shape)
        weights = None
        if stored is not None:
            load_weights(model, stored.weights).to(self.device)
            training = dict(stored.training or {})
            self.say(f"re-scoring stored weights of {cell.describe()} (training id {cell.train_id})")
        else:
            training = self.train(model, data)
            weights = weights_bytes(model)
        t_eval = time.perf_counter()
        scores = score_model(model, data.train, data.test, seed=cell.spec.seed,
                             config=ScoringConfig.from_dict(cell.config.get("eval")),
                             batch_size=self.train_cfg["eval_batch_size"], device=self.device)
        metrics = {**model_metrics(cls, scores), "train_loss": training.get("train_loss", []),
                   "curve": training.get("curve", [])}
        scoring = {"versions": provenance.package_versions(), "git_commit": provenance.git_commit(),
                   "device": provenance.device_name(self.run.device),
                   "eval_seconds": round(time.perf_counter() - t_eval, 3), "rescored": stored is not None}
        record = cell._record(status="ok", started=started, scorers=scorer_signature(), training=training,
                              metrics=metrics, provenance={**training.get("provenance", {}), "scoring": scoring,
                                                           "timing": cell_timing(self.timing, scores.seconds,
                                                                                 data.info)})
        default = scores.modes[cls.default_mode]
        self.say("done: " + ", ".join(f"{m}: acc={v.get('probe_accuracy', float('nan')):.3f} "
                                      f"AH={v.get('avg_hoyer', float('nan')):.3f}" for m, v in scores.modes.items())
                 + (f", nll/token={scores.reconstruction['nll_per_token']:.3f}"
                    if "nll_per_token" in scores.reconstruction else f", fvu={default.get('fvu', float('nan')):.3f}"))
        return CellResult(record, weights=weights, encoding=data.encoding)

    def train(self, model: Any, data: CellData) -> dict[str, Any]:
        """Train ``model`` on the cell's data; the training record (also stored beside the weights)."""
        from bench.cells.train import train
        from bench.store import provenance
        from methods.registry import get_method
        from tasks.scoring import ScoringConfig

        cell, cfg = self.cell, self.train_cfg
        rng = np.random.default_rng(np.random.SeedSequence([cell.spec.seed, BATCH_STREAM]))
        self.say(f"training {cell.describe()}: {len(data.train)} sentences, "
                 f"{sum(p.numel() for p in model.parameters())} parameters")
        bar = _progress_bar(cell.spec, cfg["epochs"]) if self.run.progress else None
        every = cfg.get("curve_every", 0)
        scoring = ScoringConfig.from_dict(cell.config.get("eval"))

        def on_epoch(epoch: int) -> dict[str, Any] | None:
            if not every or epoch % every:
                return None
            point = curve_point(model, data.train, data.test, seed=cell.spec.seed, batch_size=cfg["eval_batch_size"],
                                device=self.device, threshold=scoring.activity_threshold, probe=scoring.probe_options())
            self.say(f"  curve at epoch {epoch}: " + " ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                                                              for k, v in point.items()))
            return point

        tlog = train(model, data.train, epochs=cfg["epochs"], batch_size=cfg["batch_size"], lr=cfg["lr"], rng=rng,
                     device=self.device, log=self.say, precision=cfg["precision"], length_pool=cfg["length_pool"],
                     on_step=bar.step if bar else None, on_epoch=on_epoch, kl_warmup=cfg.get("kl_warmup", 0.0))
        if bar:
            bar.close()
        self.timing["train"] = tlog.seconds
        if tlog.curve:
            self.timing["curve"] = tlog.curve_seconds
        return {
            "train_id": cell.train_id, "config": cell.training_config, "train_loss": tlog.epoch_losses,
            "curve": tlog.curve,
            "provenance": {
                "seed": cell.spec.seed, "versions": provenance.package_versions(),
                "method_origin": get_method(cell.spec.method).origin, "git_commit": provenance.git_commit(),
                **data.info, "device": provenance.device_name(self.run.device),
                "train_seconds": round(tlog.seconds, 3), "train_steps": tlog.steps,
                "train_tokens_per_s": round(tlog.tokens / max(tlog.seconds, 1e-9), 1),
            },
        }


def curve_point(model, train_data, test_data, *, seed: int, batch_size: int, device, threshold: float,
                probe: dict[str, Any] | None = None) -> dict[str, Any]:
    """One point of the training curve: the deterministic headline mode's probe accuracy and activity,
    the test NLL and KL per dimension, with the run's own probe rule (``ScoringConfig.probe_options``) and
    seed (so the last point is the number the record's scores give for that mode).  Leaves every random
    generator as it found it, so a run with curves trains exactly the model a run without them trains."""
    import torch

    from bench.cells.evaluate import encode_split, reconstruction
    from tasks.activity import read_activity
    from tasks.probes import logistic_probe
    from tasks.scorers import COLLAPSE_NATS
    from tasks.sparsity import active_dims

    state = torch.get_rng_state()
    was_training = model.training
    try:
        mode = type(model).identity().headline("deterministic") or model.default_mode
        train_codes, _ = encode_split(model, train_data, mode, batch_size, device)
        test_codes, activity = encode_split(model, test_data, mode, batch_size, device,
                                            with_activity=mode in type(model).activity_rules)
        if activity is None:
            activity, _ = read_activity(test_codes, exact_zeros=bool(model.exact_zeros), threshold=threshold)
        probe = logistic_probe(train_codes, train_data.labels, test_codes, test_data.labels, random_state=seed,
                               **(probe or {}))
        recon = reconstruction(model, test_data, batch_size, device, seed=seed)
        point: dict[str, Any] = {"mode": mode, "probe_accuracy": probe.accuracy, "active_dims": active_dims(activity),
                                 "recon_per_unit": recon["sums"]["recon"] / recon["units"]}
        if recon["kl_per_dim"] is not None:
            kl = np.asarray(recon["kl_per_dim"])
            point.update(kl=float(kl.sum()), collapsed_dims=int((kl < COLLAPSE_NATS).sum()))
        return point
    finally:
        torch.set_rng_state(state)
        model.train(was_training)


def cell_timing(timing: dict[str, float], scoring: dict[str, float], data_info: dict[str, Any]) -> dict[str, Any]:
    """Where a cell's time went, in seconds: reading and preparing the data (``data``; of it, computing or
    reading the frozen encoder's embeddings, ``embeddings``, and ``embeddings_computed`` when this cell
    computed them for the cache rather than reading them: the first cell of a grid does), training (``train``; training-curve
    points apart, ``curve``), encoding for the scorers (``encode``), the loss terms on the test split
    (``test_loss``) and each scorer (``scorers``).  Provenance: never part of a result."""
    out: dict[str, Any] = {k: round(v, 3) for k, v in timing.items()}
    if "embed_seconds" in data_info:
        out["embeddings"] = data_info["embed_seconds"]
    if "embed_computed_seconds" in data_info:
        out["embeddings_computed"] = data_info["embed_computed_seconds"]
    for part in ("encode", "test_loss"):
        out[part] = round(scoring.get(part, 0.0), 3)
    out["scorers"] = {k: round(v, 3) for k, v in sorted(scoring.items()) if k not in ("encode", "test_loss")}
    return out


class _progress_bar:
    """Steps and the current epoch with an ETA on a terminal (tqdm), nothing when not a TTY."""

    def __init__(self, spec: RunSpec, epochs: int) -> None:
        from tqdm import tqdm

        self.epochs, self.epoch = epochs, 0
        self.bar = tqdm(total=None, unit="step", desc=f"{spec.method}/{spec.corpus}/s{spec.seed}", leave=False,
                        disable=None, dynamic_ncols=True)

    def step(self, done: int, total: int) -> None:
        if self.bar.total != total:
            self.bar.total = total
        epoch = min(self.epochs, max(done - 1, 0) * self.epochs // max(total, 1) + 1)
        self.bar.update(done - self.bar.n)
        if epoch != self.epoch:  # drawn at once: tqdm's own refreshes are rate-limited and can skip a short epoch
            self.epoch = epoch
            self.bar.set_postfix_str(f"epoch {epoch}/{self.epochs}", refresh=True)
        else:
            self.bar.set_postfix_str(f"epoch {epoch}/{self.epochs}", refresh=False)

    def close(self) -> None:
        self.bar.close()
