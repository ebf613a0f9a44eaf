"""The conformance suite: what any method, built-in or plugin, must do for the harness to trust it.

Plugin authors subclass :class:`MethodConformance` in their own pytest and name their class; every
``test_*`` method then runs against it (the pattern of hydra's launcher tests)::

    from methods.conformance import MethodConformance

    class TestMyMethod(MethodConformance):
        method_class = MyMethod          # or: method = "my-method" (its registry name)

``bench check-plugin NAME`` runs the same checks (:func:`run_checks`) on the synthetic corpus, on
every backbone the method declares.

The checks need data, but ``methods`` may not import ``tasks``, so :func:`toy_data` builds a tiny
seeded corpus here: two classes with their own words, ``<pad>`` = 0, each sentence ending in
``<EOS>``, the same conventions as the harness's corpora, plus a class-dependent "sentence
embedding" per sentence for the embedding backbone.  Nothing here needs pytest: a failed check
raises :class:`ConformanceError` with what went wrong and what the harness expects instead.
"""
from __future__ import annotations

import dataclasses
import io
from dataclasses import dataclass
from typing import Any, Callable, ClassVar

import numpy as np
import torch
from torch import Tensor

from methods.base import Batch, LossOutput, SparseEncoder, interface_problems
from methods.errors import MethodError

#: Sizes the checks build models with (applied only to fields the Config has): seconds, not minutes.
SMALL_SIZES = {"embed_dim": 16, "hidden_dim": 32, "latent_dim": 8}
#: Size of the toy sentence embeddings.
TOY_INPUT_DIM = 12


class ConformanceError(AssertionError):
    """A method broke a rule of the encoder interface; the message says which and what is expected."""


@dataclass
class ConformanceData:
    """Batches to check a method on: a few to train, one fixed batch to evaluate."""

    vocab_size: int
    eos_id: int
    train: list[Batch]
    eval: Batch

    @property
    def input_dim(self) -> int | None:
        return None if self.eval.inputs is None else int(self.eval.inputs.shape[1])


def pad_batch(seqs: list[np.ndarray], labels: np.ndarray, inputs: np.ndarray | None = None) -> Batch:
    """A :class:`Batch` from token-id sequences (each ending in ``<EOS>``), post-padded with 0."""
    lengths = np.array([len(s) for s in seqs])
    tokens = np.zeros((len(seqs), int(lengths.max())), dtype=np.int64)
    for i, s in enumerate(seqs):
        tokens[i, : len(s)] = s
    return Batch(torch.from_numpy(tokens), torch.from_numpy(lengths.astype(np.int64)), torch.from_numpy(labels),
                 None if inputs is None else torch.from_numpy(inputs.astype(np.float32)))


def toy_data(seed: int = 0, *, n_batches: int = 8, batch_size: int = 16, n_classes: int = 2,
             words_per_class: int = 8, min_length: int = 3, max_length: int = 8) -> ConformanceData:
    """A seeded toy corpus: ids 0 = ``<pad>``, 1 = ``<EOS>``, then ``words_per_class`` words per class;
    each sentence's "embedding" is its class centre plus noise."""
    rng = np.random.default_rng(seed)
    eos = 1
    centres = rng.normal(size=(n_classes, TOY_INPUT_DIM))

    def batch() -> Batch:
        labels = rng.integers(0, n_classes, batch_size)
        seqs = []
        for c in labels:
            length = int(rng.integers(min_length, max_length + 1))
            words = 2 + c * words_per_class + rng.integers(0, words_per_class, length)
            seqs.append(np.append(words, eos))
        inputs = centres[labels] + 0.5 * rng.normal(size=(batch_size, TOY_INPUT_DIM))
        return pad_batch(seqs, labels, inputs)

    return ConformanceData(2 + n_classes * words_per_class, eos, [batch() for _ in range(n_batches)], batch())


