"""``bench list``: what can be run.  Must not import torch (a test enforces it)."""
from __future__ import annotations

import click
from tabulate import tabulate

WHAT = ("methods", "corpora", "presets", "settings", "metrics", "executors")


#: Columns a listing fits on a terminal; ``--wide`` lifts it.
WIDTH = 100
_width = [WIDTH]


@click.command("list")
@click.argument("what", required=False, type=click.Choice(WHAT))
@click.option("--wide", is_flag=True, help=f"Do not wrap the tables to {WIDTH} columns.")
def list_(what: str | None, wide: bool) -> None:
    """List methods (with modes and hyperparameters), corpora, presets (with their sources), the training
    and scoring settings --set takes, metrics and executors (the names --executor takes).

    Every registry is listed the same way: its usable names, then each plugin that cannot be used
    (broken, clashing with another plugin, or left out for shadowing a built-in) with why."""
    _width[0] = 10**6 if wide else WIDTH
    for section in (what,) if what else WHAT:
        click.echo(f"{section}:")
        click.echo(_SECTIONS[section]())
        click.echo("")


def fit_table(rows: list[list], headers: list[str], width: int | None = None) -> str:
    """``tabulate`` with the widest columns wrapped so that the table fits ``width`` columns (water-filling:
    the columns narrower than the cap keep their width, the others wrap at the cap, but never inside a
    word: a setting's name or a ``key=value`` cut in two reads as two things)."""
    width = width or _width[0]
    cells = [[str(h)] + [str(r[i]) for r in rows] for i, h in enumerate(headers)]
    natural = [max(len(line) for cell in col for line in (cell.splitlines() or [""])) for col in cells]
    word = [max((len(w) for cell in col for w in cell.split()), default=1) for col in cells]
    budget = width - 2 * (len(headers) - 1)
    if sum(natural) <= budget:
        return tabulate(rows, headers=headers, disable_numparse=True)
    for whole_words in (True, False):  # cut inside a word only where whole words cannot fit
        cap = max(natural)
        while True:  # a column's longest word can keep it wider than the cap: measure what is printed
            table = tabulate(rows, headers=headers, disable_numparse=True,
                             maxcolwidths=[(max(cap, word[i]) if whole_words else cap) if w > cap else None
                                           for i, w in enumerate(natural)])
            if max(len(line) for line in table.splitlines()) <= width:
                return table
            if cap <= 8:
                break
            cap -= 1
    return table


def _wrap(text: str) -> str:
    import textwrap

    return textwrap.fill(text, _width[0], break_on_hyphens=False)


def _methods() -> str:
    """Every method, a broken plugin included (marked with its error), then the named variants."""
    from bench.config.variants import BUILTIN_VARIANTS
    from methods.registry import METHODS, all_methods

    # one mode and one hyperparameter a line when the table must fit: wrapping a joined list would cut
    # "std_head=softplus" or "sparse_mean_draw" in two
    sep = ", " if _width[0] > WIDTH else "\n"

    def row(entry) -> list:
        params = sep.join(f"{k}={v}" for k, v in entry.hyperparameters().items())
        stochastic = entry.identity.stochastic_modes if entry.identity else ()
        modes = sep.join(f"{m}{'*' if m == entry.default_mode else ''}{'~' if m in stochastic else ''}"
                         for m in entry.modes)
        return [modes, params, entry.description]

    rows = registry_rows(METHODS, row, width=3)
    table = fit_table(rows, ["method", "origin", "modes (* default,\n~ stochastic)", "hyperparameters\n(defaults)",
                             "description"])
    variants = fit_table([[v.name, v.method, ", ".join(f"{k}={x}" for k, x in v.settings.items()), v.description]
                          for v in BUILTIN_VARIANTS.values()], ["variant", "method", "settings", "description"])
    return f"{table}\n\n{variants}\n\n{_sweeps(all_methods())}"


#: ``bench list methods``'s sweep section fits this many columns.
SWEEP_WIDTH = 100


def _sweeps(entries: dict) -> str:
    """Every method's knobs and declared sweep, each value with a numbered source, in ≤ 100 columns."""
    import textwrap

    from methods.errors import MethodError
    from methods.sweeps import EQUAL_BUDGET, sweep_of

    sources: dict[str, int] = {}
    knob_rows, point_rows = [], []
    for name, entry in sorted(entries.items()):
        try:
            sw = sweep_of(entry.config if entry.config is not None else entry.load().Config)
        except MethodError:
            continue  # listed as UNUSABLE in the methods table
        knob_rows += [[name, k, what] for k, what in sw.knobs]
        for i, p in enumerate(sw.points, 1):
            settings = ", ".join(f"{k}={v} [{sources.setdefault(str(src), len(sources) + 1)}]"
                                 for k, v, src in p.spelled())
            if sw.control:
                settings = f"one point: {sw.control}"
            elif not sw.declared:
                settings = "one point, its defaults (declares no sweep)"
            point_rows.append([name if i == 1 else "", i, p.name + ("*" if i == 1 and sw.declared else ""), settings])
    head = (f"sweeps (bench run --sweep): {EQUAL_BUDGET} points per method, the equal budget; * the method's "
            "defaults (its published single point); [n]: where a value comes from")
    knobs = tabulate(knob_rows, headers=["method", "knob", "what it does"], maxcolwidths=[None, None, 70])
    points = tabulate(point_rows, headers=["method", "#", "point", "settings [source]"], maxcolwidths=[None, None, 20, 58])
    notes = "\n".join(textwrap.fill(f"[{n}] {src}", SWEEP_WIDTH, subsequent_indent="     ",
                                    break_on_hyphens=False)
                      for src, n in sources.items())
    return "\n\n".join([textwrap.fill(head, SWEEP_WIDTH), knobs, points, "sources:\n" + notes])


