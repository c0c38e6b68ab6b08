"""Hypothesis strategies: densities of every family, pairs of them, and discriminators.

Parameters are drawn on log scales where they are scales, inside ranges where float64 quadrature is
the thing under test (not overflow): locations in [-5, 5], scales in [e^-2, e^2], Student-t degrees of
freedom down to 0.7 (no mean), Beta shapes down to 0.2 (unbounded at both ends).
"""

import math

import numpy as np
from hypothesis import strategies as st

import gantheory as gt

__all__ = [
    "betas", "cauchys", "densities", "discriminators", "equal_pairs", "grid_densities", "laplaces",
    "mixtures", "monotone_maps", "mvn_pairs", "normals", "pairs", "pushforwards", "reals", "student_ts",
    "uniforms",
]


def reals(lo, hi):
    """Finite floats in [lo, hi], no subnormals (they test the underflow paths, not the mathematics)."""
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False, allow_subnormal=False)


_finite = reals


def _log_uniform(lo, hi):
    return _finite(math.log(lo), math.log(hi)).map(math.exp)


locs = _finite(-5.0, 5.0)
scales = _log_uniform(math.exp(-2.0), math.exp(2.0))


def normals():
    return st.builds(gt.Normal, locs, scales)


def laplaces():
    return st.builds(gt.Laplace, locs, scales)


def cauchys():
    return st.builds(gt.Cauchy, locs, scales)


def student_ts():
    return st.builds(gt.StudentT, _log_uniform(0.7, 30.0), locs, scales)


def uniforms():
    return st.builds(lambda lo, w: gt.Uniform(lo, lo + w), locs, scales)


def betas():
    return st.builds(gt.Beta, _log_uniform(0.2, 12.0), _log_uniform(0.2, 12.0))


@st.composite
def grid_densities(draw):
    """Random positive values on a random increasing grid of 3 to 40 nodes."""
    n = draw(st.integers(3, 40))
    start = draw(locs)
    steps = draw(st.lists(_log_uniform(0.02, 1.0), min_size=n - 1, max_size=n - 1))
    values = draw(st.lists(_finite(0.01, 1.0), min_size=n, max_size=n))
    return gt.GridDensity(start + np.concatenate([[0.0], np.cumsum(steps)]), values)


def _simple():
    return st.one_of(normals(), laplaces(), cauchys(), student_ts(), uniforms(), betas())


@st.composite
def mixtures(draw, components=None):
    comps = draw(st.lists(components or _simple(), min_size=2, max_size=3))
    raw = np.array(draw(st.lists(_finite(0.05, 1.0), min_size=len(comps), max_size=len(comps))))
    return gt.Mixture(comps, raw / raw.sum())


@st.composite
def monotone_maps(draw):
    """Affine maps (either orientation), sinh-arcsinh maps, or both composed."""
    kind = draw(st.sampled_from(["affine", "sinh_arcsinh", "both"]))
    maps = []
    if kind in ("sinh_arcsinh", "both"):
        maps.append(gt.SinhArcsinh(draw(_finite(-1.0, 1.0)), draw(_log_uniform(0.5, 2.0))))
    if kind in ("affine", "both"):
        sign = draw(st.sampled_from([-1.0, 1.0]))
        maps.append(gt.Affine(sign * draw(_log_uniform(0.2, 5.0)), draw(locs)))
    return maps


@st.composite
def pushforwards(draw):
    p = draw(st.one_of(normals(), laplaces(), student_ts(), betas()))
    for m in draw(monotone_maps()):
        p = gt.Pushforward(p, m)
    return p


def densities():
    """A one-dimensional density from any family."""
    return st.one_of(_simple(), grid_densities(), mixtures(), pushforwards())


@st.composite
def mvn_pairs(draw):
    def mvn():
        mean = draw(st.lists(locs, min_size=2, max_size=2))
        a = np.array(draw(st.lists(_finite(-1.5, 1.5), min_size=4, max_size=4))).reshape(2, 2)
        return gt.MultivariateNormal(mean, a @ a.T + draw(_finite(0.2, 2.0)) * np.eye(2))
    return mvn(), mvn()


def pairs(two_d=True):
    """(p, q) of one dimension (any families), or now and then a 2-D normal pair."""
    one = st.tuples(densities(), densities())
    return st.one_of(one, mvn_pairs()) if two_d else one


@st.composite
def equal_pairs(draw):
    """The same distribution built two different ways (docs/theory.md S8, S11)."""
    how = draw(st.sampled_from(["affine_identity", "permuted_mixture", "refined_grid", "affine_of_normal"]))
    if how == "affine_identity":
        p = draw(densities())
        return p, gt.Pushforward(p, gt.Affine(1.0, 0.0))
    if how == "affine_of_normal":
        loc, scale = draw(locs), draw(scales)
        return gt.Normal(loc, scale), gt.Pushforward(gt.Normal(0, 1), gt.Affine(scale, loc))
    if how == "permuted_mixture":
        m = draw(mixtures())
        order = draw(st.permutations(range(len(m.components))))
        return m, gt.Mixture([m.components[i] for i in order], m.weights[list(order)])
    g = draw(grid_densities())
    # insert the midpoints with linearly interpolated values: the same piecewise-linear density
    mids = 0.5 * (g.x[:-1] + g.x[1:])
    x = np.sort(np.concatenate([g.x, mids]))
    return g, gt.GridDensity(x, np.interp(x, g.x, g.values) * draw(_log_uniform(0.1, 10.0)))


@st.composite
def discriminators(draw, p, q):
    """A discriminator x -> (0, 1): a smooth random logit, or D* perturbed (by 0 now and then).

    Returned as a pair (kind, d) with kind in {"random", "perturbed", "optimal"}."""
    kind = draw(st.sampled_from(["random", "perturbed", "optimal", "plain"]))
    a, b, c, e = (draw(_finite(-2.0, 2.0)) for _ in range(4))
    f = draw(_log_uniform(0.1, 3.0))

    def bump(x):
        x = np.asarray(x, float)
        if x.ndim == 2:  # a 2-D pair: a ridge function along a fixed direction
            x = x @ np.array([0.8, -0.6])
        # a step plus a bump (an oscillating logit against a heavy tail would make the integral an
        # oscillatory one: a test of quadrature rather than of the theory)
        return a + b * np.tanh(f * x + c) + e * np.exp(-((f * x - c) ** 2))

    label = f"{a:+.3g}{b:+.3g} tanh({f:.3g} x{c:+.3g}){e:+.3g} exp(-({f:.3g} x{-c:+.3g})^2)"
    if kind == "optimal":
        return kind, gt.optimal_discriminator(p, q)
    if kind == "perturbed":
        dstar = gt.optimal_discriminator(p, q)
        return kind, _Named(gt.LogitDiscriminator(lambda x: dstar._logit(np.asarray(x, float)) + 0.5 * bump(x)),
                            f"sigmoid(logit D* + ({label})/2)")
    if kind == "plain":
        return kind, _Named(lambda x: 1.0 / (1.0 + np.exp(-bump(x))), f"plain sigmoid({label})")
    return kind, _Named(gt.LogitDiscriminator(bump), f"sigmoid({label})")


def _Named(d, label):
    """Give a drawn discriminator a readable repr (hypothesis prints it for a failing example)."""
    if isinstance(d, gt.Discriminator):
        d.__class__ = type("Drawn" + type(d).__name__, (type(d),), {"__repr__": lambda self: label})
        return d

    class Plain:
        def __call__(self, x):
            return d(x)

        def __repr__(self):
            return label

    return Plain()
