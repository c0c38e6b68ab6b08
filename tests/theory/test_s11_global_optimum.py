"""S11. Global optimum.

Claim (Goodfellow et al. 2014, Theorem 1; docs/theory.md S11): "JSD >= 0 with equality iff P = Q, so
C(G) >= -log 4 with equality iff p_g = p_data." Quantitative forms: 2 JSD >= TV² (Pinsker on each half),
so C(G) + log 4 >= TV²; JSD <= TV log 2, so C(G) <= -log 4 + 2 log 2 TV <= 0, with C(G) = 0 iff the
supports are disjoint; JSD is symmetric and sqrt(JSD) is a metric (Endres & Schindelin 2003).
Also KL >= 0 and Pinsker's inequality KL >= 2 TV².

The properties that involve TV draw one-dimensional pairs: in 2-D TV's kink along p = q makes the
tensor rule converge algebraically (tv_distance documents its 1e-6 default there); the 2-D panel pair
is checked on its own.
"""

import math

import pytest
from hypothesis import given
from pairs import PANEL
from strategies import densities, pairs, reals
from tolerances import slack

import gantheory as gt

LOG4, LOG2 = math.log(4), math.log(2)


def test_closed_forms_at_the_extremes():
    """Equal: C = -log 4, TV = 0. Disjoint: C = 0, TV = 1, JSD = TV log 2 exactly."""
    p = gt.Normal(0, 1)
    assert gt.virtual_criterion(p, p) == -LOG4 and gt.tv_distance(p, p) == 0.0
    u, v = gt.Uniform(0, 1), gt.Uniform(3, 4)
    assert gt.virtual_criterion(u, v) == 0.0
    assert gt.js_divergence(u, v) == pytest.approx(float(gt.tv_distance(u, v)) * LOG2, rel=1e-14)


@pytest.mark.parametrize("name", sorted(PANEL))
def test_panel_bounds(name):
    p, q = PANEL[name]
    c, tv, jsd = gt.virtual_criterion(p, q), gt.tv_distance(p, q), gt.js_divergence(p, q)
    s = slack(c, tv, jsd) + 2 * tv.error
    assert -LOG4 < c <= 0.0
    assert c + LOG4 >= tv**2 - s
    assert jsd <= tv * LOG2 + s
    if name == "disjoint":
        assert c == 0.0


@given(pair=pairs(two_d=False))
def test_property_bounds(pair):
    """C(G) >= -log 4; C + log 4 >= TV²; JSD <= TV log 2; C <= 0; strict C > -log 4 when TV > 0."""
    p, q = pair
    c, tv, jsd = gt.virtual_criterion(p, q), gt.tv_distance(p, q), gt.js_divergence(p, q)
    s = slack(c, tv, jsd) + 2 * tv.error
    assert c >= -LOG4
    assert c + LOG4 >= tv**2 - s
    assert jsd <= tv * LOG2 + s
    assert c <= 0.0
    if tv > 1e-6 + s:
        assert c > -LOG4  # only p_g = p_data attains -log 4


@given(low=reals(-5, 5), width=reals(0.1, 3), gap=reals(0.0, 3), width2=reals(0.1, 3))
def test_property_disjoint_supports_give_zero(low, width, gap, width2):
    """C(G) = 0 exactly when the supports do not overlap (D* is a perfect classifier)."""
    u = gt.Uniform(low, low + width)
    v = gt.Uniform(u.high + gap, u.high + gap + width2)
    assert gt.virtual_criterion(u, v) == 0.0
    assert gt.virtual_criterion(v, u) == 0.0


@given(p=densities(), q=densities(), r=densities())
def test_property_jsd_symmetric_and_sqrt_is_a_metric(p, q, r):
    pq, qp = gt.js_divergence(p, q), gt.js_divergence(q, p)
    assert pq == pytest.approx(float(qp), abs=slack(pq, qp))
    pr, qr = gt.js_divergence(p, r), gt.js_divergence(q, r)
    tol = sum(math.sqrt(e.error) for e in (pq, pr, qr)) + 1e-7
    assert math.sqrt(pr) <= math.sqrt(pq) + math.sqrt(qr) + tol


@given(pair=pairs(two_d=False))
def test_property_kl_nonnegative_and_pinsker(pair):
    p, q = pair
    kl, tv = gt.kl_divergence(p, q), gt.tv_distance(p, q)
    assert kl >= 0.0
    assert kl >= 2 * tv**2 - slack(kl, tv) - 4 * tv.error