def registry_rows(registry, describe, width: int) -> list[list]:
    """``[name, origin, *describe(entry)]`` for every entry of ``registry``, then a row for each plugin that
    cannot be used (``UNUSABLE: why``): listed, not fatal, so one bad plugin never hides the others."""
    rows = []
    for name, entry in sorted(registry.entries().items()):
        try:
            rows.append([name, entry.origin, *describe(entry)])
        except registry.error as exc:
            rows.append([name, entry.origin, *["-"] * (width - 1), f"UNUSABLE: {exc}"])
    listed = {r[0] for r in rows if str(r[-1]).startswith("UNUSABLE")}
    for name, message in registry.problems():
        if name not in listed:
            rows.append([name, "plugin", *["-"] * (width - 1), f"UNUSABLE: {message}"])
    return rows


def _corpora() -> str:
    """Every corpus, a clashing or broken plugin included (marked with its error, refused only when used)."""
    from tasks.corpora.plugins import CORPORA

    rows = registry_rows(CORPORA, lambda entry: [entry.load().description], width=1)
    return fit_table([[r[0], r[-1]] for r in rows], ["corpus", "description"])


def _presets() -> str:
    """Every preset with its settings and where they come from (``Preset.source``: a paper, a repository)."""
    from bench.config.presets import PRESETS
    from methods.registry import builtin_methods

    saes = [n for n, e in builtin_methods().items() if e.identity and e.identity.sparse_autoencoder]

    def budget(p) -> str:  # what the preset's latent_dim means for a method declared a sparse autoencoder
        if "latent_dim" not in p.model or not saes:
            return ""
        return (f"; sparse autoencoders ({', '.join(saes)}): k={p.model['latent_dim']} active, the dictionary "
                "expansion × the input")

    rows = [[n, p.description, ", ".join(f"{k}={v}" for k, v in {**p.model, **p.train}.items())
             + "".join(f"; {m}" + (f" on {c}" if c != "*" else "") + ": " + ", ".join(f"{k}={v}" for k, v in extra.items())
                       for (m, c), extra in p.special.items()) + budget(p),
             getattr(p, "source", "") or "-"]
            for n, p in PRESETS.items()]
    return fit_table(rows, ["preset", "description", "settings", "source"])


def _metrics() -> str:
    """Every scorer of the metric table and its metrics, a broken metric plugin included (marked with its
    error: it is left out of scoring, never fatal)."""
    from tasks.metrics import all_scorers, plugin_failures

    rows = [[s.name, s.origin, s.per, ", ".join(m.name for m in s.metrics)] for s in all_scorers()]
    rows += [[name, "plugin", "-", f"UNUSABLE: {message}"] for name, message in plugin_failures()]  # its own rule
    from tasks.aggregate_metrics import AGGREGATE_METRICS

    rows.append(["frontier", "built-in", "sweep", ", ".join(m.name for m in AGGREGATE_METRICS)
                 + " (bench frontier: over a method's sweep points, not one cell)"])
    return fit_table(rows, ["scorer", "origin", "per", "metrics"])


_EXECUTOR_USE = {"local": "this process (--jobs 1 on CPU), else fresh worker processes (--jobs N, --devices)",
                 "dask": "an existing Dask cluster (--scheduler tcp://HOST:PORT); needs sparsebench[dask]"}


def _executors() -> str:
    """Every executor name with its origin; a plugin that cannot be used says why (imported only to say so)."""
    from bench.run.backends import ENTRY_POINT_GROUP, EXECUTORS

    def use(entry) -> list:
        if entry.error:
            raise EXECUTORS.error(entry.error)
        return [_EXECUTOR_USE.get(entry.name, f"plugin (entry-point group {ENTRY_POINT_GROUP})")]

    rows = registry_rows(EXECUTORS, use, width=1)
    return fit_table(rows, ["executor", "origin", "runs cells in"])


def _settings() -> str:
    """The keys ``--set`` takes besides a method's hyperparameters, with defaults, ranges and what they do;
    the value a bare ``bench run`` uses beside the field's own default (its declared value, with its source), which a preset changes."""
    import dataclasses

    from bench.config.presets import DEFAULT_PRESET, PRESETS
    from bench.config.resolve import TrainConfig
    from tasks.scoring import ScoringConfig
    from sparsebench.params import field_range

    preset = PRESETS[DEFAULT_PRESET].train
    rows = []
    for scope, cls in (("training", TrainConfig), ("scoring", ScoringConfig)):
        for f in dataclasses.fields(cls):
            rng = field_range(f)
            rows.append([f.name, scope, f.default, preset.get(f.name, f.default), rng.describe() if rng else "",
                         f.metadata.get("doc", "")])
    head = (f"a bare `bench run` uses preset {DEFAULT_PRESET} (column '{DEFAULT_PRESET}'); 'default' is the field's "
            "own declared value (its source: bench list methods), which --preset paper keeps; --set overrides either (bench list presets)")
    return _wrap(head) + "\n" + fit_table(rows, ["setting\n(--set KEY=VALUE)", "scope", "default", DEFAULT_PRESET,
                                                   "range", "what it does"])


_SECTIONS = {"methods": _methods, "corpora": _corpora, "presets": _presets, "settings": _settings, "metrics": _metrics, "executors": _executors}
