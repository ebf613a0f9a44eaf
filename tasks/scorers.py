"""The built-in scorers of the metric table: short functions over numpy arrays, each with its metrics declared.

Definitions are one line each and are the text of the metric table in docs/metrics.md (a test keeps them in
step); the longer story of each metric is in the docstrings of :mod:`tasks.sparsity`,
:mod:`tasks.probes`, :mod:`tasks.class_activation` and :mod:`tasks.activity`.
"""
from __future__ import annotations

import dataclasses
import math
from typing import Any, Mapping

import numpy as np

from tasks.activity import kept
from tasks.class_activation import NULL_PERMUTATIONS, class_activation, null_class_kl
from tasks.metric_types import Metric, Scored, Scorer
from tasks.probes import (DEFAULT_C_GRID, DEFAULT_CV_FOLDS, WHITEN_FLOOR, largest_class, logistic_probe, probe_sweep,
                          sizes_above, sweep_scalars, sweep_table, whitened)
from tasks.retrieval import masked, masks_nothing
from tasks.scorers_use import USE_SCORERS
from tasks.sparsity import active_dims, active_fraction, average_hoyer, dead_fraction, exact_l0, hoyer_ratio

#: A code dimension whose KL is below this many nats carries (almost) no information: collapsed.
COLLAPSE_NATS = 0.01


def _sparsity(x: Mapping[str, Any], cfg: Any) -> Scored:
    codes = x["test_codes"]
    ah, raw, l0 = average_hoyer(codes, normalise=True), average_hoyer(codes, normalise=False), exact_l0(codes)
    return Scored({"avg_hoyer": ah.value, "avg_hoyer_raw": raw.value, "hoyer_dropped_dims": ah.dropped_dims,
                   "hoyer_zero_codes": ah.zero_codes, "hoyer_zero_codes_raw": raw.zero_codes,
                   "l0": l0.l0, "zero_fraction": l0.zero_fraction})


def _activity(x: Mapping[str, Any], cfg: Any) -> Scored:
    a = x["test_activity"]
    return Scored({"active_fraction": active_fraction(a), "active_dims": active_dims(a), "dead_fraction": dead_fraction(a)},
                  {"rule": x.get("activity_rule", "")})


def _probes(x: Mapping[str, Any], cfg: Any) -> Scored:
    rows = probe_sweep(x["train_codes"], x["train_labels"], x["test_codes"], x["test_labels"], sizes=cfg.sizes(),
                       repeats=cfg.probe_repeats, random_state=x["seed"], **cfg.probe_options())
    scalars, analysis = sweep_scalars(rows), {"sweep": sweep_table(rows)}
    above = sizes_above(cfg.sizes(), x["train_labels"])
    if above:  # named, so a missing probe_accuracy@n column is explained, not a mystery
        analysis["sizes_above_largest_class"] = {"sizes": above, "largest_class": largest_class(x["train_labels"])}
    if x.get("headline") and x.get("train_activity") is not None and x.get("test_activity") is not None:
        masked_scalars, analysis["masked"] = _masked_probe(x, cfg, scalars)
        scalars.update(masked_scalars)
    return Scored(scalars, analysis)


def _masked_probe(x: Mapping[str, Any], cfg: Any, whole: Mapping[str, float]) -> tuple[dict[str, float], dict[str, Any]]:
    """The all-labels probe of the code with its inactive entries set to 0 (scoring protocol 7): the accuracy
    of the dims the activity reading counts.  Where the mask changes nothing (codes whose inactive entries
    are exact zeros) it is the whole-code probe, not fit twice."""
    train, test = x["train_codes"], x["test_codes"]
    keep_train, keep_test = kept(x["train_activity"]), kept(x["test_activity"])  # once: a probability reading sorts
    if masks_nothing(train, None, keep_train) and masks_nothing(test, None, keep_test):
        return ({"masked_probe_accuracy": whole["probe_accuracy"], "masked_probe_C": whole["probe_C"]},
                {"masked_is_raw": True, "rule": x.get("activity_rule", "")})
    probe = logistic_probe(masked(train, None, keep_train), x["train_labels"], masked(test, None, keep_test),
                           x["test_labels"], random_state=x["seed"], **cfg.probe_options())
    return ({"masked_probe_accuracy": probe.accuracy, "masked_probe_C": probe.C},
            {"masked_is_raw": False, "rule": x.get("activity_rule", ""), "C": probe.C, "scaler": probe.scaler,
             "folds": probe.folds, "cv_accuracy": probe.cv_accuracy, "converged": probe.converged})


