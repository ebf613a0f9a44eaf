"""How codes are scored: the scoring settings (stated once) and the loop over the metric table.

``ScoringConfig`` is part of a cell's *scoring* identity, apart from its training identity, so that
changing a probe size or adding a metric re-scores stored models instead of retraining them.  The
loop runs every scorer of :mod:`tasks.metrics` whose inputs a mode provides.  Built-in scorers that
fail are bugs and raise; a plugin scorer that fails is recorded under ``analysis["errors"]`` and the
rest go on.
"""
from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from typing import Any, Mapping

from sparsebench.params import ConfigError, check_config, param
from tasks.activity import RAW_THRESHOLD
from tasks.metric_types import Scored, Scorer, check_scorer
from tasks.probe_defaults import (AUTO, DEFAULT_C, DEFAULT_C_GRID, DEFAULT_CV, DEFAULT_REPEATS, DEFAULT_SCALER,
                                  DEFAULT_SIZES, SCALERS)

#: Bump when a change to the harness changes how stored codes are scored (not how models are trained).
#: 2: loss terms on the test split from seeded random batches, not length-sorted ones (``bench.data.batches``).
#: 3: every probe chooses C and its feature scaler by inner CV on the training codes (``tasks.probes``,
#:    docs/probes.md); protocol 2's probe is ``--set probe_cv=false``.
#: 4: the same rule, cheaper: each path over C stops two grid points past its peak, and a dense code (more than a
#:    quarter non-zero) is probed on standardised features only (max-abs scaling is tried on mostly-zero codes).
#: 5: the costliest scorers only where a table reads them: the k-sparse surface for each kind's headline mode and
#:    the default mode, the decoded-embedding probe for the deterministic headline mode (no value changes; the
#:    other modes' columns are absent).
#: 6: the decoded-embedding probe is fit on x̂ whitened by its training PCA (``tasks.probes.whitened``): standardised,
#:    x̂ is so collinear that lbfgs stopped at its iteration cap at the Cs the CV reached, and took 100-500 s.
#: 7: the path over C counts its falls only once it has risen a point above its most regularised value (a weak
#:    code's opening plateau stopped it at C = 1e-6; ``tasks.probes.best_on_path``), and the modes a table shows get
#:    ``masked_probe_accuracy``, the probe of the code with its inactive entries zeroed, which the active-dims
#:    frontier reads (results/reference/frontier-text/masked_probe.md measured both on the text sweep).
SCORING_VERSION = 7


def _sizes_text(sizes: tuple[int | None, ...]) -> str:
    return ",".join("all" if s is None else str(s) for s in sizes)


@dataclass(frozen=True)
class ScoringConfig:
    """Settings of the scorers.  The probe protocol's defaults are read from ``tasks.probe_defaults`` (stated
    once there; ``tasks.probes`` fits by them), so a call of the probe without a config fits the same probe.

    ``probe_sizes`` is text so that ``--set probe_sizes=10,100,all`` parses like every other field:
    comma-separated labelled examples per class, ``all`` for the whole training set (always added:
    ``probe_accuracy`` is the all-labels probe).
    """

    probe_sizes: str = param(_sizes_text(DEFAULT_SIZES), doc="labelled examples per class, and all")
    probe_repeats: int = param(DEFAULT_REPEATS, ge=1, doc="seeded subsamples per size")
    #: Choose C per fit by stratified inner 5-fold CV on the training codes over ``tasks.probes.DEFAULT_C_GRID``;
    #: false: the fixed ``probe_C`` (on standardised codes under ``probe_scaler=auto``: the probe of protocol ≤ 2).
    probe_cv: bool = param(DEFAULT_CV, doc="choose C by inner cross-validation on the training codes")
    probe_C: float = param(DEFAULT_C, gt=0, doc="inverse L2 strength of the probe when probe_cv=false")
    #: "auto": chosen with C by the inner CV among ``tasks.probes.SCALERS`` (standard without CV).
    probe_scaler: str = param(DEFAULT_SCALER, choices=(AUTO, *SCALERS), doc="feature scaling before the probe")
    #: Draws of a stochastic mode averaged per sentence for the Hoyer ratio (HSVAE: 5).
    hoyer_samples: int = param(5, ge=1, doc="draws per sentence for the Hoyer ratio")
    #: Raw-code activity threshold for methods with neither a latent on/off variable nor exact zeros.
    activity_threshold: float = param(RAW_THRESHOLD, gt=0, doc="|z| threshold of the default activity rule")

    def __post_init__(self) -> None:
        self.sizes()

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any] | None) -> "ScoringConfig":
        raw = dict(raw or {})
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(raw) - known)
        if unknown:
            raise ConfigError(f"unknown scoring setting {unknown[0]!r}; valid: {', '.join(sorted(known))}")
        cfg = cls(**raw)
        check_config(cfg, "scoring")
        return cfg

    def probe_options(self) -> dict[str, Any]:
        """Keyword arguments of ``tasks.probes.logistic_probe`` / ``probe_sweep``: every probe of a cell (the
        sweep, the decoded-embedding probe, a training-curve point) fits by this one rule."""
        return {"C": self.probe_C, "cv_C": DEFAULT_C_GRID if self.probe_cv else None, "scaler": self.probe_scaler}

    def sizes(self) -> tuple[int | None, ...]:
        out: list[int | None] = []
        for item in str(self.probe_sizes).split(","):
            item = item.strip().lower()
            if not item:
                continue
            if item == "all":
                out.append(None)
                continue
            try:
                n = int(item)
            except ValueError:
                n = 0
            if n < 1:
                raise ConfigError(f"invalid probe size {item!r} in probe_sizes={self.probe_sizes!r}: "
                                  "expected positive integers (per class) or 'all', e.g. 10,100,all")
            out.append(n)
        if not out:
            raise ConfigError(f"probe_sizes={self.probe_sizes!r} names no size; e.g. 10,100,all")
        if None not in out:  # the headline probe_accuracy is always the all-labels probe
            out.append(None)
        return tuple(dict.fromkeys(out))


def score(inputs: Mapping[str, Any], config: ScoringConfig, per: str = "mode",
          scorers: list[Scorer] | None = None) -> Scored:
    """Every scorer (``per`` mode or model) whose inputs are present in ``inputs``, merged."""
    from tasks.metrics import all_scorers  # the scorers load scikit-learn and scipy: not when a config is resolved

    out = Scored()
    errors = []
    for scorer in scorers if scorers is not None else all_scorers():
        if scorer.per != per or any(inputs.get(name) is None for name in scorer.inputs):
            continue
        started = time.perf_counter()
        try:
            result = check_scorer(scorer, inputs, config)
        except Exception as exc:
            if scorer.origin == "built-in":
                raise
            errors.append(f"{scorer.name} ({scorer.origin}): {type(exc).__name__}: {exc}")
            continue
        finally:
            out.seconds[scorer.name] = time.perf_counter() - started
        out.scalars.update(result.scalars)
        if result.analysis:
            out.analysis[scorer.name] = result.analysis
    if errors:
        out.analysis["errors"] = errors
    return out
