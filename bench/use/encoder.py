"""A trained cell as an encoder of new sentences: :func:`load` and :class:`CellEncoder`.

Encoding goes through the scorers' own function (:func:`bench.evaluate.encode_split`) on data
prepared as the cell's data was: on the text backbone the cell's vocabulary and its corpus's
tokenisation (``<EOS>`` appended, unknown words ``_UNK``, sentences cut to the corpus's length limit);
on the embedding backbone the frozen encoder the cell was trained on (checked by its identity), its
embedding centred on the training mean and scaled by the training scalar.  So encoding a split's
sentences gives the codes the cell scored, bit for bit on the text backbone (same batches).
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import torch

from bench.data import PaddedSplit
from bench.errors import UserError
from bench.use.cells import Cell, find_cell
from bench.use.state import check_against_record, check_shape, read_state


class _CountedSplit(PaddedSplit):
    """A padded split that advances a progress bar as the scorers' loop takes its batches."""

    bar: Any = None

    def eval_batches(self, batch_size: int):
        for index, batch in super().eval_batches(batch_size):
            yield index, batch
            if self.bar is not None:
                self.bar.update(len(index))


class CellEncoder:
    """Encodes sentences with a trained cell; built by :func:`load`.

    ``encode(sentences, mode)`` returns float32 ``[N, latent_dim]`` in input order.  ``mode`` defaults to
    the method's default mode (``modes`` lists them).  A stochastic mode (``stochastic_modes``) draws
    from torch's generator seeded with ``seed`` (0 unless given) inside a forked generator, so the
    caller's random state is untouched and the same call gives the same codes; the draws are not
    those of the cell's scoring, which encoded the training split first.
    """

    def __init__(self, cell: Cell, model: Any, state: dict[str, Any], *, device: str = "cpu",
                 encoder: Any = None) -> None:
        self.cell, self.model, self.state, self.device = cell, model, state, torch.device(device)
        self.frozen_encoder = encoder
        self.spec = cell.spec
        cls = type(model)
        self.method, self.backbone = self.spec.method, self.spec.backbone
        self.modes: tuple[str, ...] = tuple(cls.modes)
        self.default_mode: str = cls.default_mode
        #: What ``bench explore`` shows by default: the deterministic headline mode (repeatable), else the default.
        self.explore_mode: str = cls.identity().headline("deterministic") or cls.default_mode
        self.stochastic_modes: tuple[str, ...] = tuple(cls.stochastic_modes)
        self.latent_dim: int = int(model.latent_dim)
        self.class_names: list[str] = list(state.get("class_names", []))
        self.batch_size: int = int(cell.record["config"]["train"]["eval_batch_size"])
        self.threshold: float = float((cell.record["config"].get("eval") or {}).get("activity_threshold", 0.15))
        if self.backbone == "text":
            words = state["words"]
            self._index = {w: i for i, w in enumerate(words) if i != 0}  # a literal "<pad>" is unknown, as the loader
            tok = state["tokenizer"]
            self._pattern = re.compile(tok["token_pattern"]).findall if tok.get("token_pattern") else str.split
            self._lower, self._max_tokens = bool(tok["lowercase"]), int(tok["max_tokens"])
            self._unk = words.index("_UNK")

    @property
    def cell_id(self) -> str:
        return self.cell.cell_id

    def __repr__(self) -> str:
        return (f"CellEncoder({self.spec.describe()}, cell {self.cell_id}, {self.latent_dim} dimensions, "
                f"modes {', '.join(self.modes)})")

    # -- text backbone -------------------------------------------------------------------------
    def tokenize(self, sentence: str) -> list[int]:
        """The ids the cell's model reads for ``sentence`` (text backbone): as its corpus loader indexes a line."""
        if self.backbone != "text":
            raise UserError(f"cell {self.cell_id} runs on the {self.backbone} backbone: it reads sentences, not word ids")
        tokens = self._pattern(sentence.lower() if self._lower else sentence)[: self._max_tokens]
        return [self._index.get(t, self._unk) for t in tokens] + [self.state["eos_id"]]

    def _data(self, sentences: Sequence[str], progress: bool) -> _CountedSplit:
        from tasks.corpora.base import Split

        labels = np.zeros(len(sentences), dtype=np.int64)
        if self.backbone == "text":
            return _CountedSplit(Split.from_sequences([self.tokenize(s) for s in sentences], labels))
        eos = self.state["eos_id"]
        raw = self.frozen_encoder.encode(list(sentences), batch_size=64, device=str(self.device), progress=progress)
        mean, scale = np.asarray(self.state["mean"], dtype=np.float64), float(self.state["scale"])
        inputs = ((raw.astype(np.float64) - mean) * scale).astype(np.float32)  # as bench.cell.prepare_data
        return _CountedSplit(Split.from_sequences([[eos]] * len(sentences), labels), inputs)

    # -- encoding -----------------------------------------------------------------------------
    def check_mode(self, mode: str | None) -> str:
        mode = mode or self.default_mode
        if mode not in self.modes:
            from sparsebench.hints import did_you_mean

            raise UserError(f"{self.method} has no mode {mode!r}{did_you_mean(mode, self.modes)}; its modes: "
                            f"{', '.join(self.modes)} (default {self.default_mode})")
        return mode

    def encode(self, sentences: Sequence[str], mode: str | None = None, *, batch_size: int | None = None,
               progress: bool | None = False, seed: int = 0) -> np.ndarray:
        """Codes ``[N, latent_dim]`` (float32) of ``sentences`` in ``mode``; see the class docstring."""
        return self.encode_with_activity(sentences, mode, batch_size=batch_size, progress=progress, seed=seed,
                                         activity=False)[0]

    def encode_with_activity(self, sentences: Sequence[str], mode: str | None = None, *,
                             batch_size: int | None = None, progress: bool | None = False, seed: int = 0,
                             activity: bool = True) -> tuple[np.ndarray, np.ndarray | None, str | None]:
        """(codes, activity in {0, 1} or [0, 1], the activity rule): activity read as the scorers read it,
        from the latent model for the modes it reports, else by the method's rule on the codes."""
        from bench.evaluate import encode_split
        from tasks.activity import read_activity

        mode = self.check_mode(mode)
        if isinstance(sentences, str):
            raise UserError("encode takes a list of sentences, not one string: encode([sentence])")
        bad = next((i for i, s in enumerate(sentences) if not isinstance(s, str)), None)
        if bad is not None:
            raise UserError(f"sentence {bad} is a {type(sentences[bad]).__name__}, not a string")
        batch_size = int(batch_size or self.batch_size)
        if batch_size < 1:
            raise UserError(f"batch_size must be at least 1, got {batch_size}")
        if progress is None:
            import sys

            progress = sys.stderr.isatty()
        if not len(sentences):
            empty = np.zeros((0, self.latent_dim), dtype=np.float32)
            return empty, (empty.copy() if activity else None), None
        data = self._data(sentences, bool(progress))
        from tqdm import tqdm

        with tqdm(total=len(data), unit="sent", desc=f"encoding ({mode})", disable=not progress, leave=False) as bar, \
                torch.random.fork_rng(devices=[self.device] if self.device.type == "cuda" else []):
            data.bar = bar
            torch.manual_seed(seed)
            reported = activity and mode in type(self.model).activity_rules
            codes, act = encode_split(self.model, data, mode, batch_size, self.device, with_activity=reported)
        if not activity:
            return codes, None, None
        if act is not None:
            return codes, act, f"latent: {type(self.model).activity_rules[mode]}"
        act, rule = read_activity(codes, exact_zeros=bool(type(self.model).exact_zeros), threshold=self.threshold)
        return codes, act, rule


