"""Every built-in passes the conformance suite that plugin authors subclass, on every backbone it declares."""
from __future__ import annotations

import pytest
import torch

from methods.conformance import Checks, ConformanceError, MethodConformance, run_checks
from methods.registry import BUILTIN_METHODS, get_method
from methods.vae.model import VAE


def _suite(name: str, backbone: str) -> type:
    return type(f"Test_{name}_{backbone}", (MethodConformance,), {"method": name, "backbone": backbone})


for _name in BUILTIN_METHODS:
    for _backbone in get_method(_name).identity.backbones:
        _cls = _suite(_name, _backbone)
        globals()[_cls.__name__] = _cls


def test_every_builtin_runs_on_both_backbones():
    assert all(get_method(n).identity.backbones == ("text", "embedding") for n in BUILTIN_METHODS if n != "csr")


class _Nondeterministic(VAE):
    """Draws from numpy's global RNG, which torch.manual_seed does not reset: must be caught."""

    name = "broken"

    def encode(self, batch, mode=None):
        import numpy as np

        return super().encode(batch, mode) + float(np.random.rand())


class _NoRecon(VAE):
    name = "norecon"

    def loss(self, batch):
        out = super().loss(batch)
        out.terms.pop("recon")
        return out


class _NaNLoss(VAE):
    name = "nanloss"

    def loss(self, batch):
        out = super().loss(batch)
        return type(out)(out.total * float("nan"), out.terms)


class _UndeclaredStochastic(VAE):
    """Its ``mean`` mode secretly samples: the Hoyer ratio would average the wrong thing."""

    name = "sneaky"

    def encode(self, batch, mode=None):
        return super().encode(batch, "sample")


class _WrongActivity(VAE):
    name = "badactivity"
    activity_rules = {"mean": "claims an activity"}


@pytest.mark.parametrize("cls, check, message", [
    (_Nondeterministic, "check_determinism", "differs"),
    (_NoRecon, "check_loss", "'recon'"),
    (_UndeclaredStochastic, "check_stochastic", "declare it in stochastic_modes"),
    (_WrongActivity, "check_activity", "must return its activity"),
])
def test_suite_catches_broken_methods(cls, check, message):
    with pytest.raises(ConformanceError, match=message):
        getattr(Checks(cls), check)()


def test_run_checks_reports_instead_of_raising():
    results = {r.name: r for r in run_checks(_NoRecon)}
    assert not results["loss"].passed and results["interface"].passed
    assert list(results) == list(Checks.NAMES)


def test_a_root_cause_is_reported_once_and_its_consequences_are_not_run():
    results = {r.name: r for r in run_checks(_NaNLoss)}
    assert not results["loss"].passed and not results["loss"].skipped
    for name in ("determinism", "save_load", "training"):
        assert results[name].skipped and "needs 'loss'" in results[name].detail
    assert results["shapes"].passed and not results["shapes"].skipped


def test_plugin_style_class_attributes_still_declare_a_method():
    class Plugin(VAE):
        name = "plugin-vae"
        modes = ("mean", "sample")
        default_mode = "mean"
        stochastic_modes = ("sample",)

    assert Plugin.identity().name == "plugin-vae" and Plugin.identity().stochastic_modes == ("sample",)
    assert run_checks(Plugin)[0].passed
    torch.manual_seed(0)
