"""How long a run will take, said before it starts: from stored timings of similar cells, else a rough figure.

A similar cell is one of the same method (or reference), corpus, preset and backbone (the text GRU, or a
frozen encoder's embeddings: minutes against seconds) that finished; its median wall time stands for each
cell of that kind.  A record re-scored from kept weights did not train, but it keeps the training seconds of
the run that made its weights: its training plus its scoring seconds stand for its wall time (a sweep
re-scored under a new scoring protocol would otherwise leave no timing to estimate its untrained cells by).
Without one, the median of the cells of other methods of the same corpus, preset and backbone stands in (a
sweep's first cells of a new method cost about what its neighbours did).  Without those either, a text-backbone cell is timed from trained cells of the same
preset on another corpus, scaled by its training tokens: seconds per token of the same method there (else of
every method), times the tokens its epochs will read (a DBpedia cell reads about four times the tokens of a
Yahoo cell of the reference preset: a flat per-cell figure would put a DBpedia sweep at a quarter of its
cost).  Without any, the rough figure per cell on CPU (:data:`ROUGH_SECONDS`,
:data:`ROUGH_EMBEDDING_SECONDS`, from this project's own runs on 2 cores).  A cell re-scored from kept
weights costs its scoring alone: the median scoring time of records of its kind, else
:data:`ROUGH_UNTRAINED_SECONDS`.  The line says which.
"""
from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Sequence

#: Seconds per trained cell on CPU, by preset (smoke: the tests' cells; reference: a Yahoo cell took 483 s on
#: one core on 5 December 2026 (docs/performance.md), a DBpedia cell about twice that; paper sizes on CPU are
#: hours).  A preset not listed counts as ``cpu``.
ROUGH_SECONDS = {"smoke": 10.0, "cpu": 300.0, "reference": 600.0, "paper": 7200.0, "paper768": 14400.0}
#: Seconds per trained cell of the embedding backbone on CPU (the frozen encoder's embeddings cached): an
#: embedding-track cell took 40–60 s on one core, training and scoring, on 6 December 2026.
ROUGH_EMBEDDING_SECONDS = 60.0
#: A reference row, or a re-scored model without a stored scoring time of its kind: no training.
ROUGH_UNTRAINED_SECONDS = 10.0

Kind = tuple[str, str, str, str]  # (method or reference name, corpus, preset, encoder; "" = the text backbone)


@dataclass(frozen=True)
class Estimate:
    seconds: float
    measured: int  # cells timed from stored records of the same kind (:func:`kind_of`)
    rough: int  # cells timed by the rough figures
    neighbours: int = 0  # cells timed from stored records of other methods of the same corpus, preset and backbone
    scaled: int = 0  # cells timed from another corpus's records, scaled by training tokens

    def source(self) -> str:
        """Where the figure comes from: ``from stored timings of ...`` (and for how many cells each source)."""
        sources = [(self.measured, "stored timings of similar cells: same method, corpus, preset and backbone"),
                   (self.neighbours, "stored timings of other methods on the same corpus, preset and backbone"),
                   (self.scaled, "stored timings on another corpus scaled by training tokens"),
                   (self.rough, "rough per-preset figures")]
        used = [(n, what) for n, what in sources if n]
        if len(used) == 1:
            return "from " + used[0][1] + (": no stored timing of a similar cell" if self.rough else "")
        return "from " + ", ".join(f"{what.split(':')[0]} for {n}" for n, what in used)

    def line(self, cells: int, references: int, concurrency: int) -> str:
        at = f" with {concurrency} at once" if concurrency > 1 else ""
        what = f"{cells} cell(s)" + (f" and {references} reference row(s)" if references else "")
        return f"to run: {what}, about {duration(self.seconds / max(1, concurrency))}{at} ({self.source()})"


def kind_of(cell: Any) -> Kind:
    """(method or reference name, corpus, preset, encoder): what makes two cells similar in cost."""
    spec = cell.spec if hasattr(cell, "spec") else cell.source.spec
    return cell.name, spec.corpus, spec.preset, spec.encoder or ""


def _record_kind(record: dict[str, Any]) -> Kind:
    spec = record.get("spec") or {}
    return (str(spec.get("method")), str(spec.get("corpus")), str(spec.get("preset")), str(spec.get("encoder") or ""))


def stored_timings(records: Iterable[dict[str, Any]]) -> dict[Kind, float]:
    """The median wall seconds of finished records by :func:`kind_of` key, as their cells take when they train
    (:func:`_trained_walls`)."""
    return _medians((_record_kind(r), wall) for r, wall in _trained_walls(records))


def neighbour_timings(records: Iterable[dict[str, Any]]) -> dict[tuple[str, str, str], float]:
    """The median wall seconds of finished method cells (no reference rows), as they take when they train
    (:func:`_trained_walls`), by (corpus, preset, encoder)."""
    return _medians((_record_kind(r)[1:], wall) for r, wall in _trained_walls(r for r in records if not r.get("reference")))


def scoring_timings(records: Iterable[dict[str, Any]]) -> dict[Kind, float]:
    """The median scoring seconds of finished records (trained or re-scored), by :func:`kind_of` key: what a
    re-score from kept weights costs."""
    def seconds(r: dict[str, Any]) -> Any:
        return (((r.get("provenance") or {}).get("scoring") or {}).get("eval_seconds"))

    return _medians((_record_kind(r), float(seconds(r))) for r in records
                    if r.get("status") == "ok" and isinstance(seconds(r), (int, float)) and seconds(r) > 0)


def _medians(pairs: Iterable[tuple[Any, float]]) -> dict[Any, float]:
    seen: dict[Any, list[float]] = {}
    for key, value in pairs:
        seen.setdefault(key, []).append(value)
    return {k: statistics.median(v) for k, v in seen.items()}


