from __future__ import annotations

import pytest

from bench.config.resolve import parse_overrides
from bench.errors import UserError
from sparsebench.params import ConfigError
from bench.cells.method import MethodCell
from bench.config.spec import RunSpec


def resolved(*args, **kwargs) -> MethodCell:
    """The cell a spec resolves to (its config and ids), as ``bench run`` resolves it."""
    return MethodCell.resolve(RunSpec(*args, **kwargs))


def test_same_resolved_config_same_cell_id_whatever_the_spelling():
    a = resolved("vae", "synthetic", 0, "smoke")
    b = resolved("vae", "synthetic", 0, "smoke", parse_overrides(["epochs=3"]))  # smoke already has 3
    assert a.cell_id == b.cell_id


@pytest.mark.parametrize("change", [dict(seed=1), dict(preset="cpu"), dict(train_split="valid"),
                                    dict(overrides=(("vae.beta", "0.5"),)), dict(overrides=(("lr", "0.001"),))])
def test_anything_that_changes_the_result_changes_the_cell_id(change):
    base = dict(method="vae", corpus="synthetic", seed=0, preset="smoke")
    assert resolved(**base).cell_id != resolved(**{**base, **change}).cell_id


def test_method_scoped_override_only_applies_to_that_method():
    spec = resolved("vae", "synthetic", 0, "smoke", (("vae.beta", "0.25"), ("latent_dim", "4")))
    assert spec.config["method_config"]["beta"] == 0.25
    assert spec.config["method_config"]["latent_dim"] == 4


def test_a_training_field_scoped_to_a_method_sets_only_that_methods_cells():
    """`vae.kl_warmup=0.5` (what a variant's training setting becomes) leaves hsvae's cells alone."""
    scoped = (("vae.kl_warmup", "0.5"), ("vae.epochs", "3"))
    vae, hsvae = resolved("vae", "synthetic", 0, "smoke", scoped), resolved("hsvae", "synthetic", 0, "smoke", scoped)
    assert vae.config["train"]["kl_warmup"] == 0.5 and vae.config["train"]["epochs"] == 3
    assert "kl_warmup" not in hsvae.config["train"]
    assert hsvae.config["train"]["epochs"] == resolved("hsvae", "synthetic", 0, "smoke").config["train"]["epochs"]


def test_paper_preset_has_the_papers_sizes():
    cfg = resolved("vae", "synthetic", 0, "paper").config
    assert (cfg["method_config"]["embed_dim"], cfg["method_config"]["hidden_dim"],
            cfg["method_config"]["latent_dim"]) == (256, 512, 32)
    assert (cfg["train"]["lr"], cfg["train"]["batch_size"], cfg["train"]["epochs"]) == (8e-4, 256, 15)


def test_later_override_wins_and_bad_value_is_reported():
    assert parse_overrides(["epochs=1", "epochs=2"]) == (("epochs", "2"),)
    with pytest.raises(UserError, match="expected an integer"):
        resolved("vae", "synthetic", 0, "smoke", (("epochs", "1.5"),)).config


def test_eval_settings_are_part_of_the_cell_identity():
    base = resolved("vae", "synthetic", 0, "smoke")
    other = resolved("vae", "synthetic", 0, "smoke", (("probe_sizes", "10,all"),))
    assert base.config["eval"]["probe_sizes"] != other.config["eval"]["probe_sizes"]
    assert base.cell_id != other.cell_id
    assert base.train_id == other.train_id and base.scoring_id != other.scoring_id  # re-scored, not retrained
    with pytest.raises(ConfigError, match="invalid probe size 'ten'"):
        resolved("vae", "synthetic", 0, "smoke", (("probe_sizes", "ten,all"),)).config


def test_user_corpus_paths_make_flat_folder_names():
    from bench.config.spec import safe_name

    assert safe_name("yahoo") == "yahoo"
    a, b = safe_name("data/reviews.tsv"), safe_name("other/reviews.tsv")
    assert a.startswith("reviews~") and "/" not in a and a != b
