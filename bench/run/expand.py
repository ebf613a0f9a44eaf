"""From what a run asks for to its cells: the grid expanded, every cell resolved once and checked before anything trains.

:func:`expand` turns a :class:`Grid` (methods or variants × corpora × seeds × ``--grid`` points ×
declared sweep points) into resolved :class:`~bench.cells.method.MethodCell` values, resolving each
frozen encoder the grid names once (:class:`~bench.encoders.identity.EncoderIdentities`); a typo
anywhere fails here.  :func:`check_data` and :func:`preflight` then refuse, in seconds, what would
otherwise fail after a long training run: a missing split, a corpus with one class, a plugin whose
codes have the wrong shape.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from bench.cells.method import MethodCell
from bench.config.presets import DEFAULT_PRESET
from bench.config.grid import check_sweep_conflicts, check_values, count_points, merge, points_for, sweep_points
from bench.config.experiment import Experiment
from bench.config.resolve import ENCODER_KEY, check_override_keys, parse_overrides
from bench.config.spec import RunSpec
from bench.config.variants import Variant, lookup
from bench.errors import UserError
from methods.registry import get_method
from tasks.corpora import corpus_info, load_corpus


@dataclass(frozen=True)
class Grid:
    """What a run asks for (``bench run``'s grid options, or an experiment file's).

    ``methods`` may name variants (built-in or from ``variants``): a method plus fixed settings.
    ``sweep``: each method runs every point of its declared sweep (``bench list methods``), each point
    a cell of its own (combined with the seeds and any ``grid`` points).  ``encoder`` is the frozen
    encoder of the cells on the embedding backbone (``--encoder``; ``--set``/``--grid encoder=...``
    set it per cell), dropped from cells on the text backbone.  ``train_split`` may not be ``test``:
    the probes and every score are read on the test split, so a model (and the probes) trained on it
    would be scored on what they were fitted to.
    """

    methods: Sequence[str]
    corpora: Sequence[str]
    seeds: Sequence[int] = (0,)
    preset: str = DEFAULT_PRESET
    overrides: tuple[tuple[str, str], ...] = ()
    train_split: str = "train"
    grid: Mapping[str, list[str]] = field(default_factory=dict)
    encoder: str = ""
    variants: Mapping[str, Variant] = field(default_factory=dict)
    sweep: bool = False
    #: Further seeds for the points on a frontier of the stored records of ``seeds`` (bench.run.frontier_seeds).
    frontier_seeds: Sequence[int] = ()

    @classmethod
    def of_experiment(cls, exp: Experiment, *, sets: Sequence[str] = (), grid: Mapping[str, list[str]] | None = None,
                      **given: Any) -> "Grid":
        """The grid an experiment file declares, with what a caller gives explicitly winning: ``sets`` after
        the file's ``[set]`` (a later value wins), ``grid`` over the file's, any other field by name (None:
        the file's).  ``bench run --config`` and the sweep publisher read a file through here alone."""
        chosen = {k: v for k, v in given.items() if v is not None}
        return cls(**{"methods": exp.methods, "corpora": exp.corpora, "seeds": exp.seeds, "preset": exp.preset,
                      "train_split": exp.train_split, "variants": exp.variants, "sweep": exp.sweep,
                      "frontier_seeds": tuple(exp.frontier_seeds), **chosen,
                      "overrides": parse_overrides([*(f"{k}={v}" for k, v in exp.sets.items()), *sets]),
                      "grid": {**exp.grid, **(grid or {})}})


#: Cells a run starts without ``--yes-large-grid``: the paper's grid is 153; a grid of thousands is more
#: often a slip (``--seeds 1000000``, one --grid too many) than a plan, and costs hours to find out.
LARGE_GRID = 500


def expand(request: Grid, cache_dir: Any = None, max_cells: int | None = None) -> list[MethodCell]:
    """All cells, resolved and validated up front: a typo anywhere fails before anything trains.

    ``max_cells``: refuse a grid of more cells (counted before any is made, so ``--seeds 1000000`` is
    refused at once) unless None."""
    from bench.encoders.identity import EncoderIdentities

    if request.train_split == "test":
        raise UserError("--train-split test: every score is read on the test split, so training on it would score "
                        "the models on the sentences they were trained on; use train, or valid where train is absent")
    named = {m: lookup(m, dict(request.variants)) for m in request.methods}
    if request.sweep:
        fixed = [m for m, v in named.items() if v]
        if fixed:
            v = named[fixed[0]]
            raise UserError(f"--sweep: {fixed[0]!r} is a variant (a fixed configuration of {v.method}) and is not "
                            f"swept; name its method instead (--methods {v.method}): its declared sweep is "
                            "listed by `bench list methods`")
    real = {m: (v.method if v else m) for m, v in named.items()}
    entries = {r: get_method(r) for r in real.values()}
    for c in request.corpora:
        corpus_info(c)
    configs = {m: (e.config or e.load().Config) for m, e in entries.items()}
    grid = dict(request.grid)
    overrides = request.overrides
    check_override_keys(overrides + tuple((k, v[0]) for k, v in grid.items())
                        + tuple(kv for v in named.values() if v for kv in v.overrides()), configs)
    check_values(grid, configs)
    swept = {}
    for m in request.methods:
        if request.sweep:
            check_sweep_conflicts(real[m], configs[real[m]], overrides, grid)
        swept[m] = sweep_points(real[m], configs[real[m]]) if request.sweep else [("", ())]
    if max_cells is not None:
        check_size(request, {m: count_points(real[m], configs[real[m]], grid) * len(swept[m]) for m in request.methods},
                   max_cells)
    specs = []
    for c in request.corpora:
        for m in request.methods:
            method, variant = real[m], named[m]
            for _, declared in swept[m]:
                for point in points_for(method, configs[method], grid):
                    cell = merge(merge(merge(overrides, point), declared), variant.overrides() if variant else ())
                    for s in request.seeds:
                        specs.append(RunSpec(method, c, s, request.preset, cell, request.train_split,
                                             request.encoder, variant.name if variant else ""))
    encoders = EncoderIdentities(cache_dir)  # each encoder name resolved once, here, before any worker starts
    cells = list(dict.fromkeys(MethodCell.resolve(spec, encoders) for spec in dict.fromkeys(specs)))
    asked = [request.encoder, *(v for k, v in overrides if k.rpartition(".")[2] == ENCODER_KEY),
             *(v for k, vs in grid.items() if k.rpartition(".")[2] == ENCODER_KEY for v in vs)]
    named_encoder = next((a for a in asked if a), "")
    if named_encoder and not any(c.backbone == "embedding" for c in cells):
        raise UserError(f"encoder {named_encoder!r} is used only on the embedding backbone, and no cell of this run "
                        f"is on it (its methods run on the text backbone): add --backbone embedding, or "
                        "--grid backbone=text,embedding to run both")
    return cells


def check_size(request: Grid, per_method: Mapping[str, int], max_cells: int) -> None:
    """Refuse a grid of more than ``max_cells`` cells, naming what multiplies to its size."""
    total = len(request.corpora) * len(request.seeds) * sum(per_method.values())
    if total <= max_cells:
        return
    points = sum(per_method.values())
    raise UserError(f"this run asks for {total:,} cells ({len(request.corpora)} corpora × {len(request.seeds):,} seeds × "
                    f"{points:,} method and grid points), more than the {max_cells:,} a run starts without asking; "
                    "check --seeds, --grid and --sweep, or add --yes-large-grid to run them all")


def check_data(cells: Sequence[MethodCell], data_dir: Any) -> None:
    """Every split a cell will read must be on disk before anything trains (workers would only fail later).

    Every missing split of every corpus is named in one message: a user asking for ``yelp,yahoo`` on a
    fresh machine learns in one try what to fetch, not one corpus per attempt.
    """
    from tasks.corpora.datadir import describe_data_dir
    from tasks.errors import CorpusError

    needed: dict[str, dict[str, None]] = {}  # insertion-ordered: a training split before "test"
    for cell in cells:
        needed.setdefault(cell.spec.corpus, {}).update(dict.fromkeys((cell.spec.train_split, "test")))
    missing: dict[str, list[str]] = {}
    errors: list[CorpusError] = []
    for corpus, splits in sorted(needed.items()):
        info = corpus_info(corpus)
        if info.present is not None:
            have = set(info.present(data_dir))
            for split in [s for s in splits if s not in have]:
                try:
                    load_corpus(corpus, data_dir=data_dir, splits=(split,))
                except CorpusError as exc:
                    errors.append(exc)
                missing.setdefault(corpus, []).append(split)
    if len(errors) == 1 and sum(map(len, missing.values())) == 1:
        raise errors[0]  # one split of one corpus: the loader's own message, naming the file
    if missing:
        raise UserError(missing_data_message(missing, data_dir, describe_data_dir(data_dir)))
    for corpus, splits in sorted(needed.items()):
        info = corpus_info(corpus)
        data = read_every_file(corpus, info, list(splits), data_dir)
        check_classes(corpus, info, list(splits), data_dir, data)


def read_every_file(corpus: str, info: Any, splits: Sequence[str], data_dir: Any) -> Any:
    """Read and decode every file of a built-in or user corpus the cells will read, here, before any cell is
    dispatched: a bad byte or line is then the run's one-line error, whatever ``--jobs``, instead of one
    failed cell per seed in the workers.  A plugin's corpus is its loader's to read (it may download)."""
    from tasks.corpora import is_user_corpus

    if info.origin != "built-in" and not is_user_corpus(corpus):
        return None
    return load_corpus(corpus, data_dir=data_dir, splits=tuple(splits))


def missing_data_message(missing: dict[str, list[str]], data_dir: Any, where: str) -> str:
    """One line naming every missing split and the command(s) that fetch them."""
    parts = [f"{corpus} ({', '.join(splits)})" for corpus, splits in sorted(missing.items())]
    flag = f" --data-dir {data_dir}" if data_dir else ""
    fetch = "; ".join(f"bench data download {c}{flag}" for c in sorted(missing))
    train_only = any(splits == ["train"] or splits[:1] == ["train"] for splits in missing.values())
    return (f"missing corpus files in the data folder {where}: {', '.join(parts)}; fetch them with `{fetch}`"
            + (", or train on a split that is present with --train-split valid" if train_only else "")
            + " (or point --data-dir at a folder that holds them)")


def check_classes(corpus: str, info: Any, splits: Sequence[str], data_dir: Any, data: Any = None) -> None:
    """A probe needs two classes: refuse a corpus with fewer before training, not after it.

    Built-in corpora declare their classes; a user file is read here once (its cells would read it
    anyway) and the labels of each training split counted: the probes fit on those.
    """
    from tasks.corpora import is_user_corpus

    if info.class_names and len(info.class_names) >= 2:
        return
    where = f"the file {corpus}" if is_user_corpus(corpus) else f"corpus {corpus!r} ({info.origin})"
    if info.class_names:
        raise UserError(f"{where} declares {len(info.class_names)} class ({info.class_names[0]!r}); "
                        "the probes and class analyses need at least 2 labelled classes")
    if not is_user_corpus(corpus):
        return  # a plugin without declared classes: its loader is its author's to check
    train = tuple(s for s in splits if s != "test") or tuple(splits)  # the probes fit on the training split
    data = data if data is not None else load_corpus(corpus, data_dir=data_dir, splits=train)
    for split in train:
        labels = data.split(split).labels
        n = len(set(labels.tolist()))
        if n < 2:
            names = sorted({data.class_names[i] for i in set(labels.tolist())}) if len(labels) else []
            raise UserError(f"{where} has {n} class in its {split} split"
                            + (f" (every label is {names[0]!r})" if names else "")
                            + "; the probes and class analyses need at least 2 labelled classes: "
                            "check its label column")


def preflight(cells: Sequence[MethodCell]) -> None:
    """Each selected method, with its resolved config, encodes a tiny toy batch before anything trains.

    A plugin whose codes have the wrong shape (or whose loss does not run) fails here in seconds, with
    the conformance suite's message, instead of after a full training run.
    """
    from methods.conformance import Checks, ConformanceError, toy_data

    seen = set()
    for cell in cells:
        cfg = cell.config["method_config"]
        key = (cell.spec.method, tuple(sorted(cfg.items())))
        if key in seen:
            continue
        seen.add(key)
        entry = get_method(cell.spec.method)
        checks = Checks(entry.load(), toy_data(0, n_batches=1, batch_size=4), config_overrides=cfg,
                        backbone=cfg.get("backbone", "text"))
        check_memory(cell, checks)
        try:
            checks.check_shapes()
        except ConformanceError as exc:
            raise UserError(f"method {cell.spec.method!r} ({entry.origin}) fails the interface check before training: "
                            f"{exc}; run `bench check-plugin {cell.spec.method}` for every check") from None


#: Copies of the parameters that training holds at once: weights, gradients and Adam's two moments.
TRAINING_COPIES = 4


def check_memory(cell: MethodCell, checks: Any) -> None:
    """Refuse a model whose training would not fit in the memory available, before allocating it.

    The model is built on torch's ``meta`` device (shapes, no storage) with the toy vocabulary, so the
    count is a lower bound: ``--set latent_dim=200000000`` (a 150 GB GRU) is refused in one line, not
    by an allocation error.  A method that cannot be built on ``meta`` is left to the shape check."""
    import torch

    try:
        with torch.device("meta"):
            model = checks.build()
        nbytes = sum(p.numel() * p.element_size() for p in model.parameters())
    except Exception:
        return
    need, free = TRAINING_COPIES * nbytes, available_memory()
    if free is None or need <= free:
        return
    from bench.errors import human_bytes

    settings = " ".join(f"{k}={v}" for k, v in cell.spec.overrides) or "its preset's sizes"
    raise UserError(f"method {cell.spec.method!r} with {settings} has {sum(p.numel() for p in model.parameters()):,} "
                    f"parameters ({human_bytes(nbytes)}; training holds about {TRAINING_COPIES}×, {human_bytes(need)}), "
                    f"more than the {human_bytes(free)} of memory available; choose smaller sizes "
                    "(latent_dim, hidden_dim, embed_dim)")


def available_memory() -> int | None:
    """Bytes of memory available to a new allocation (Linux ``MemAvailable``), None where unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None
