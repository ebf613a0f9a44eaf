"""One bad plugin never breaks the harness, and is caught before anything trains."""
from __future__ import annotations

import textwrap

import pytest

BAD_SHAPE = '''
from methods.vae.model import VAE


class WrongShape(VAE):
    name = "wrongshape"
    modes = ("mean",)
    default_mode = "mean"
    stochastic_modes = ()

    def encode(self, batch, mode=None):
        return super().encode(batch, "mean")[:, :3]
'''


@pytest.fixture
def plugin_dir(tmp_path, monkeypatch):
    folder = tmp_path / "plugins"
    folder.mkdir()
    monkeypatch.syspath_prepend(str(folder))
    return folder


def fake_dist(site, name, entry_points):
    dist = site / f"{name.replace('-', '_')}-1.0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[sparsebench.methods]\n" + "".join(f"{k} = {v}\n" for k, v in entry_points.items()))


def test_a_plugin_with_the_wrong_code_shape_fails_before_training(plugin_dir, run_bench, tmp_path):
    from methods.registry import register_in_process, unregister_in_process

    (plugin_dir / "wrongshape_plugin.py").write_text(textwrap.dedent(BAD_SHAPE))
    register_in_process("wrongshape", "wrongshape_plugin:WrongShape")
    try:
        res = run_bench("run", "--methods", "wrongshape", "--corpora", "synthetic", "--preset", "smoke",
                        "--results-dir", str(tmp_path / "r"))
    finally:
        unregister_in_process("wrongshape")
    assert res.exit_code == 2, res.output
    assert "fails the interface check before training" in res.output and "[batch=4, latent_dim=16]" in res.output
    assert "Traceback" not in res.output and not (tmp_path / "r" / "runs").exists()


def test_a_broken_entry_point_is_listed_and_refused_only_when_asked_for(plugin_dir, run_bench, tmp_path, monkeypatch):
    site = tmp_path / "site"
    fake_dist(site, "typo-plugin", {"typo": "no_such_module_anywhere:Thing"})
    monkeypatch.syspath_prepend(str(site))
    listing = run_bench("list", "methods")
    assert listing.exit_code == 0, listing.output
    assert "typo" in listing.output and "UNUSABLE" in listing.output and "hsvae" in listing.output
    ok = run_bench("run", "--methods", "vae", "--corpora", "synthetic", "--preset", "smoke", "--set", "epochs=1",
                   "--set", "max_train_sentences=300", "--set", "probe_sizes=all", "--no-references",
                   "--results-dir", str(tmp_path / "r"))
    assert ok.exit_code == 0, ok.output
    bad = run_bench("run", "--methods", "typo", "--corpora", "synthetic", "--results-dir", str(tmp_path / "r"))
    assert bad.exit_code == 2 and "could not be loaded" in bad.output and "typo-plugin" in bad.output


def test_a_name_clash_names_both_distributions_and_blocks_only_that_name(run_bench, tmp_path, monkeypatch):
    site = tmp_path / "site"
    fake_dist(site, "first-l1", {"l1sae": "a_module:A"})
    fake_dist(site, "second-l1", {"l1sae": "b_module:B"})
    monkeypatch.syspath_prepend(str(site))
    ok = run_bench("run", "--methods", "vae", "--corpora", "synthetic", "--preset", "smoke", "--set", "epochs=1",
                   "--set", "max_train_sentences=300", "--set", "probe_sizes=all", "--no-references",
                   "--results-dir", str(tmp_path / "r"))
    assert ok.exit_code == 0, ok.output
    clash = run_bench("run", "--methods", "l1sae", "--corpora", "synthetic", "--results-dir", str(tmp_path / "r"))
    assert clash.exit_code == 2
    assert "first-l1 1.0" in clash.output and "second-l1 1.0" in clash.output
    assert run_bench("list", "methods").exit_code == 0
