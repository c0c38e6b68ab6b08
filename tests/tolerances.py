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


def slack(*estimates):
    """Room for an inequality between computed quantities: their error estimates plus a few ulps.

    Inequalities of the theory hold exactly for the true values; the computed ones may cross by at
    most the quadrature's error estimates and round-off."""
    return sum(getattr(e, "error", 0.0) for e in estimates) + 1e-14
