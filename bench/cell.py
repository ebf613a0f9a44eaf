"""One cell of the grid, as a pure function of its spec: load, train, encode, score, describe.

It returns the record instead of writing it, so the same function can run in this process, in a
subprocess pinned to a GPU or on a cluster worker, while only the driver touches the store.
"""
from __future__ import annotations

import time
import traceback
from typing import Any, Callable

import numpy as np

from bench.spec import RunSpec


def run_cell(spec: RunSpec, *, device: str = "cpu", corpus_options: dict[str, Any] | None = None,
             log: Callable[[str], None] = lambda s: None) -> dict[str, Any]:
    """Train and evaluate ``spec``; returns a record with status ``ok`` or ``failed`` (never raises for a bad cell)."""
    import torch

    from bench import provenance
    from bench.data import PaddedSplit
    from bench.evaluate import SAMPLE_MODE, EvalConfig, encode_split, mean_of_draws, reconstruction, score_codes
    from bench.train import train
    from methods.registry import get_method
    from tasks.corpora import load_corpus

    started = provenance.now()
    t0 = time.perf_counter()
    lines: list[str] = []

    def say(msg: str) -> None:
        lines.append(msg)
        log(msg)

    record: dict[str, Any] = {"cell_id": spec.cell_id, "spec": spec.to_dict(), "config": spec.config,
                              "started": started}
    try:
        entry = get_method(spec.method)
        cls = entry.load()
        cfg = spec.config
        train_cfg = cfg["train"]
        # only the splits this cell reads: a missing train file matters only when training on it
        corpus = load_corpus(spec.corpus, **{"splits": (spec.train_split, "test"), **(corpus_options or {})})
        train_split, test_split = corpus.split(spec.train_split), corpus.split("test")
        rng = np.random.default_rng(spec.seed)
        torch.manual_seed(spec.seed)
        cap = train_cfg["max_train_sentences"]
        if cap and len(train_split) > cap:
            train_split = train_split.subset(np.sort(rng.choice(len(train_split), cap, replace=False)))
        dev = torch.device(device)
        model = cls(cls.Config(**cfg["method_config"]), corpus.vocab_size, corpus.eos_id)
        train_data, test_data = PaddedSplit(train_split), PaddedSplit(test_split)
        say(f"training {spec.describe()}: {len(train_split)} sentences, {sum(p.numel() for p in model.parameters())} parameters")
        tlog = train(model, train_data, epochs=train_cfg["epochs"], batch_size=train_cfg["batch_size"],
                     lr=train_cfg["lr"], rng=rng, device=dev, log=say, precision=train_cfg["precision"])
        t_eval = time.perf_counter()
        ebs = train_cfg["eval_batch_size"]
        eval_cfg = EvalConfig.from_dict(cfg.get("eval"))
        modes: dict[str, Any] = {}
        analysis: dict[str, Any] = {}
        for mode in cls.modes:
            train_codes = encode_split(model, train_data, mode, ebs, dev)
            test_codes = encode_split(model, test_data, mode, ebs, dev)
            # the Hoyer ratio needs the per-sentence mean of K draws: only a "sample" mode has them
            mean_codes = (mean_of_draws(model, test_data, mode, eval_cfg.hoyer_samples, ebs, dev, first=test_codes)
                          if mode == SAMPLE_MODE else None)
            scores = score_codes(train_codes, train_data.labels, test_codes, test_data.labels, seed=spec.seed,
                                 config=eval_cfg, mean_codes=mean_codes)
            modes[mode] = scores.scalars
            analysis[mode] = {"mode": mode, "exact_zeros": bool(cls.exact_zeros), **scores.analysis}
        recon = reconstruction(model, test_data, ebs, dev)
        record.update(
            status="ok",
            metrics={"modes": modes, "default_mode": cls.default_mode, "reconstruction": recon,
                     "analysis": analysis, "train_loss": tlog.epoch_losses},
            provenance={
                "seed": spec.seed,
                "versions": provenance.package_versions(),
                "method_origin": entry.origin,
                "git_commit": provenance.git_commit(),
                "corpus_checksum": corpus.checksum,
                "corpus_source": corpus.source,
                "train_sentences": len(train_split),
                "test_sentences": len(test_split),
                "device": provenance.device_name(device),
                "train_seconds": round(tlog.seconds, 3),
                "eval_seconds": round(time.perf_counter() - t_eval, 3),
                "train_tokens_per_s": round(tlog.tokens / max(tlog.seconds, 1e-9), 1),
            },
        )
        say("done: " + ", ".join(f"{m}: acc={v['probe_accuracy']:.3f} AH={v['avg_hoyer']:.3f}" for m, v in modes.items())
            + f", nll/token={recon['nll_per_token']:.3f}")
    except Exception as exc:  # a failed cell is a result, not a crash of the sweep
        from bench.errors import USER_ERRORS

        if isinstance(exc, USER_ERRORS):
            raise
        record.update(status="failed", error=f"{type(exc).__name__}: {exc}", traceback=traceback.format_exc())
        say(f"FAILED: {type(exc).__name__}: {exc}")
    record["wall_seconds"] = round(time.perf_counter() - t0, 3)
    record["finished"] = provenance.now()
    record["log"] = "\n".join(lines)
    return record

