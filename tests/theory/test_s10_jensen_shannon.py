"""S10. Jensen-Shannon form.

Claim (Goodfellow et al. 2014, eq. 6; Lin 1991; docs/theory.md S10): "JSD(P || Q) = KL(P || M)/2 + KL(Q || M)/2,
so C(G) = -log 4 + 2 JSD(p_data || p_g)."
"""

import math

import numpy as np
import pytest
import reference
from hypothesis import given
from pairs import PANEL, PANEL_REFERENCE
from strategies import pairs
from tolerances import REFERENCE_REL, slack

import gantheory as gt

VALUES = reference.load()


@pytest.mark.parametrize("overlap", [0.0, 0.25, 0.5, 0.9, 1.0])
def test_closed_form_uniforms(overlap):
    """Equal-width uniforms overlapping in a fraction f of the width: JSD = (1 - f) log 2."""
    p, q = gt.Uniform(0, 1), gt.Uniform(1 - overlap, 2 - overlap)
    assert gt.js_divergence(p, q) == pytest.approx((1 - overlap) * math.log(2), rel=1e-13, abs=1e-15)


@pytest.mark.parametrize("name", sorted(PANEL_REFERENCE))
def test_panel_against_mpmath(name):
    """JSD from its own integrand, from the two KLs to M, and the 30-digit reference all agree."""
    p, q = PANEL[name]
    ref = VALUES[PANEL_REFERENCE[name]]["jsd"]
    jsd = gt.js_divergence(p, q)
    m = gt.Mixture([p, q], [0.5, 0.5])
    via_kl = 0.5 * float(gt.kl_divergence(p, m)) + 0.5 * float(gt.kl_divergence(q, m))
    assert jsd == pytest.approx(ref, rel=REFERENCE_REL)
    assert via_kl == pytest.approx(ref, rel=REFERENCE_REL)
    assert gt.virtual_criterion(p, q) == pytest.approx(-math.log(4) + 2 * ref, rel=REFERENCE_REL)


@given(pair=pairs())
def test_property_jsd_is_mean_kl_to_midpoint(pair):
    p, q = pair
    m = gt.Mixture([p, q], [0.5, 0.5])
    a, b = gt.kl_divergence(p, m), gt.kl_divergence(q, m)
    jsd = gt.js_divergence(p, q)
    assert jsd == pytest.approx(0.5 * (float(a) + float(b)), abs=1e-11 + 10 * slack(a, b, jsd))
    assert 0.0 <= jsd <= math.log(2)
    assert np.isfinite(float(jsd))
