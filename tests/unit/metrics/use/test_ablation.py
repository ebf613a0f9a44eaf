"""Class-latent ablation: the drops by hand, and codes where each class lives in known latents."""
from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from tasks.ablation import class_ablation, drops, share


def test_drops_by_hand():
    base = np.array([0.9, 0.8, 0.7])
    ablated = np.array([[0.5, 0.8, 0.7],   # class 0's latents zeroed: probe 0 loses 0.4, the others nothing
                        [0.9, 0.4, 0.6],   # class 1's: probe 1 loses 0.4, probe 2 loses 0.1
                        [0.8, 0.8, 0.2]])  # class 2's: probe 2 loses 0.5, probe 0 loses 0.1
    own, other, score = drops(base, ablated)
    assert own == pytest.approx((0.4 + 0.4 + 0.5) / 3)
    assert other == pytest.approx((0.0 + 0.05 + 0.05) / 3)
    assert score == pytest.approx(own - other)
    with pytest.raises(ValueError, match="C ≥ 2"):
        drops(np.array([0.9]), np.array([[0.5]]))


def test_share_is_an_equal_part_of_the_usable_width():
    assert share(32, 10) == 4 and share(32, 14) == 3 and share(1536, 14) == 110 and share(0, 10) == 1


def _blocks(rng, classes=4, per_class=150, own=2, shared=3):
    """Class c lives in latents 2c, 2c+1 (non-negative, exactly 0 for other classes); `shared` latents of
    class-blind noise on top."""
    y = np.repeat(np.arange(classes), per_class)
    x = np.zeros((len(y), classes * own + shared))
    for c in range(classes):
        rows = y == c
        x[np.ix_(rows, range(c * own, (c + 1) * own))] = np.abs(rng.normal(2.0, 1.0, (rows.sum(), own)))
    x[:, classes * own:] = rng.standard_normal((len(y), shared))
    return x, y


def test_a_class_in_latents_of_its_own_is_switched_off_alone():
    rng = np.random.default_rng(0)
    (x, y), (xt, yt) = _blocks(rng), _blocks(rng)
    r = class_ablation(x, y, xt, yt, n=2)
    assert [sorted(latents) for latents in r.latents] == [[0, 1], [2, 3], [4, 5], [6, 7]]
    assert min(r.base) > 0.95, "each one-vs-rest probe reads its class off its own latents"
    assert r.own_drop > 0.4 and abs(r.other_drop) < 0.02 and r.score > 0.4
    assert r.n == 2 and share(11, 4) == 3


def test_a_class_spread_over_every_latent_scores_low():
    """The same classes mixed by a random rotation into every latent: zeroing 2 latents hurts all probes alike."""
    rng = np.random.default_rng(1)
    (x, y), (xt, yt) = _blocks(rng), _blocks(rng)
    rotation = np.linalg.qr(rng.standard_normal((x.shape[1], x.shape[1])))[0]
    mixed = class_ablation(x @ rotation, y, xt @ rotation, yt, n=2)
    own = class_ablation(x, y, xt, yt, n=2)
    assert mixed.score < own.score / 3


def test_the_curve_sparse_codes_and_repeatability():
    rng = np.random.default_rng(2)
    (x, y), (xt, yt) = _blocks(rng), _blocks(rng)
    r = class_ablation(x, y, xt, yt, curve_n=(1, 2, 50))
    assert r.n == share(11, 4) == 3
    assert [p["n"] for p in r.curve] == [1, 2], "n beyond the usable latents is not drawn"
    assert r.curve[1]["score"] == pytest.approx(class_ablation(x, y, xt, yt, n=2).score)
    s = class_ablation(sp.csr_matrix(x), y, sp.csr_matrix(xt), yt, curve_n=(1, 2, 50))
    assert s.score == pytest.approx(r.score) and s.latents == r.latents
    assert class_ablation(x, y, xt, yt, curve_n=(1, 2, 50)) == r
