"""S7. Virtual training criterion.

Claim (Goodfellow et al. 2014, eq. 4; docs/theory.md S7): "C(G) = max_D V(G, D) = V(G, D*_G)
= E_{p_data}[log p_data/(p_data + p_g)] + E_{p_g}[log p_g/(p_data + p_g)]."
"""

import math

import numpy as np
import pytest
from hypothesis import given
from pairs import PANEL
from strategies import pairs
from tolerances import IDENTITY_ABS, slack

import gantheory as gt
from gantheory.quadrature import expect_nodes


def _expectation_form(p, q):
    """E_p[log p/(p+q)] + E_q[log q/(p+q)] as two separate expectations of log-ratios."""
    def log_ratio(a, b):
        return lambda nodes: nodes.logpdf(a) - np.logaddexp(nodes.logpdf(a), nodes.logpdf(b))

    one = expect_nodes(p, log_ratio(p, q))
    two = expect_nodes(q, log_ratio(q, p))
    return float(one) + float(two), one.error + two.error


def test_closed_forms_uniforms():
    """Disjoint supports: C = 0. Overlap of half the width: C = -log 4 + log 2 = -log 2."""
    assert gt.virtual_criterion(gt.Uniform(0, 1), gt.Uniform(2, 3)) == 0.0
    assert gt.virtual_criterion(gt.Uniform(0, 1), gt.Uniform(0.5, 1.5)) == pytest.approx(-math.log(2), rel=1e-14)


@pytest.mark.parametrize("name", sorted(n for n in PANEL if PANEL[n][0].dim == 1))
def test_panel_three_forms_agree(name):
    """max_D V (V at D*), the expectation form, and C(G) from the JSD integral."""
    p, q = PANEL[name]
    c = gt.virtual_criterion(p, q)
    v = gt.value_function(p, q, gt.optimal_discriminator(p, q))
    e, _ = _expectation_form(p, q)
    assert v == pytest.approx(float(c), abs=IDENTITY_ABS)
    assert e == pytest.approx(float(c), abs=IDENTITY_ABS)


def test_two_d_value_at_dstar():
    p, q = PANEL["two_d"]
    assert gt.value_function(p, q, gt.optimal_discriminator(p, q)) == pytest.approx(
        float(gt.virtual_criterion(p, q)), abs=IDENTITY_ABS)


@given(pair=pairs(two_d=False))
def test_property_virtual_criterion_is_v_at_dstar(pair):
    p, q = pair
    c = gt.virtual_criterion(p, q)
    v = gt.value_function(p, q, gt.optimal_discriminator(p, q))
    assert v == pytest.approx(float(c), abs=1e-10 + 10 * slack(v, c))