def _class_activation(x: Mapping[str, Any], cfg: Any) -> Scored:
    ca = class_activation(x["test_activity"], x["test_labels"])
    return Scored({"class_kl_mean": ca.kl_mean, "class_js_mean": ca.js_mean, "class_silent": ca.silent_classes},
                  {"classes": ca.classes, "class_sizes": ca.sizes, "rule": x.get("activity_rule", ""),
                   "profile": ca.profile.tolist(), "kl": ca.kl.tolist(), "js": ca.js.tolist()})


def class_null_scored(activity: Any, labels: np.ndarray, seed: int) -> Scored:
    """The ``class_activation_null`` metrics of ``activity`` (dense or sparse)."""
    null = null_class_kl(activity, labels, seed=seed)
    return Scored({"class_kl_null": null.mean, "class_kl_excess": null.observed - null.mean},
                  {"null_std": null.std, "permutations": null.permutations})


def _class_activation_null(x: Mapping[str, Any], cfg: Any) -> Scored:
    return class_null_scored(x["test_activity"], x["test_labels"], x["seed"])


def _hoyer_ratio(x: Mapping[str, Any], cfg: Any) -> Scored:
    hr = hoyer_ratio(x["mean_codes"])
    scalars: dict[str, float | int] = {"hoyer_ratio_numerator": hr.numerator, "hoyer_ratio_denominator": hr.denominator,
                                       "hoyer_ratio_kept_dims": hr.kept_dims}
    if hr.defined:
        scalars["hoyer_ratio"] = hr.ratio
    return Scored(scalars, {**dataclasses.asdict(hr), "draws": cfg.hoyer_samples})


def _embedding_reconstruction(x: Mapping[str, Any], cfg: Any) -> Scored:
    target = np.asarray(x["test_inputs"], dtype=np.float64)
    decoded = np.asarray(x["test_decoded"], dtype=np.float64)
    total = float(((target - target.mean(0)) ** 2).sum())
    fvu = float(((target - decoded) ** 2).sum()) / total if total > 0 else 0.0
    return Scored({"fvu": fvu})


def _reconstruction_probe(x: Mapping[str, Any], cfg: Any) -> Scored:
    train, test, kept = whitened(x["train_decoded"], x["test_decoded"])  # scoring protocol 6 (tasks.probes.whitened)
    probe = logistic_probe(train, x["train_labels"], test, x["test_labels"], random_state=x["seed"],
                           **cfg.probe_options())
    return Scored({"recon_probe_accuracy": probe.accuracy, "recon_probe_C": probe.C},
                  {"C": probe.C, "scaler": probe.scaler, "folds": probe.folds, "cv_accuracy": probe.cv_accuracy,
                   "converged": probe.converged, "whitened_directions": kept})


def _reconstruction(x: Mapping[str, Any], cfg: Any) -> Scored:
    r = x["reconstruction"]
    sentences, sums = r["sentences"], r["sums"]
    scalars: dict[str, float | int] = {f"loss.{k}": v / sentences for k, v in sums.items()}
    scalars["nll_per_sentence"] = sums["recon"] / sentences
    if r.get("unit") == "token":
        scalars["nll_per_token"] = sums["recon"] / r["units"]
        scalars["perplexity"] = math.exp(min(scalars["nll_per_token"], 700.0))
    analysis: dict[str, Any] = {"unit": r.get("unit"), "units": r["units"], "sentences": sentences}
    kl = r.get("kl_per_dim")
    if kl is not None:
        kl = np.asarray(kl, dtype=np.float64)
        scalars["collapsed_dims"] = int((kl < COLLAPSE_NATS).sum())
        analysis["kl_per_dim"] = kl.tolist()
    return Scored(scalars, analysis)


def _decade(c: float) -> str:
    return f"1e{round(math.log10(c))}"


