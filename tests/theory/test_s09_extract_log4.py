"""S9. Extracting -log 4.

Claim (Goodfellow et al. 2014, proof of Theorem 1; docs/theory.md S9): "Halving numerator and denominator
inside each log: C(G) = -log 4 + KL(p_data || M) + KL(p_g || M), M = (p_data + p_g) / 2."

M is built as a gantheory Mixture with weights (1/2, 1/2) and the two KLs come from kl_divergence, an
integral independent of the JSD integral behind virtual_criterion.
"""

import math

import pytest
from hypothesis import given
from pairs import PANEL
from strategies import pairs
from tolerances import IDENTITY_ABS, slack

import gantheory as gt

LOG4 = math.log(4)


def _kl_form(p, q):
    m = gt.Mixture([p, q], [0.5, 0.5])
    a, b = gt.kl_divergence(p, m), gt.kl_divergence(q, m)
    return -LOG4 + float(a) + float(b), a, b


def test_closed_form_disjoint_and_half_overlap():
    """Disjoint: KL(P || M) = KL(Q || M) = log 2, so C = 0; half overlap: each KL = (1/2) log 2."""
    c, a, b = _kl_form(gt.Uniform(0, 1), gt.Uniform(2, 3))
    assert a == pytest.approx(math.log(2), rel=1e-14) and c == pytest.approx(0.0, abs=1e-14)
    _, a, b = _kl_form(gt.Uniform(0, 1), gt.Uniform(0.5, 1.5))
    assert a == pytest.approx(0.5 * math.log(2), rel=1e-14) and b == pytest.approx(float(a), rel=1e-14)


@pytest.mark.parametrize("name", sorted(PANEL))
def test_panel(name):
    p, q = PANEL[name]
    c, _, _ = _kl_form(p, q)
    assert c == pytest.approx(float(gt.virtual_criterion(p, q)), abs=IDENTITY_ABS)


@given(pair=pairs())
def test_property(pair):
    p, q = pair
    c, a, b = _kl_form(p, q)
    v = gt.virtual_criterion(p, q)
    assert c == pytest.approx(float(v), abs=1e-11 + 10 * slack(a, b, v))