def small_config(cls: type, overrides: dict[str, Any] | None = None) -> Any:
    """``cls.Config`` with :data:`SMALL_SIZES` where it has those fields, then ``overrides``."""
    names = {f.name for f in dataclasses.fields(cls.Config)}
    values = {k: v for k, v in SMALL_SIZES.items() if k in names}
    for key, cap in (("k", 4), ("k_aux", 2)):  # sparse autoencoders: k, 4k, k_aux ≤ latent
        if key in names:
            values[key] = min(getattr(cls.Config(), key), SMALL_SIZES["latent_dim"] // cap)
    values.update(overrides or {})
    return cls.Config(**values)


def _fail(msg: str) -> None:
    raise ConformanceError(msg)


def _finite_scalar(name: str, value: Any) -> Tensor:
    if not isinstance(value, Tensor) or value.numel() != 1:
        _fail(f"{name} must be a scalar tensor (per-sentence mean over the batch), got {type(value).__name__} "
              f"{getattr(value, 'shape', '')}")
    if not torch.isfinite(value).all():
        _fail(f"{name} is not finite ({float(value.detach())}) on a fresh model")
    return value


class Checks:
    """Each ``check_*`` method is one rule; it returns a short detail string or raises ConformanceError."""

    #: Order in which :func:`run_checks` runs them (interface first: the rest rely on it).
    NAMES = ("interface", "shapes", "modes", "stochastic", "activity", "loss", "determinism", "save_load", "training")
    #: A check whose prerequisite failed is reported as a consequence, not as a failure of its own.
    REQUIRES = {"shapes": "interface", "modes": "shapes", "stochastic": "shapes", "activity": "shapes",
                "loss": "interface", "determinism": "loss", "save_load": "loss", "training": "loss"}

    def __init__(self, cls: type, data: ConformanceData | None = None, *, config_overrides: dict[str, Any] | None = None,
                 seed: int = 0, train_steps: int = 60, lr: float = 3e-3, backbone: str = "text") -> None:
        self.cls = cls
        self.data = data if data is not None else toy_data(seed)
        self.overrides = dict(config_overrides or {})
        if backbone != "text":
            self.overrides["backbone"] = backbone
        self.backbone = backbone
        self.seed = seed
        self.train_steps = train_steps
        self.lr = lr

    # -- helpers -------------------------------------------------------------------------------
    def build(self, seed: int | None = None) -> SparseEncoder:
        torch.manual_seed(self.seed if seed is None else seed)
        config = small_config(self.cls, self.overrides)
        if self.backbone == "text":
            return self.cls(config, self.data.vocab_size, self.data.eos_id)
        return self.cls(config, self.data.vocab_size, self.data.eos_id, input_dim=self.data.input_dim)

    def seeded(self, fn: Callable[[], Any], seed: int = 1234) -> Any:
        torch.manual_seed(seed)
        return fn()

    def eval_loss(self, model: SparseEncoder) -> float:
        model.eval()
        with torch.no_grad():
            return float(self.seeded(lambda: model.loss(self.data.eval).total))

    def train_steps_(self, model: SparseEncoder, steps: int) -> list[float]:
        model.train()
        torch.manual_seed(self.seed + 1)
        opt = torch.optim.Adam(model.parameters(), lr=self.lr)
        losses = []
        for step in range(steps):
            batch = self.data.train[step % len(self.data.train)]
            out = model.loss(batch)
            opt.zero_grad(set_to_none=True)
            out.total.backward()
            opt.step()
            losses.append(float(out.total.detach()))
        return losses

    def encode_all(self, model: SparseEncoder, seed: int = 1234) -> dict[str, Tensor]:
        model.eval()
        with torch.no_grad():
            return {m: self.seeded(lambda m=m: model.encode(self.data.eval, m), seed) for m in model.modes}

    # -- the rules -----------------------------------------------------------------------------
    def check_interface(self) -> str:
        problems = interface_problems(self.cls)
        if problems:
            _fail(f"{getattr(self.cls, '__name__', self.cls)!r} " + "; ".join(problems))
        cls = self.cls
        if self.backbone not in cls.backbones:
            _fail(f"{cls.__name__} does not declare the {self.backbone!r} backbone (backbones = {cls.backbones})")
        return f"modes {', '.join(cls.modes)} (default {cls.default_mode}); backbone {self.backbone}"

    def check_shapes(self) -> str:
        model = self.build()
        b, d = self.data.eval.size, model.latent_dim
        for train in (False, True):
            model.train(train)
            for mode in model.modes:
                with torch.no_grad():
                    z = model.encode(self.data.eval, mode)
                if not isinstance(z, Tensor) or tuple(z.shape) != (b, d):
                    _fail(f"encode(batch, {mode!r}) must return [batch={b}, latent_dim={d}], got "
                          f"{tuple(getattr(z, 'shape', ()))}")
                if not z.is_floating_point() or not torch.isfinite(z).all():
                    _fail(f"encode(batch, {mode!r}) must return finite floating-point codes")
        return f"[{b}, {d}] in train and eval mode"

    def check_modes(self) -> str:
        model = self.build().eval()
        with torch.no_grad():
            default = self.seeded(lambda: model.encode(self.data.eval))
            named = self.seeded(lambda: model.encode(self.data.eval, model.default_mode))
        if not torch.equal(default, named):
            _fail(f"encode(batch) must equal encode(batch, default_mode={model.default_mode!r})")
        try:
            model.encode(self.data.eval, "no-such-mode")
        except MethodError:
            pass
        else:
            _fail("encode(batch, 'no-such-mode') must raise methods.errors.MethodError (use self.check_mode(mode))")
        return f"{len(model.modes)} modes; default and unknown modes handled"

    def check_stochastic(self) -> str:
        model = self.build()
        self.train_steps_(model, 2)
        first, second = self.encode_all(model, 1), self.encode_all(model, 2)
        for mode in model.modes:
            differs = not torch.equal(first[mode], second[mode])
            if differs and mode not in model.stochastic_modes:
                _fail(f"encode(batch, {mode!r}) changes with the random seed in eval mode: declare it in "
                      "stochastic_modes (the Hoyer ratio averages draws of such modes)")
            if not differs and mode in model.stochastic_modes:
                _fail(f"mode {mode!r} is declared stochastic but two seeds give identical codes")
        return f"stochastic: {', '.join(model.stochastic_modes) or 'none'}"

    def check_activity(self) -> str:
        model = self.build().eval()
        for mode in model.modes:
            with torch.no_grad():
                codes, activity = self.seeded(lambda m=mode: model.encode_with_activity(self.data.eval, m))
                plain = self.seeded(lambda m=mode: model.encode(self.data.eval, m))
            if not torch.equal(codes, plain):
                _fail(f"encode_with_activity(batch, {mode!r}) must return the same codes as encode() for one seed")
            if mode not in model.activity_rules:
                if activity is not None:
                    _fail(f"encode_with_activity returns an activity for {mode!r}, which activity_rules does not "
                          "describe: add a one-line rule for it")
                continue
            if activity is None or tuple(activity.shape) != tuple(codes.shape):
                _fail(f"activity_rules names {mode!r}, so encode_with_activity must return its activity with the "
                      f"codes' shape {tuple(codes.shape)}")
            if not bool(((activity >= 0) & (activity <= 1)).all()):
                _fail(f"the activity of mode {mode!r} must lie in [0, 1] (an indicator or a probability)")
        rules = ", ".join(f"{m}: {r}" for m, r in model.activity_rules.items())
        return f"from the latent: {rules}" if rules else "read by the harness's rule"

    def check_loss(self) -> str:
        model = self.build().train()
        out = self.seeded(lambda: model.loss(self.data.train[0]))
        if not isinstance(out, LossOutput):
            _fail(f"loss(batch) must return methods.base.LossOutput, got {type(out).__name__}")
        _finite_scalar("loss.total", out.total)
        if "recon" not in out.terms:
            _fail(f"loss.terms must contain 'recon' (the reconstruction term per sentence); got {sorted(out.terms)}")
        for name, value in out.terms.items():
            _finite_scalar(f"loss.terms[{name!r}]", value)
        if out.kl_per_dim is not None and tuple(out.kl_per_dim.shape) != (model.latent_dim,):
            _fail(f"loss.kl_per_dim must have shape [latent_dim={model.latent_dim}], got {tuple(out.kl_per_dim.shape)}")
        if not out.total.requires_grad:
            _fail("loss.total does not require grad: nothing would be trained")
        out.total.backward()
        grads = [p.grad for p in model.parameters() if p.requires_grad]
        if not any(g is not None and bool((g != 0).any()) for g in grads):
            _fail("loss.total.backward() left every parameter gradient zero or None")
        if any(g is not None and not torch.isfinite(g).all() for g in grads):
            _fail("loss.total.backward() produced non-finite gradients on a fresh model")
        return "terms " + ", ".join(f"{k}={float(v.detach()):.3g}" for k, v in out.terms.items())

    def check_determinism(self) -> str:
        a, b = self.build(), self.build()
        for (name, pa), pb in zip(a.state_dict().items(), b.state_dict().values()):
            if not torch.equal(pa, pb):
                _fail(f"two models built after torch.manual_seed({self.seed}) differ in {name!r}: "
                      "draw all randomness from torch's global generator")
        la, lb = self.train_steps_(a, 3), self.train_steps_(b, 3)
        if la != lb:
            _fail(f"the same seed gave different training losses {la} vs {lb}")
        ea, eb = self.encode_all(a), self.encode_all(b)
        for mode in a.modes:
            if not torch.equal(ea[mode], eb[mode]):
                _fail(f"encode(batch, {mode!r}) differs between two identically seeded runs")
        return "init, 3 training steps and every mode repeat bit for bit"

    def check_save_load(self) -> str:
        a = self.build()
        self.train_steps_(a, 2)
        buffer = io.BytesIO()
        torch.save(a.state_dict(), buffer)
        buffer.seek(0)
        b = self.build(seed=self.seed + 1)
        b.load_state_dict(torch.load(buffer, weights_only=True))
        ea, eb = self.encode_all(a), self.encode_all(b)
        for mode in a.modes:
            if not torch.equal(ea[mode], eb[mode]):
                _fail(f"after load_state_dict, encode(batch, {mode!r}) differs from the saved model's: keep all "
                      "state (e.g. step counters) in parameters or registered buffers")
        if self.eval_loss(a) != self.eval_loss(b):
            _fail("after load_state_dict, the evaluation loss differs from the saved model's")
        return f"{len(a.state_dict())} tensors round-trip; every mode identical"

    def check_training(self) -> str:
        model = self.build()
        before = self.eval_loss(model)
        self.train_steps_(model, self.train_steps)
        after = self.eval_loss(model)
        if not after < before:
            _fail(f"{self.train_steps} Adam steps (lr {self.lr}) did not lower the evaluation loss: "
                  f"{before:.4f} → {after:.4f}")
        if model.exact_zeros and not any(bool((z == 0).any()) for z in self.encode_all(model).values()):
            _fail("exact_zeros is True but after training no encode mode produced a single exact zero")
        return f"loss {before:.3f} → {after:.3f} in {self.train_steps} steps"


@dataclass
class CheckResult:
    name: str
    passed: bool
    detail: str
    #: True when the check did not run because a check it relies on failed (reported, not counted).
    skipped: bool = False


def run_checks(cls: type, data: ConformanceData | None = None, **options: Any) -> list[CheckResult]:
    """Every check on ``cls``; a failure is recorded, not raised.  A check that relies on a failed one
    is not run: it is reported as a consequence of that failure, so the first root cause stands out."""
    checks = Checks(cls, data, **options)
    results: list[CheckResult] = []
    failed: set[str] = set()
    for name in Checks.NAMES:
        needs = Checks.REQUIRES.get(name)
        while needs is not None and needs not in failed:
            needs = Checks.REQUIRES.get(needs)
        if needs is not None:
            results.append(CheckResult(name, False, f"not run: it needs {needs!r}, which failed", skipped=True))
            failed.add(name)
            continue
        try:
            detail = getattr(checks, f"check_{name}")()
            results.append(CheckResult(name, True, detail))
        except Exception as exc:  # a plugin's bug is a failed check, reported with its type
            detail = str(exc) if isinstance(exc, ConformanceError) else f"{type(exc).__name__}: {exc}"
            results.append(CheckResult(name, False, detail))
            failed.add(name)
    return results


class MethodConformance:
    """Subclass in pytest (``class TestX(MethodConformance)``) and set ``method_class`` or ``method``.

    ``config_overrides`` adjusts hyperparameters for the checks (sizes are already small);
    ``train_steps``/``lr`` tune the training check; ``backbone`` picks the backbone to check on
    (``"text"`` or ``"embedding"``); override :meth:`conformance_data` to check on your own batches.
    """

    method: ClassVar[str | None] = None
    method_class: ClassVar[type | None] = None
    config_overrides: ClassVar[dict[str, Any]] = {}
    train_steps: ClassVar[int] = 60
    lr: ClassVar[float] = 3e-3
    backbone: ClassVar[str] = "text"

    def conformance_data(self) -> ConformanceData:
        return toy_data(0)

    def checks(self) -> Checks:
        cls = self.method_class
        if cls is None:
            if not self.method:
                raise ConformanceError(f"{type(self).__name__}: set `method_class = YourMethod` or `method = 'name'`")
            from methods.registry import get_method

            cls = get_method(self.method).load()
        return Checks(cls, self.conformance_data(), config_overrides=self.config_overrides,
                      train_steps=self.train_steps, lr=self.lr, backbone=self.backbone)

    def test_interface(self) -> None:
        self.checks().check_interface()

    def test_shapes(self) -> None:
        self.checks().check_shapes()

    def test_modes(self) -> None:
        self.checks().check_modes()

    def test_stochastic_modes_declared(self) -> None:
        self.checks().check_stochastic()

    def test_activity(self) -> None:
        self.checks().check_activity()

    def test_loss_finite_and_differentiable(self) -> None:
        self.checks().check_loss()

    def test_seeded_determinism(self) -> None:
        self.checks().check_determinism()

    def test_save_load_round_trip(self) -> None:
        self.checks().check_save_load()

    def test_short_training_lowers_loss(self) -> None:
        self.checks().check_training()