_SPARSITY = (
    Metric("avg_hoyer", True, "avg Hoyer", "Average Hoyer on std-normalised codes: mean over codes of "
           "(√D − ‖z̃‖₁/‖z̃‖₂)/(√D − 1), z̃_d = z_d/σ_d (population std, no centring); 0 flat, 1 one-hot "
           "(higher is sparser)", source="paper", bounds=(0.0, 1.0)),
    Metric("avg_hoyer_raw", None, "avg Hoyer (raw)", "the same on the raw codes, without normalisation", source="paper", bounds=(0.0, 1.0)),
    Metric("hoyer_dropped_dims", None, "dropped dims", "dimensions constant over the test set, dropped before "
           "normalising (no z̃ exists for them)", ".0f", bounds=(0.0, None)),
    Metric("hoyer_zero_codes", None, "zero codes", "all-zero codes (after dropping) left out of the Average Hoyer: "
           "their Hoyer is 0/0", ".0f", bounds=(0.0, None)),
    Metric("hoyer_zero_codes_raw", None, "zero codes (raw)", "all-zero codes left out of the raw Average Hoyer", ".0f", bounds=(0.0, None)),
    Metric("l0", None, "L0", "exact L0: mean number of entries ≠ 0.0 per code (D for continuous codes)", ".1f", bounds=(0.0, None)),
    Metric("zero_fraction", None, "zero frac", "fraction of entries exactly 0.0", bounds=(0.0, 1.0)),
)
_ACTIVITY = (
    Metric("active_fraction", None, "active frac", "mean activity (1/(N·D)) Σ_x Σ_d a_d(x), by the mode's activity "
           "rule (latent on/off variable, z ≠ 0, or |z| > 0.15 on the raw code)", bounds=(0.0, 1.0)),
    Metric("active_dims", None, "active dims", "mean number of active dimensions per code, Σ_d a_d(x), by the same "
           "rule (an L0 for codes without exact zeros)", ".1f", bounds=(0.0, None)),
    Metric("dead_fraction", False, "dead frac", "fraction of dimensions never active on the test split "
           "(binary readings: a_d(x) = 0 for every code; a probability reading: never among a code's "
           "round(Σ_d a_d) most probable entries)", bounds=(0.0, 1.0)),
)
_PROBES = (
    Metric("probe_accuracy", True, "probe acc", "test accuracy of a logistic-regression probe (lbfgs) fit on all "
           f"training codes, its C (decades {_decade(DEFAULT_C_GRID[0])}…{_decade(DEFAULT_C_GRID[-1])}) and feature "
           f"scaler (standard or max-abs) chosen by stratified {DEFAULT_CV_FOLDS}-fold CV on the training codes alone "
           "(probe_cv=false: standardised codes, the fixed probe_C, the probe of scoring protocol ≤ 2)", bounds=(0.0, 1.0)),
    Metric("probe_macro_f1", True, "probe F1", "macro-F1 of the same probe, (1/C) Σ_c F1_c", bounds=(0.0, 1.0)),
    Metric("probe_train_size", None, "probe n", "training codes the all-labels probe was fit on", ".0f",
           bounds=(0.0, None)),
    Metric("probe_C", None, "probe C", "the C (inverse L2 strength) the all-labels probe used; every fit's C, "
           "scaler and inner-CV accuracy are in the record's analysis", ".3g", bounds=(0.0, None)),
    Metric("probe_accuracy@{n}", True, "probe acc @{n}", "mean test accuracy over seeded, stratified subsamples of n "
           "labelled codes per class, each probe choosing by the same CV on its own subsample (folds capped by the "
           "smallest class: at 10 per class, 5 folds holding out 2 codes of each class)", bounds=(0.0, 1.0)),
    Metric("probe_accuracy_std@{n}", None, "probe acc std @{n}", "sample std (ddof = 1) of that accuracy over the "
           "repeats", bounds=(0.0, None)),
    Metric("probe_macro_f1@{n}", True, "probe F1 @{n}", "mean macro-F1 over the same subsamples", bounds=(0.0, 1.0)),
    Metric("probe_macro_f1_std@{n}", None, "probe F1 std @{n}", "sample std of that macro-F1 over the repeats", bounds=(0.0, None)),
    Metric("probe_unconverged", False, "unconverged", "probe fits that stopped at max_iter", ".0f", bounds=(0.0, None)),
    Metric("masked_probe_accuracy", True, "masked probe acc", "test accuracy of the same all-labels probe (same rule) "
           "on the codes with the entries the mode's activity rule reads as inactive set to 0 (a fractional reading, "
           "E[1 − γ] or γ: each code keeps its round(Σ_d a_d) most probable entries), training and test alike: the "
           "accuracy of the dims active_dims counts (the accuracy of the active-dims frontier); equal to "
           "probe_accuracy where inactive entries are exact zeros; for the modes a table shows", bounds=(0.0, 1.0)),
    Metric("masked_probe_C", None, "masked probe C", "the C that probe used", ".3g", bounds=(0.0, None)),
)
_CLASS = (
    Metric("class_kl_mean", True, "class KL", "mean over ordered class pairs of KL(P_c ‖ P_c') in nats, "
           "P_c(d) ∝ Σ_{x∈c} a_d(x) smoothed by 1e-6: how much which dimensions are active says about the class", bounds=(0.0, None)),
    Metric("class_js_mean", True, "class JS", "the same mean for the Jensen–Shannon divergence (symmetric, ≤ ln 2)", bounds=(0.0, 0.6932)),
    Metric("class_silent", False, "silent classes", "classes with no active entry at all (their P_c is uniform)",
           ".0f", bounds=(0.0, None)),
)
_CLASS_NULL = (
    Metric("class_kl_null", None, "class KL null", f"the same class KL with the test labels shuffled (mean of "
           f"{NULL_PERMUTATIONS} seeded permutations): the level activity unrelated to the class shows at this sample size", bounds=(0.0, None)),
    Metric("class_kl_excess", True, "class KL − null", "class KL minus its null: what the active dimensions say "
           "about the class beyond estimation noise (≤ 0: nothing measurable)"),
)
_HOYER_RATIO = (
    Metric("hoyer_ratio", None, "Hoyer ratio", "HSVAE's Hoyer ratio: Average Hoyer of the std-normalised K-draw "
           "mean codes over the Hoyer of their dataset-mean code (rarely active dimensions masked); > 1 means "
           "adaptive sparsity", source="paper", bounds=(0.0, None)),
    Metric("hoyer_ratio_numerator", None, "HR num", "its numerator, AH of the normalised mean codes", source="paper", bounds=(0.0, 1.0)),
    Metric("hoyer_ratio_denominator", None, "HR den", "its denominator, Hoyer of the masked dataset-mean code",
           source="paper", bounds=(0.0, 1.0)),
    Metric("hoyer_ratio_kept_dims", None, "HR dims", "dimensions kept by its 5th-percentile activity mask "
           "(|m| > 1e-2)", ".0f", source="paper", bounds=(0.0, None)),
)
_EMBEDDING = (
    Metric("fvu", False, "FVU", "fraction of variance unexplained of the embedding: Σ‖x − x̂‖² / Σ‖x − x̄‖² on the "
           "test split, x̂ decoded from the mode's codes", bounds=(0.0, None)),
)
_RECON_PROBE = (
    Metric("recon_probe_accuracy", True, "recon probe acc", "accuracy of the same probe on the decoded embeddings "
           f"x̂, PCA-whitened on the training split (directions below {WHITEN_FLOOR:g} of the largest variance, float32 "
           "rounding, dropped): what the reconstruction keeps of the class; the deterministic headline "
           "mode only (else the default mode): a 384-d probe per mode would dominate a cell's time", bounds=(0.0, 1.0)),
    Metric("recon_probe_C", None, "recon probe C", "the C that probe used (chosen by the same CV; its scaler is in "
           "the analysis)", ".3g", bounds=(0.0, None)),
)
_RECONSTRUCTION = (
    Metric("nll_per_sentence", False, "NLL/sent", "the method's reconstruction term on the test split per sentence "
           "(summed token cross-entropy on the text backbone; the ELBO's reconstruction term, not −log p(x))"),
    Metric("nll_per_token", False, "NLL/token", "the same summed over all test tokens (with <EOS>) divided by their "
           "number", bounds=(0.0, None)),
    Metric("perplexity", False, "PPL", "exp(nll_per_token)", ".1f", bounds=(1.0, None)),
    Metric("loss.{term}", None, "{term}", "each named term of the method's loss on the test split, per sentence"),
    Metric("collapsed_dims", None, "collapsed dims", f"code dimensions whose KL on the test split is below "
           f"{COLLAPSE_NATS} nats (posterior collapse)", ".0f", bounds=(0.0, None)),
)

BUILTIN_SCORERS: tuple[Scorer, ...] = (
    Scorer("sparsity", ("test_codes",), _sparsity, _SPARSITY),
    Scorer("activity", ("test_activity",), _activity, _ACTIVITY),
    Scorer("probes", ("train_codes", "train_labels", "test_codes", "test_labels"), _probes, _PROBES),
    Scorer("class_activation", ("test_activity", "test_labels"), _class_activation, _CLASS),
    Scorer("class_activation_null", ("test_activity", "test_labels"), _class_activation_null, _CLASS_NULL),
    Scorer("hoyer_ratio", ("mean_codes",), _hoyer_ratio, _HOYER_RATIO),
    Scorer("embedding_reconstruction", ("test_inputs", "test_decoded"), _embedding_reconstruction, _EMBEDDING),
    Scorer("reconstruction_probe", ("test_decoded", "train_decoded", "train_labels", "test_labels"),
           _reconstruction_probe, _RECON_PROBE),
    Scorer("reconstruction", ("reconstruction",), _reconstruction, _RECONSTRUCTION, per="model"),
    *USE_SCORERS,  # what the codes are for: k-sparse probes, retrieval, ablation, clustering (tasks.scorers_use)
)
