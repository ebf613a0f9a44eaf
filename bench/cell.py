"""One cell of the grid, as a pure function of its spec: load, train (or load stored weights), score, describe.

It returns the record instead of writing it, so the same function can run in this process, in a
subprocess pinned to a GPU or on a cluster worker, while only the driver touches the store.  A
freshly trained model's weights travel back in the record (``_weights``, bytes) for the driver to
store under the training identity; given stored weights (``weights``) and their training record,
the cell re-scores them without training.
"""
from __future__ import annotations

import math
import time
import traceback
from typing import Any, Callable

import numpy as np

from bench.spec import RunSpec

#: Independent random streams of a cell's seed: the training subsample and the batch order.
SUBSAMPLE_STREAM, BATCH_STREAM = 0, 1


def load_data(spec: RunSpec, corpus_options: dict[str, Any] | None, say: Callable[[str], None],
              device: str = "cpu", *, with_test: bool = True, encoding_out: dict[str, Any] | None = None):
    """(data shape, train split, test split, provenance): the cell's data, subsampled, with the vocabulary
    restricted and the sentences embedded as its config says (on ``device``, the cell's own, when the
    embeddings are not cached yet).  ``with_test=False`` (``bench profile``) reads the training split
    alone; the test split is then None.  ``encoding_out``: see :func:`prepare_data`."""
    from tasks.corpora import load_corpus

    splits = (spec.train_split, "test") if with_test else (spec.train_split,)
    # only the splits this cell reads: a missing train file matters only when training on it
    corpus = load_corpus(spec.corpus, **{"splits": splits, **(corpus_options or {})})
    test_split = corpus.split("test") if with_test else None
    return prepare_data(spec, corpus, corpus.split(spec.train_split), test_split, corpus_options, say, device,
                        encoding_out=encoding_out)


def prepare_data(spec: RunSpec, corpus: Any, train_split: Any, test_split: Any, corpus_options: dict[str, Any] | None,
                 say: Callable[[str], None], device: str = "cpu", *, encoding_out: dict[str, Any] | None = None):
    """The cell's data from its splits: what :func:`load_data` returns, for a corpus's splits or (``bench
    profile`` without the files) splits shaped like it; ``corpus`` needs ``vocab_size``, ``eos_id``,
    ``vocab``, ``checksum`` and ``source`` (and the texts, on the embedding backbone).

    ``encoding_out``, when given, is filled with what encoding new text needs (the vocabulary after
    ``max_vocab``, or the centring mean and scale: :mod:`bench.use.state`), which the driver stores
    beside the weights; it is not part of the record."""
    from bench.data import PaddedSplit, restrict_vocabulary
    from bench.models import DataShape

    train_cfg = spec.config["train"]
    rng = np.random.default_rng(np.random.SeedSequence([spec.seed, SUBSAMPLE_STREAM]))
    cap = train_cfg["max_train_sentences"]
    index = None
    if cap and len(train_split) > cap:
        index = np.sort(rng.choice(len(train_split), cap, replace=False))
        train_split = train_split.subset(index)
    info: dict[str, Any] = {"corpus_checksum": corpus.checksum, "corpus_source": corpus.source,
                            "train_sentences": len(train_split),
                            "test_sentences": len(test_split) if test_split is not None else 0}
    shape = DataShape(corpus.vocab_size, corpus.eos_id)
    others = [test_split] if test_split is not None else []
    if spec.backbone != "embedding":
        words = corpus.vocab
        if train_cfg.get("max_vocab"):
            from tasks.corpora.base import UNK

            unrestricted = train_split
            train_split, others, size, eos, note = restrict_vocabulary(
                train_split, others, eos_id=corpus.eos_id, unk_id=corpus.vocab.index(UNK),
                max_vocab=train_cfg["max_vocab"])
            shape = DataShape(size, eos)
            info["vocabulary"] = note
            say(f"vocabulary: the {note['kept_words']} most frequent training words + _UNK "
                f"({note['train_token_coverage']:.1%} of training tokens kept)")
            if encoding_out is not None:
                from bench.use.state import restricted_words

                words = restricted_words(corpus.vocab, unrestricted, train_split, size)
        if encoding_out is not None:
            from bench.use.state import text_state

            encoding_out.update(text_state(spec, corpus, shape, words))
        return shape, PaddedSplit(train_split), (PaddedSplit(others[0]) if others else None), info
    from bench.embeddings import embed_split, resolve_encoder

    cache_dir = (corpus_options or {}).get("cache_dir")
    encoder = resolve_encoder(spec.encoder, cache_dir=cache_dir)
    expected = spec.config.get("encoder")
    if isinstance(expected, dict) and encoder.model_identity != expected:
        now = encoder.model_identity
        changed = sorted(k for k in {*expected, *now} if expected.get(k) != now.get(k))
        raise RuntimeError(f"encoder {spec.encoder!r} changed after the run resolved it ({', '.join(changed)} differ): "
                           "its files were replaced while the grid ran; run again to train on the new weights")
    train_emb = embed_split(encoder, corpus, spec.train_split, cache_dir=cache_dir, device=device)
    test_emb = embed_split(encoder, corpus, "test", cache_dir=cache_dir, device=device) if others else None
    train_x = train_emb.embeddings if index is None else train_emb.embeddings[index]
    # centred on the training mean, then one scalar so that the mean squared norm (the total variance)
    # on the training split equals the dimension: every method starts at a sensible scale with unit
    # variance per coordinate on average, and a model that outputs 0 already predicts the mean (as
    # Gao et al. start b_pre at the data's geometric median).  Without centring, an encoder whose
    # embeddings share a large common component (mean pooling without normalisation, a random
    # model) leaves almost no variance to model after scaling.  FVU and the probes are unchanged by it.
    mean = train_x.astype(np.float64).mean(0)
    centred = train_x.astype(np.float64) - mean
    total = float(np.mean(np.sum(centred ** 2, axis=1)))
    scale = math.sqrt(train_x.shape[1] / total) if total > 0 else 1.0

    def transform(x: np.ndarray) -> np.ndarray:
        return ((x.astype(np.float64) - mean) * scale).astype(np.float32)

    info["embed_seconds"] = round(sum(e.provenance.get("seconds", 0.0) for e in (train_emb, test_emb) if e), 3)
    info["encoder"] = {**train_emb.provenance, "scale": scale, "centred": True, "mean_norm": float(np.linalg.norm(mean)),
                       **({"test_cache": test_emb.provenance.get("cache_sha256")} if test_emb is not None else {})}
    say(f"embeddings: {spec.encoder}, dim {train_x.shape[1]}, centred (mean norm {np.linalg.norm(mean):.3g}), "
        f"scaled ×{scale:.4g}")
    shape = DataShape(corpus.vocab_size, corpus.eos_id, int(train_x.shape[1]))
    if encoding_out is not None:
        from bench.use.state import embedding_state

        encoding_out.update(embedding_state(spec, corpus, shape, mean, scale,
                                            expected if isinstance(expected, dict) else encoder.model_identity))
    test = PaddedSplit(others[0], transform(test_emb.embeddings)) if test_emb is not None else None
    return shape, PaddedSplit(train_split, transform(train_x)), test, info