def token_timings(records: Iterable[dict[str, Any]]) -> dict[tuple[str, str], float]:
    """The median wall seconds per training token of finished text-backbone method cells, by (method,
    preset), and over every method by ("", preset).  A record's tokens: its training speed times its
    training time (``train_tokens_per_s`` × ``train_seconds``, every epoch)."""
    pairs = []
    for r, wall in _trained_walls(r for r in records if not r.get("reference")):
        method, _, preset, encoder = _record_kind(r)
        p = r.get("provenance") or {}
        speed, seconds = p.get("train_tokens_per_s"), p.get("train_seconds")
        if encoder or not all(isinstance(v, (int, float)) and v > 0 for v in (speed, seconds)):
            continue
        per_token = wall / (float(speed) * float(seconds))
        pairs += [((method, preset), per_token), (("", preset), per_token)]
    return _medians(pairs)


def trained_wall(record: dict[str, Any]) -> float | None:
    """The wall seconds a finished record's cell takes when it trains: a trained record's wall time; a re-scored
    one's stored training seconds plus its scoring seconds; None when the record does not tell."""
    p = record.get("provenance") or {}
    scoring = p.get("scoring") or {}
    wall: Any = record.get("wall_seconds")
    if scoring.get("rescored"):
        parts = (p.get("train_seconds"), scoring.get("eval_seconds"))
        wall = sum(parts) if all(isinstance(v, (int, float)) and v > 0 for v in parts) else None
    ok = record.get("status") == "ok" and isinstance(wall, (int, float)) and wall > 0
    return float(wall) if ok else None


def _trained_walls(records: Iterable[dict[str, Any]]) -> list[tuple[dict[str, Any], float]]:
    """(record, :func:`trained_wall`) of every finished record that tells."""
    return [(r, wall) for r in records if (wall := trained_wall(r)) is not None]


def estimate(to_run: Sequence[tuple[Any, Any]], records: Iterable[dict[str, Any]],
             tokens_of: Callable[[Any], float | None] | None = None) -> Estimate:
    """The compute time of ``to_run`` ((cell, stored weights or None) pairs, as the driver plans them).

    ``tokens_of``: the tokens a cell's training reads (:func:`training_tokens`), or None where unknown; asked
    only of a text-backbone cell without stored timings on its own corpus."""
    records = list(records)
    timings, neighbours, scorings = stored_timings(records), neighbour_timings(records), scoring_timings(records)
    per_token = token_timings(records)
    seconds, measured, near, scaled, rough = 0.0, 0, 0, 0, 0
    for cell, weights in to_run:
        key = kind_of(cell)
        trains = cell.trains and weights is None
        if weights is None and key in timings:
            seconds, measured = seconds + timings[key], measured + 1
        elif weights is not None and key in scorings:
            seconds, measured = seconds + scorings[key], measured + 1
        elif trains and key[1:] in neighbours:
            seconds, near = seconds + neighbours[key[1:]], near + 1
        elif trains and (rate := _per_token(per_token, key)) and (tokens := tokens_of and tokens_of(cell)):
            seconds, scaled = seconds + rate * tokens, scaled + 1
        else:
            seconds += _rough(key) if trains else ROUGH_UNTRAINED_SECONDS
            rough += 1
    return Estimate(seconds, measured, rough, near, scaled)


def _per_token(rates: dict[tuple[str, str], float], key: Kind) -> float | None:
    if key[3]:  # a frozen encoder's embeddings: no token stream to scale by
        return None
    return rates.get((key[0], key[2])) or rates.get(("", key[2]))


def training_tokens(data_dir: Any) -> Callable[[Any], float | None]:
    """``cell → tokens its training reads``: epochs × the sentences it trains on (``max_train_sentences`` of its
    training split, or all) × that split's mean tokens per sentence (``<EOS>`` included, as training counts).
    Each split is read once, when first asked for; a corpus that cannot be read gives None (the rough figure)."""
    sizes: dict[tuple[str, str], tuple[int, int] | None] = {}

    def of(cell: Any) -> float | None:
        spec, train = cell.spec, (getattr(cell, "config", None) or {}).get("train") or {}
        key = (spec.corpus, spec.train_split)
        if key not in sizes:
            sizes[key] = _split_size(*key, data_dir)
        if sizes[key] is None or not train.get("epochs"):
            return None
        sentences, tokens = sizes[key]
        kept = min(sentences, train.get("max_train_sentences") or sentences)
        return float(train["epochs"]) * kept * tokens / sentences

    return of


def _split_size(corpus: str, split: str, data_dir: Any) -> tuple[int, int] | None:
    from tasks.corpora import corpus_info, is_user_corpus, load_corpus

    try:
        if corpus_info(corpus).origin != "built-in" and not is_user_corpus(corpus):
            return None  # a plugin's loader may download: an estimate reads only files on disk
        loaded = load_corpus(corpus, data_dir=data_dir, splits=(split,)).splits[split]
    except Exception:  # the estimate never stops a run: the data checks say what is wrong with a corpus
        return None
    sentences = len(loaded.labels)
    return (sentences, int(loaded.offsets[-1])) if sentences else None


def _rough(key: Kind) -> float:
    return ROUGH_EMBEDDING_SECONDS if key[3] else ROUGH_SECONDS.get(key[2], ROUGH_SECONDS["cpu"])


def duration(seconds: float) -> str:
    if seconds < 90:
        return f"{max(1, round(seconds))} s"
    if seconds < 90 * 60:
        return f"{round(seconds / 60)} min"
    return f"{seconds / 3600:.1f} h"
