"""Every tolerance of the suite, in one place, each with its reason."""

#: Issue 2 floor for KL and JSD against closed forms / 30-digit mpmath: the quadrature is asked for
#: rtol=1e-12, so 1e-10 leaves two digits for the error estimate being optimistic.
REFERENCE_REL = 1e-10

#: Identities that hold exactly in real arithmetic and are computed by two different integrals of
#: order-one integrands (V(G, D*) = C(G), C(G) + log 4 = 2 JSD): both sides reach ~1e-15, so 1e-12
#: bounds accumulated round-off plus the error estimates of two quadratures.
IDENTITY_ABS = 1e-12

#: x-space vs z-space forms of V(G, D): different integration variables and panel sets.
XZ_ABS = 1e-10

#: Generator gradients against Richardson-extrapolated central differences of the divergences
#: (step 1e-3, extrapolation error O(h^4) ~ 1e-12, divided-difference round-off ~ 1e-16/1e-3).
GRADIENT_ABS = 1e-8

#: Densities against scipy.stats / closed forms evaluated in float64: a few ulps of the log.
LOGPDF_REL = 1e-13


#: The largest error estimate a converged quadrature may bring into a tolerance (relative to the value
#: where that exceeds 1): a tolerance built on an estimate is only as strict as the estimate is small.
#: rtol = 1e-12 is asked for relative to ∫|f|, which for the signed integrands of V and C(G) (sums of
#: log D terms of both signs) exceeds the value itself several times over.
ERROR_MAX = 1e-11


def small_error(est):
    """``est.error``, after checking that it is small when ``est`` converged (see ``ERROR_MAX``)."""
    err = est.error
    if est.converged:
        assert err <= ERROR_MAX * max(1.0, abs(float(est))), f"error estimate {err:.3g} is too large: {est!r}"
    return err


def slack(*estimates):
    """Room for an inequality between computed quantities: their error estimates plus a few ulps.

    Inequalities of the theory hold exactly for the true values; the computed ones may cross by at
    most the quadrature's error estimates and round-off. Each estimate is checked to be small first
    (``small_error``): a tolerance that grew with a large estimate could not fail."""
    return sum(small_error(e) for e in estimates if hasattr(e, "error")) + 1e-14

#: One unit of float64 round-off (2.2e-16): the last digit a value computed in float64 can carry.
EPS = 2.220446049250313e-16