def curve_point(model, train_data, test_data, *, seed: int, batch_size: int, device, threshold: float,
                probe: dict[str, Any] | None = None) -> dict[str, Any]:
    """One point of the training curve: the deterministic headline mode's probe accuracy and activity,
    the test NLL and KL per dimension, with the run's own probe rule (``ScoringConfig.probe_options``) and
    seed (so the last point is the number the record's scores give for that mode).  Leaves every random
    generator as it found it, so a run with curves trains exactly the model a run without them trains."""
    import torch

    from bench.evaluate import encode_split, reconstruction
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


def run_cell(spec: RunSpec, *, device: str = "cpu", corpus_options: dict[str, Any] | None = None,
             log: Callable[[str], None] = lambda s: None, weights: bytes | None = None,
             training: dict[str, Any] | None = None, progress: bool = False) -> dict[str, Any]:
    """Train (or load ``weights``) and score ``spec``; returns a record with status ``ok`` or ``failed``.

    Never raises for a bad cell; user errors (bad input the driver should have caught) propagate.
    """
    import torch

    from bench import provenance
    from bench.evaluate import score_model
    from bench.models import build_model, load_weights, weights_bytes
    from bench.train import train
    from methods.registry import get_method
    from tasks.scoring import ScoringConfig

    started = provenance.now()
    t0 = time.perf_counter()
    lines: list[str] = []

    def say(msg: str) -> None:
        lines.append(msg)
        log(msg)

    timing: dict[str, Any] = {}  # where the cell's wall time went (provenance, see cell_timing)
    record: dict[str, Any] = {"cell_id": spec.cell_id, "train_id": spec.train_id, "scoring_id": spec.scoring_id,
                              "spec": spec.to_dict(), "config": spec.config, "started": started}
    try:
        entry = get_method(spec.method)
        cls = entry.load()
        cfg = spec.config
        train_cfg = cfg["train"]
        t_data = time.perf_counter()
        encoding: dict[str, Any] = {}
        shape, train_data, test_data, data_info = load_data(spec, corpus_options, say, device, encoding_out=encoding)
        record["_encoding"] = encoding  # what encoding new text needs, stored beside the weights (bench.use)
        timing["data"] = time.perf_counter() - t_data
        dev = torch.device(device)
        from bench.train import set_fp32_precision

        set_fp32_precision(dev, train_cfg["precision"])  # encoding for the scorers too, not only training
        torch.manual_seed(spec.seed)
        model = build_model(spec.method, cfg["method_config"], shape)
        if weights is not None:
            load_weights(model, weights).to(dev)
            training = dict(training or {})
            say(f"re-scoring stored weights of {spec.describe()} (training id {spec.train_id})")
        else:
            rng = np.random.default_rng(np.random.SeedSequence([spec.seed, BATCH_STREAM]))
            say(f"training {spec.describe()}: {len(train_data)} sentences, "
                f"{sum(p.numel() for p in model.parameters())} parameters")
            bar = _progress_bar(spec, train_cfg["epochs"]) if progress else None
            every = train_cfg.get("curve_every", 0)
            scoring = ScoringConfig.from_dict(cfg.get("eval"))

            def on_epoch(epoch: int) -> dict[str, Any] | None:
                if not every or epoch % every:
                    return None
                point = curve_point(model, train_data, test_data, seed=spec.seed,
                                    batch_size=train_cfg["eval_batch_size"], device=dev,
                                    threshold=scoring.activity_threshold, probe=scoring.probe_options())
                say(f"  curve at epoch {epoch}: " + " ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                                                         for k, v in point.items()))
                return point

            tlog = train(model, train_data, epochs=train_cfg["epochs"], batch_size=train_cfg["batch_size"],
                         lr=train_cfg["lr"], rng=rng, device=dev, log=say, precision=train_cfg["precision"],
                         length_pool=train_cfg["length_pool"], on_step=bar.step if bar else None,
                         on_epoch=on_epoch, kl_warmup=train_cfg.get("kl_warmup", 0.0))
            if bar:
                bar.close()
            timing["train"] = tlog.seconds
            if tlog.curve:
                timing["curve"] = tlog.curve_seconds
            training = {
                "train_id": spec.train_id, "config": spec.training_config, "train_loss": tlog.epoch_losses,
                "curve": tlog.curve,
                "provenance": {
                    "seed": spec.seed, "versions": provenance.package_versions(), "method_origin": entry.origin,
                    "git_commit": provenance.git_commit(), **data_info, "device": provenance.device_name(device),
                    "train_seconds": round(tlog.seconds, 3), "train_steps": tlog.steps,
                    "train_tokens_per_s": round(tlog.tokens / max(tlog.seconds, 1e-9), 1),
                },
            }
            record["_weights"] = weights_bytes(model)
        t_eval = time.perf_counter()
        scores = score_model(model, train_data, test_data, seed=spec.seed,
                             config=ScoringConfig.from_dict(cfg.get("eval")),
                             batch_size=train_cfg["eval_batch_size"], device=dev)
        from tasks.metrics import scorer_signature

        record.update(
            status="ok",
            scorers=scorer_signature(),
            training=training,
            metrics={"modes": scores.modes, "default_mode": cls.default_mode, "reconstruction": scores.reconstruction,
                     "analysis": scores.analysis, "train_loss": training.get("train_loss", []),
                     "curve": training.get("curve", []),
                     "modes_kind": {m: ("stochastic" if m in cls.stochastic_modes else "deterministic")
                                    for m in cls.modes},
                     "headline_modes": {k: cls.identity().headline(k) for k in ("deterministic", "stochastic")}},
            provenance={**training.get("provenance", {}), "scoring": {
                "versions": provenance.package_versions(), "git_commit": provenance.git_commit(),
                "device": provenance.device_name(device), "eval_seconds": round(time.perf_counter() - t_eval, 3),
                "rescored": weights is not None}, "timing": cell_timing(timing, scores.seconds, data_info)},
        )
        default = scores.modes[cls.default_mode]
        say("done: " + ", ".join(f"{m}: acc={v.get('probe_accuracy', float('nan')):.3f} "
                                 f"AH={v.get('avg_hoyer', float('nan')):.3f}" for m, v in scores.modes.items())
            + (f", nll/token={scores.reconstruction['nll_per_token']:.3f}" if "nll_per_token" in scores.reconstruction
               else f", fvu={default.get('fvu', float('nan')):.3f}"))
    except Exception as exc:  # a failed cell is a result, not a crash of the sweep
        from bench.errors import USER_ERRORS

        if isinstance(exc, USER_ERRORS):
            raise
        record.pop("_weights", None)
        record.pop("_encoding", None)
        record.update(status="failed", error=f"{type(exc).__name__}: {exc}", traceback=traceback.format_exc())
        say(f"FAILED: {type(exc).__name__}: {exc}")
    record["wall_seconds"] = round(time.perf_counter() - t0, 3)
    record["finished"] = provenance.now()
    record["log"] = "\n".join(lines)
    return record


def cell_timing(timing: dict[str, float], scoring: dict[str, float], data_info: dict[str, Any]) -> dict[str, Any]:
    """Where a cell's time went, in seconds: reading and preparing the data (``data``; of it, computing or
    reading the frozen encoder's embeddings, ``embeddings``), training (``train``; training-curve
    points apart, ``curve``), encoding for the scorers (``encode``), the loss terms on the test split
    (``test_loss``) and each scorer (``scorers``).  Provenance: never part of a result."""
    out: dict[str, Any] = {k: round(v, 3) for k, v in timing.items()}
    if "embed_seconds" in data_info:
        out["embeddings"] = data_info["embed_seconds"]
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
