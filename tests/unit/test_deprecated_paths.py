"""Old import paths of the plugin API keep working, each with a DeprecationWarning naming the new path
(the paths of commit 5bd4ec8, before methods became packages and helpers moved)."""
from __future__ import annotations

import importlib
import subprocess
import sys

import numpy as np
import pytest

# (old module, old name, new module, new name)
MOVED_NAMES = [
    ("methods.hsvae", "HSVAE", "methods.hsvae.model", "HSVAE"),
    ("methods.hsvae", "BETA_PARAM_RANGE", "methods.hsvae.model", "BETA_PARAM_RANGE"),
    ("methods.hsvae", "HSVAEConfig", "methods.hsvae.config", "HSVAEConfig"),
    ("methods.vae", "VAE", "methods.vae.model", "VAE"),
    ("methods.vae", "GaussianVAE", "methods.vae.model", "VAE"),
    ("methods.vae", "gaussian_kl_standard", "methods.vae.model", "gaussian_kl_standard"),
    ("methods.ton", "VSC", "methods.ton.model", "TON"),
    ("methods.ton", "EPS", "methods.ton.model", "EPS"),
    ("methods.mat", "MATVAE", "methods.mat.model", "MAT"),
    ("methods.ae", "Autoencoder", "methods.ae.model", "AE"),
    ("methods.sparsemax", "SparsemaxAE", "methods.sparsemax.model", "Sparsemax"),
]

# (old module, a name it had, the new home of that name)
MOVED_MODULES = [
    ("bench.hints", "did_you_mean", "sparsebench.hints"),
    ("bench.baseline", "make_straightforward", "methods.backbones"),
    ("tasks.batching", "bucket_batches", "sparsebench.batching"),
    ("tasks.batching", "padding_fraction", "sparsebench.batching"),
    ("tasks.batching", "count_batches", "sparsebench.batching"),
]


@pytest.mark.parametrize("old,name,new,new_name", MOVED_NAMES)
def test_a_moved_name_still_imports_with_a_warning_naming_its_new_path(old, name, new, new_name):
    package = importlib.import_module(old)
    with pytest.warns(DeprecationWarning, match=rf"{old}\.{name} is deprecated; use {new}\.{new_name}"):
        got = getattr(package, name)
    assert got is getattr(importlib.import_module(new), new_name)


def test_from_import_of_an_old_name_works():
    with pytest.warns(DeprecationWarning, match="methods.hsvae.model"):
        from methods.hsvae import HSVAE
    from methods.hsvae.model import HSVAE as New

    assert HSVAE is New


def test_unknown_names_are_still_attribute_errors():
    import methods.hsvae

    with pytest.raises(AttributeError, match="no attribute 'HSVEA'"):
        methods.hsvae.HSVEA  # noqa: B018
    with pytest.raises(ImportError):
        from methods.vae import Nothing  # noqa: F401


def fresh_import(name: str, monkeypatch):
    monkeypatch.delitem(sys.modules, name, raising=False)
    return importlib.import_module(name)


@pytest.mark.parametrize("old,name,new", MOVED_MODULES)
def test_a_moved_module_still_imports_with_a_warning(old, name, new, monkeypatch):
    with pytest.warns(DeprecationWarning, match=rf"{old} is deprecated.*{new}"):
        module = fresh_import(old, monkeypatch)
    assert getattr(module, name) is getattr(importlib.import_module(new), name)


def test_methods_checks_keeps_its_behaviour(monkeypatch):
    from methods.errors import MethodError

    with pytest.warns(DeprecationWarning, match="sparsebench.params"):
        checks = fresh_import("methods.checks", monkeypatch)

    class Cfg:
        embed_dim, hidden_dim, latent_dim, tau = 8, 0, 4, 0.5

    checks.require_range("x", Cfg, "tau", 0, 1, low_open=True)
    with pytest.raises(MethodError, match=r"x: tau=0.5 is out of range; it must be a finite number > 0.5"):
        checks.require_range("x", Cfg, "tau", 0.5, low_open=True)
    with pytest.raises(MethodError, match=r"hidden_dim=0 .*≥ 1.*--set x.hidden_dim"):
        checks.require_sizes("x", Cfg)


def test_old_batching_counts_as_it_always_did(monkeypatch):
    from sparsebench.batching import bucket_batches

    with pytest.warns(DeprecationWarning):
        old = fresh_import("tasks.batching", monkeypatch)
    lengths = np.arange(4000) % 13
    assert old.count_batches(4000, 64, 50) == len(bucket_batches(lengths, 64, np.random.default_rng(0))) == 63
    assert len(old.bucket_batches(lengths, 64, np.random.default_rng(0))) == 63


def test_old_padded_backbone_is_the_straightforward_one(monkeypatch):
    with pytest.warns(DeprecationWarning):
        baseline = fresh_import("bench.baseline", monkeypatch)
    assert baseline.PaddedBackbone(11, 4, 6, 3, 10).straightforward is True


def test_configs_stay_torch_free_and_silent():
    """The shims are lazy: importing a method's config package imports neither torch nor a warning."""
    code = ("import sys, warnings\nwarnings.simplefilter('error')\n"
            "import methods.hsvae.config, methods.vae.config, methods.ton.config, methods.mat.config\n"
            "import methods.ae.config, methods.sparsemax.config\n"
            "assert 'torch' not in sys.modules, 'torch imported'\nprint('OK')")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert "OK" in res.stdout, res.stderr