def load(cell: str | Path, results_dir: str | Path | None = None, *, data_dir: str | Path | None = None,
         cache_dir: str | Path | None = None, encoder: str | Path | None = None, device: str = "cpu",
         say: Callable[[str], None] = lambda s: None) -> CellEncoder:
    """The encoder of a trained cell: ``cell`` is a cell folder, its ``record.json``, or a cell id (or a
    unique prefix) in ``results_dir`` (default ``results``).

    ``data_dir``/``cache_dir``: where the corpus and the embedding cache are, needed only for a model
    saved before its ``encoding.json`` existed (then recomputed, checked and saved).  ``encoder``: the
    frozen encoder's folder when it is no longer where the cell was trained (checked by identity).
    Raises :class:`~bench.errors.UserError` for an unknown or ambiguous cell, absent weights (with the
    command that trains them), or a frozen encoder other than the cell's.
    """
    from bench.models import DataShape, build_model
    from bench.store import Store
    from bench.train import set_fp32_precision

    found = find_cell(cell, results_dir)
    weights_path = found.weights()
    spec = found.spec
    state = read_state(found.model_folder)
    if state is None or state.get("train_id", spec.train_id) != spec.train_id:
        state = recompute_state(spec, found.record, data_dir=data_dir, cache_dir=cache_dir, say=say)
        try:  # next time it is read, not recomputed
            Store(found.root).save_encoding(spec.model_dirname, state)
        except OSError:
            pass
    where = f"cell {found.cell_id}"
    weights = torch.load(weights_path, map_location="cpu", weights_only=True)
    check_shape(state, weights, where)
    dev = torch.device(device)
    set_fp32_precision(dev, found.record["config"]["train"].get("precision", "fp32"))
    model = build_model(spec.method, found.record["config"]["method_config"],
                        DataShape(state["vocab_size"], state["eos_id"], state["input_dim"]))
    try:
        model.load_state_dict(weights)
    except RuntimeError as exc:
        raise UserError(f"{where}: the stored weights do not fit the model built from its record "
                        f"({str(exc).splitlines()[0]}); {weights_path} belongs to another configuration") from None
    model.to(dev).eval()
    frozen = frozen_encoder(found, state, encoder, cache_dir) if spec.backbone == "embedding" else None
    return CellEncoder(found, model, state, device=str(dev), encoder=frozen)


