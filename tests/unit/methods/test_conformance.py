"""Every built-in passes the conformance suite that plugin authors subclass."""
from __future__ import annotations

import pytest

from methods.conformance import Checks, ConformanceError, MethodConformance, run_checks
from methods.vae import GaussianVAE


class TestVAE(MethodConformance):
    method = "vae"


class TestAE(MethodConformance):
    method = "ae"


class TestSparsemax(MethodConformance):
    method = "sparsemax"


class TestHSVAE(MethodConformance):
    method = "hsvae"


class TestMAT(MethodConformance):
    method = "mat"


class TestTON(MethodConformance):
    method = "ton"


class _Nondeterministic(GaussianVAE):
    """Draws from numpy's global RNG, which torch.manual_seed does not reset: must be caught."""

    name = "broken"

    def encode(self, batch, mode=None):
        import numpy as np

        return super().encode(batch, mode) + float(np.random.rand())


class _NoRecon(GaussianVAE):
    name = "norecon"

    def loss(self, batch):
        out = super().loss(batch)
        out.terms.pop("recon")
        return out


@pytest.mark.parametrize("cls, check, message", [
    (_Nondeterministic, "check_determinism", "differs"),
    (_NoRecon, "check_loss", "'recon'"),
])
def test_suite_catches_broken_methods(cls, check, message):
    with pytest.raises(ConformanceError, match=message):
        getattr(Checks(cls), check)()


def test_run_checks_reports_instead_of_raising():
    results = {r.name: r for r in run_checks(_NoRecon)}
    assert not results["loss"].passed and results["interface"].passed
    assert list(results) == list(Checks.NAMES)
