"""The scorers of what sparse codes are for: k-sparse probes, retrieval and its index cost, class ablation,
clustering (``docs/metrics.md`` says which question each answers and why each choice was made).

They join the metric table through :data:`tasks.scorers.BUILTIN_SCORERS`; the functions live in
:mod:`tasks.ksparse`, :mod:`tasks.retrieval`, :mod:`tasks.ablation` and :mod:`tasks.clustering`.
Each accepts dense codes and scipy.sparse ones (the TF-IDF reference) alike.
"""
from __future__ import annotations

from dataclasses import asdict
from typing import Any, Mapping

from tasks.ablation import class_ablation
from tasks.activity import kept
from tasks.clustering import MAX_POINTS, N_INIT, cluster_codes
from tasks.ksparse import HEADLINE_K, KS, SIZES, headline, ksparse_surface, surface_table
from tasks.metric_types import Metric, Scored, Scorer
from tasks.retrieval import MAP_AT, PRECISION_AT, index_cost, masked, masks_nothing, retrieval_quality


def _sizes_text(sizes: tuple[int | None, ...]) -> str:
    return ", ".join("all" if s is None else str(s) for s in sizes)


def _ksparse(x: Mapping[str, Any], cfg: Any) -> Scored:
    # the surface's sizes among the probe sweep's (all labels always): a run that asks for fewer probe sizes,
    # e.g. ``--set probe_sizes=all`` for speed, gets the surface at those only (the default has all three)
    sizes = [s for s in SIZES if s is None or s in cfg.sizes()]
    points = ksparse_surface(x["train_codes"], x["train_labels"], x["test_codes"], x["test_labels"], sizes=sizes,
                             repeats=cfg.probe_repeats, random_state=x["seed"], probe=cfg.probe_options())
    top = headline(points)
    return Scored({"ksparse_accuracy": top.accuracy_mean, "ksparse_features": top.k_used},
                  {"surface": surface_table(points), "selection": "correlation ratio η² on the labelled subsample"})


def _retrieval(x: Mapping[str, Any], cfg: Any) -> Scored:
    train, test = x["train_codes"], x["test_codes"]
    train_y, test_y, seed = x["train_labels"], x["test_labels"], x["seed"]
    raw_quality = retrieval_quality(train, train_y, test, test_y, random_state=seed)
    raw_cost = index_cost(train, test)
    keep_train, keep_test = kept(x["train_activity"]), kept(x["test_activity"])  # once per split
    same = masks_nothing(train, None, keep_train) and masks_nothing(test, None, keep_test)
    if same:  # codes with exact zeros: the mask is the code's own zeros
        quality, cost = raw_quality, raw_cost
    else:
        train_m, test_m = masked(train, None, keep_train), masked(test, None, keep_test)
        quality = retrieval_quality(train_m, train_y, test_m, test_y, random_state=seed)
        cost = index_cost(train_m, test_m)
    scalars: dict[str, float | int] = {}
    for prefix, q, c in (("retrieval", raw_quality, raw_cost), ("masked", quality, cost)):
        scalars.update({f"{prefix}_precision@{PRECISION_AT}": q.precision, f"{prefix}_map@{MAP_AT}": q.average_precision,
                        f"{prefix}_flops": c.flops, f"{prefix}_index_bytes": c.index_bytes,
                        f"{prefix}_posting_skew": c.posting_skew})
    return Scored(scalars, {"similarity": "dot", "index": "training codes", "queries": "test codes",
                            "relevant": "same class", "masked_is_raw": same,
                            "raw": {**asdict(raw_quality), **asdict(raw_cost)}, "masked": {**asdict(quality), **asdict(cost)},
                            "rule": x.get("activity_rule", "")})


def _ablation(x: Mapping[str, Any], cfg: Any) -> Scored:
    r = class_ablation(x["train_codes"], x["train_labels"], x["test_codes"], x["test_labels"], C=cfg.probe_C,
                       random_state=x["seed"])
    return Scored({"ablation_score": r.score, "ablation_own_drop": r.own_drop, "ablation_other_drop": r.other_drop,
                   "ablation_latents": r.n}, asdict(r))


def _clustering(x: Mapping[str, Any], cfg: Any) -> Scored:
    c = cluster_codes(x["test_codes"], x["test_labels"], random_state=x["seed"])
    return Scored({"cluster_v_measure": c.v_measure, "cluster_ari": c.adjusted_rand}, asdict(c))