def frozen_encoder(cell: Cell, state: dict[str, Any], name: str | Path | None, cache_dir: str | Path | None) -> Any:
    """The cell's frozen sentence encoder, resolved offline and verified to compute what it trained on."""
    from bench.embeddings import resolve_encoder

    spec = cell.spec
    given = str(name) if name else spec.encoder
    try:
        ref = resolve_encoder(given, cache_dir=cache_dir)
    except UserError as exc:
        raise UserError(f"cell {cell.cell_id} was trained on the frozen encoder {spec.encoder!r}, which cannot be "
                        f"read here ({exc}); pass --encoder PATH (encoder=) with a copy of that model") from None
    expected = cell.record["config"].get("encoder") or state.get("encoder") or {}
    now = ref.model_identity
    if now != expected:
        changed = sorted(k for k in {*expected, *now} if expected.get(k) != now.get(k))
        raise UserError(f"encoder {given!r} is not the one cell {cell.cell_id} was trained on: its "
                        f"{', '.join(changed)} differ (trained on sha256 {str(expected.get('sha256'))[:12]}…, dim "
                        f"{expected.get('dim')}; this one sha256 {str(now.get('sha256'))[:12]}…, dim {now.get('dim')}); "
                        "pass --encoder PATH (encoder=) with the model the cell was trained on")
    return ref


def recompute_state(spec: Any, record: dict[str, Any], *, data_dir: str | Path | None = None,
                    cache_dir: str | Path | None = None, say: Callable[[str], None] = lambda s: None
                    ) -> dict[str, Any]:
    """The state of a model saved before ``encoding.json`` existed, from the corpus, checked.

    It runs the cell's own data preparation on the training split (seeded subsample, vocabulary
    restriction, embeddings from the cache or the encoder), then checks what the record says the
    model trained on (:func:`bench.use.state.check_against_record`): other data would give another
    vocabulary or centring, and is refused.
    """
    from bench.cell import load_data

    out: dict[str, Any] = {}
    options = {k: str(v) for k, v in (("data_dir", data_dir), ("cache_dir", cache_dir)) if v}
    say(f"recomputing the encoding state of {spec.describe()} from its training data")
    load_data(spec, options, say, with_test=False, encoding_out=out)
    check_against_record(out, record)
    return out