_KSPARSE = (
    Metric("ksparse_accuracy", True, f"k-sparse acc (k={HEADLINE_K})", f"test accuracy of the headline probe fit on "
           f"only the {HEADLINE_K} training features of largest correlation ratio η² (between-class share of the "
           f"feature's variance: scale-invariant, constant features never chosen), all labels; the surface over "
           f"k ∈ {{{', '.join(map(str, KS))}}} × labels per class ∈ {{{_sizes_text(SIZES)}}} (those of them among "
           "probe_sizes; features chosen on each labelled subsample) is in the record's analysis; for the modes a table shows (each kind's headline mode "
           "and the default mode)", bounds=(0.0, 1.0)),
    Metric("ksparse_features", None, "k-sparse k", f"features that probe used: {HEADLINE_K}, fewer for a code with "
           "fewer non-constant features", ".0f", bounds=(0.0, None)),
)


def _retrieval_metrics(prefix: str, header: str, what: str) -> tuple[Metric, ...]:
    return (
        Metric(f"{prefix}_precision@{PRECISION_AT}", True, f"P@{PRECISION_AT}{header}", f"{what}: mean over test "
               f"queries of the share of same-class training codes among the {PRECISION_AT} of largest dot product "
               "(ties in seeded random order)", bounds=(0.0, 1.0)),
        Metric(f"{prefix}_map@{MAP_AT}", True, f"mAP@{MAP_AT}{header}", f"{what}: mean over queries of AP@{MAP_AT} = "
               f"Σ_{{i≤{MAP_AT}}} P@i·rel_i / min(R, {MAP_AT}), R the query class's training codes", bounds=(0.0, 1.0)),
        Metric(f"{prefix}_flops", False, f"FLOPS{header}", f"{what}: average FLOPS of its inverted index, "
               "Σ_d p_q(d)·p_D(d), p the fraction of queries (test) and documents (training) non-zero at d: "
               "multiply-adds per query-document pair (D for a dense code)", bounds=(0.0, None)),
        Metric(f"{prefix}_index_bytes", False, f"index bytes{header}", f"{what}: the training codes as a float32 "
               "scipy.sparse CSR matrix, data + indices + indptr bytes", ".0f", bounds=(0.0, None)),
        Metric(f"{prefix}_posting_skew", None, f"posting skew{header}", f"{what}: largest document frequency over "
               "the mean of the non-empty posting lists (1: all lists equal)", ".1f", bounds=(1.0, None)),
    )


_RETRIEVAL = (
    *_retrieval_metrics("retrieval", "", "the code as it is (exact non-zeros)"),
    *_retrieval_metrics("masked", " (masked)", "the code with the entries its mode's activity rule reads as inactive "
                        "set to 0 (a fractional reading keeps each code's round(Σ_d a_d) most probable entries; the "
                        "same code where inactive means exactly 0)"),
)
_ABLATION = (
    Metric("ablation_score", True, "ablation score", "class-latent ablation (TPP without a language model): per "
           "class c, zero the n training-chosen latents most tied to c in the test codes; mean drop of c's "
           "one-vs-rest probe minus the mean drop of the other classes' probes (balanced accuracy, probes fit once "
           "on the intact training codes)", bounds=(-2.0, 2.0)),
    Metric("ablation_own_drop", None, "own drop", "mean over classes of the drop of the class's own probe",
           bounds=(-1.0, 1.0)),
    Metric("ablation_other_drop", None, "other drop", "mean over classes of the mean drop of the other probes",
           bounds=(-1.0, 1.0)),
    Metric("ablation_latents", None, "ablated n", "latents zeroed per class: ⌈W / C⌉, W the non-constant latents "
           "and C the classes (an equal share of the usable width)", ".0f", bounds=(1.0, None)),
)
_CLUSTERING = (
    Metric("cluster_v_measure", True, "V-measure", f"V-measure of k-means clusters (k = classes, {N_INIT} seeded "
           f"restarts, raw test codes, at most {MAX_POINTS:,} of them) against the labels", bounds=(0.0, 1.0)),
    Metric("cluster_ari", True, "ARI", "adjusted Rand index of the same clusters against the labels",
           bounds=(-0.5, 1.0)),
)

USE_SCORERS: tuple[Scorer, ...] = (
    Scorer("ksparse_probes", ("train_codes", "train_labels", "test_codes", "test_labels", "headline"), _ksparse, _KSPARSE),
    Scorer("retrieval", ("train_codes", "train_labels", "test_codes", "test_labels", "train_activity",
                         "test_activity"), _retrieval, _RETRIEVAL),
    Scorer("class_ablation", ("train_codes", "train_labels", "test_codes", "test_labels"), _ablation, _ABLATION),
    Scorer("clustering", ("test_codes", "test_labels"), _clustering, _CLUSTERING),
)
