"""The GAN objective (Goodfellow et al. 2014): V(G, D), D*, C(G), generator losses and gradients.

``V(G, D) = E_{p_data}[log D(x)] + E_{p_z}[log(1 - D(G(z)))]
          = ∫ p_data(x) log D(x) + p_g(x) log(1 - D(x)) dx``            (docs/theory.md S1, S4)

``D*_G(x) = p_data(x) / (p_data(x) + p_g(x))``                          (S6, Proposition 1)

``C(G) = max_D V(G, D) = -log 4 + 2 JSD(p_data || p_g)``                 (S7-S10)

A discriminator is any callable ``x -> D(x)`` in ``[0, 1]``. A :class:`Discriminator` also gives
``log D``, ``log(1 - D)`` and the logit directly (and its derivative, which generator gradients
need), so nothing is lost to rounding when ``D`` is within 1e-16 of 0 or 1.
"""

import math

import numpy as np
from scipy import special

from . import _kernels as K
from . import estimators as _est
from ._checks import check_options, choice, finite_array, real_array, scalar
from .densities import Normal, _has_jumps
from .divergences import _KW_DIVERGENCE, _pair, _unit, js_divergence
from .quadrature import (
    _EPS,
    Estimate,
    _charged,
    _integrate_pair,
    _joined,
    _scaled,
    _summed,
    expect_nodes,
    float_spread,
    per_nodes,
)
from .transforms import Affine, Pushforward, _jump_points, _rounded_ends

__all__ = [
    "Discriminator",
    "LogitDiscriminator",
    "OptimalDiscriminator",
    "QuadraticDiscriminator",
    "generator_gradient",
    "generator_loss",
    "optimal_discriminator",
    "pointwise_argmax",
    "pointwise_objective",
    "value_function",
    "virtual_criterion",
]

_LOG4 = math.log(4.0)
#: the keywords of the public functions besides their options (see gantheory._checks.check_options)
_KW_V, _KW_LOSS = ("space", "rtol", "atol"), ("loss", "rtol", "atol")
LOSSES = ("minimax", "non_saturating")


class Discriminator:
    """A discriminator defined by its logit ``ℓ(x)``: ``D = sigmoid(ℓ)``.

    Subclasses implement ``_logit(x)`` and, for generator gradients, ``_dlogit(x)``.
    """

    def __call__(self, x):
        """``D(x) = sigmoid(logit(x))`` in ``[0, 1]``."""
        return special.expit(self.logit(x))

    def logit(self, x):
        """``ℓ(x) = log D(x) - log(1 - D(x))``."""
        x = real_array(x, "x")
        ell = np.asarray(self._logit(x), dtype=float)
        # (points of a d-dimensional discriminator are rows: one point is a vector of d coordinates)
        rows = x.ndim >= 2 or (x.ndim == 1 and getattr(self, "dim", None) not in (None, 1))
        if ell.shape != x.shape and not (rows and ell.shape == x.shape[:-1]):
            raise ValueError(f"the logit must return one value per point x, got shape {ell.shape} for x of "
                             f"shape {x.shape}")
        if np.isnan(ell).any():
            raise ValueError(f"the logit returned NaN at {int(np.isnan(ell).sum())} of the points x")
        return ell[()]

    def log(self, x):
        """``log D(x) = -softplus(-ℓ(x))``."""
        return -np.logaddexp(0.0, -self.logit(x))

    def log1m(self, x):
        """``log(1 - D(x)) = -softplus(ℓ(x))``."""
        return -np.logaddexp(0.0, self.logit(x))

    def dlogit(self, x):
        """``dℓ/dx`` (one-dimensional discriminators)."""
        return np.asarray(self._dlogit(real_array(x, "x")), dtype=float)[()]

    def _logs(self, x):
        ell = np.asarray(self._logit(x), dtype=float)
        return -np.logaddexp(0.0, -ell), -np.logaddexp(0.0, ell)

    def _dlogit(self, x):
        raise TypeError(f"{type(self).__name__} has no derivative; generator gradients need one")

    def _hints(self):
        """Densities whose landmarks mark where ``log D`` and ``log(1 - D)`` bend (panel hints for the
        integrals over x): none known for a general logit."""
        return ()


class OptimalDiscriminator(Discriminator):
    """``D*(x) = p_data / (p_data + p_g)``, with logit ``log p_data - log p_g``.

    Outside both supports (where ``D*`` is arbitrary) it is 1/2.
    """

    def __init__(self, p_data, p_g):
        self.p_data, self.p_g = _pair(p_data, p_g, ("p_data", "p_g"))
        self.dim = self.p_data.dim

    def __repr__(self):
        return f"OptimalDiscriminator(p_data={self.p_data!r}, p_g={self.p_g!r})"

    def _logit(self, x):
        lp, lq = self.p_data._logpdf(x), self.p_g._logpdf(x)
        with np.errstate(invalid="ignore"):
            ell = lp - lq
        # equal log-densities, infinite ones included (both 0, or both singular at x), give 1/2
        return np.where(lp == lq, 0.0, ell)

    def _logs_from(self, lp, lq):
        # log D* = -softplus(lq - lp): relative accuracy even where D* is within 1e-300 of 1
        with np.errstate(invalid="ignore"):
            ell = np.where(lp == lq, 0.0, lp - lq)
        return -np.logaddexp(0.0, -ell), -np.logaddexp(0.0, ell)

    def _logs(self, x):
        return self._logs_from(self.p_data._logpdf(x), self.p_g._logpdf(x))

    def _dlogit(self, x):
        return self.p_data._score(x) - self.p_g._score(x)


class LogitDiscriminator(Discriminator):
    """``D = sigmoid(logit(x))`` for a vectorised ``logit`` (and optionally its derivative)."""

    def __init__(self, logit, dlogit=None):
        if not callable(logit) or (dlogit is not None and not callable(dlogit)):
            raise TypeError("logit and dlogit must be callables")
        self._f, self._df = logit, dlogit

    def __repr__(self):
        return f"LogitDiscriminator({self._f!r}" + ("" if self._df is None else f", {self._df!r}") + ")"

    def _logit(self, x):
        return self._f(x)

    def _dlogit(self, x):
        if self._df is None:
            return super()._dlogit(x)
        return self._df(x)


def _two_sum(a, b):
    """``a + b`` as a float and its rounding error (Knuth): ``s + e == a + b`` exactly."""
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def _split(v):
    """Veltkamp's split of ``v`` into a high part of 26 bits and the rest: ``hi + lo == v`` exactly."""
    t = 134217729.0 * v  # (2^27 + 1)
    hi = t - (t - v)
    return hi, v - hi


def _two_prod(a, b):
    """``a * b`` as a float and its rounding error (Dekker): ``p + e == a * b`` exactly."""
    p = a * b
    (a1, a2), (b1, b2) = _split(a), _split(b)
    return p, a2 * b2 - (((p - a1 * b1) - a2 * b1) - a1 * b2)


def _horner(coeffs, x):
    """The polynomial ``coeffs[0] x^n + ... + coeffs[n]`` at ``x``, compensated (Graillat, Langlois and
    Louvet): as accurate as if evaluated in twice the precision, then rounded, so a logit that nearly
    cancels (``c - b²/4a`` small beside ``c``) keeps its relative accuracy. Plain Horner where a step
    overflows (``±inf``: D is 0 or 1 there)."""
    shape, x = np.shape(x), np.ravel(x)
    with np.errstate(all="ignore"):
        s, err = np.full_like(x, coeffs[0]), np.zeros_like(x)
        for c in coeffs[1:]:
            prod, e1 = _two_prod(s, x)
            s, e2 = _two_sum(prod, c)
            err = err * x + (e1 + e2)
        out = s + err
        bad = ~np.isfinite(out)
        if bad.any():  # (a split overflowed: the plain form there, ±inf or a huge finite value)
            plain = np.full_like(x[bad], coeffs[0])
            for c in coeffs[1:]:
                plain = plain * x[bad] + c
            out[bad] = plain
    return out.reshape(shape)


class QuadraticDiscriminator(Discriminator):
    """``D(x) = sigmoid(a x² + b x + c)``; contains ``D*`` exactly for two normals. The logit and its
    derivative are evaluated compensated: near the vertex, where ``a x² + b x`` nearly cancels ``c``,
    they keep their relative accuracy (plain Horner loses ``|c| / |ℓ|`` ulps)."""

    def __init__(self, a, b, c):
        self.a, self.b, self.c = scalar(a, "a"), scalar(b, "b"), scalar(c, "c")

    def __repr__(self):
        return f"QuadraticDiscriminator(a={self.a!r}, b={self.b!r}, c={self.c!r})"

    def _logit(self, x):
        return _horner((self.a, self.b, self.c), np.asarray(x, dtype=float))

    def _dlogit(self, x):
        return _horner((2.0 * self.a, self.b), np.asarray(x, dtype=float))

    def _hints(self):
        """``log(1 - D) = -softplus(ℓ)`` bends within ``1/|ℓ'|`` of each root of ``ℓ``, and near the vertex
        (where ``ℓ`` turns) within ``1/sqrt(2|a|)``: features that a generator's or the data's own panels
        may step over (a unit wide under a density a thousand wide), marked by normals of those widths."""
        a, b, c = self.a, self.b, self.c
        marks = []
        if a != 0.0:
            marks.append((-b / (2.0 * a), 1.0 / math.sqrt(2.0 * abs(a))))
            disc = b * b - 4.0 * a * c
            if disc > 0.0:
                qq = -0.5 * (b + math.copysign(math.sqrt(disc), b))
                marks += [(r, 1.0 / abs(2.0 * a * r + b)) for r in ((qq / a,) + ((c / qq,) if qq != 0.0 else ()))]
        elif b != 0.0:
            marks.append((-c / b, 1.0 / abs(b)))
        out = []
        for loc, width in marks:
            try:
                out.append(Normal(loc, min(max(width, 1e-150), 1e150)))
            except ValueError:  # (a mark beyond the range of locations: no panel there to shape)
                pass
        return tuple(out)


def optimal_discriminator(p_data, p_g):
    """The optimal discriminator ``D*_G = p_data / (p_data + p_g)`` (Proposition 1) as a callable
    :class:`OptimalDiscriminator`.

    >>> import gantheory as gt
    >>> d = gt.optimal_discriminator(gt.Normal(0, 1), gt.Normal(0, 1))
    >>> float(d(0.3))
    0.5
    """
    return OptimalDiscriminator(p_data, p_g)


def _disc_logs(d, nodes):
    """``(log D, log(1 - D))`` at quadrature nodes for a Discriminator or a plain callable.

    ``D*`` is evaluated from the anchored log-densities of the nodes, so it stays exact next to
    singular support ends."""
    if isinstance(d, OptimalDiscriminator):
        return d._logs_from(nodes.logpdf(d.p_data), nodes.logpdf(d.p_g))
    return _logs_at(d, nodes.x)


def _logs_at(d, x):
    """``(log D, log(1 - D))`` of a Discriminator or a plain callable at the points ``x``."""
    shape = x.shape if x.ndim == 1 else x.shape[:-1]
    if isinstance(d, Discriminator):
        ld, l1d = d._logs(x)
        if np.shape(ld) != shape:
            raise ValueError(f"d must return one value per point, got shape {np.shape(ld)} for {shape[0]} points")
        if np.isnan(ld).any():
            raise ValueError(f"d returned NaN at x = {x[np.isnan(ld)][0]!r}")
        return ld, l1d
    vals = np.asarray(d(x), dtype=float)
    if vals.shape != shape:
        raise ValueError(f"d must return one value per point, got shape {vals.shape} for {shape[0]} points")
    bad = ~((vals >= 0.0) & (vals <= 1.0))
    if bad.any():
        raise ValueError(f"d must return values in [0, 1], got {vals[bad].ravel()[0]!r}")
    with np.errstate(divide="ignore"):
        return np.log(vals), np.log1p(-vals)


def _disc_spread(d, x, part, at_x=None, rounded=False):
    """How far ``log D`` (``part`` 0) or ``log(1 - D)`` (1) moves across one float spacing of each 1-D
    node ``x``: the node is a rounded float, and ``D`` is the user's function of it (None in d >= 2, and
    for ``D*`` at quadrature nodes, where it is exact from the nodes' anchored offsets). ``rounded``: the
    ``x`` are images ``G(z)`` rounded to floats, where ``D*`` reads ``p_data`` at the rounded point too.
    ``at_x``: ``_logs_at(d, x)``, when already computed."""
    if x.ndim != 1 or (isinstance(d, OptimalDiscriminator) and not rounded):
        return None
    at_x = _logs_at(d, x) if at_x is None else at_x
    return float_spread(lambda y: (_logs_at(d, y)[part],), x, (at_x[part],))


def _jump_slivers(d, over, other, part, values=None, images=False):
    """What ``D*``'s jumps can cost an integral over ``over`` (a 1-D density, in x): ``D*`` jumps at the
    support ends and jumps of ``other``, the density it divides by but the integral does not follow.
    Where ``other`` is a pushforward those points are rounded images: floats standing for true ends up to
    half a float spacing away, and nothing between two floats can be evaluated, so on the sliver between
    the integrand may be the value from the wrong side. Bound: the mass of ``over`` between the floats on
    either side (from its CDF) times the jump of ``log D`` (``part`` 0), ``log(1 - D)`` (1) or of the loss
    ``values`` (a function of ``(log D, log(1 - D))``). ``images``: the integral runs over the noise and
    evaluates ``D*`` at rounded images ``G(z)``, which put a node on the wrong side of a jump that is a
    float too. 0 for ends that are floats, integrated over x, and for other discriminators, whose jumps
    are the user's own (``breaks``)."""
    if not (isinstance(d, OptimalDiscriminator) and over.dim == 1 and (images or _rounded_ends(other))):
        return 0.0
    pts = _jump_points(other)
    if not pts:
        return 0.0
    x = np.array(pts)
    lo, hi = np.nextafter(x, -np.inf), np.nextafter(x, np.inf)
    with np.errstate(all="ignore"):
        mass = np.minimum(np.abs(over._cdf(hi) - over._cdf(lo)), np.abs(over._sf(lo) - over._sf(hi)))
        pick = (lambda logs: logs[part]) if values is None else (lambda logs: values(*logs))
        jump = np.abs(pick(_logs_at(d, lo)) - pick(_logs_at(d, hi)))
        out = mass * jump
    return float(np.sum(out[np.isfinite(out)]))


_SLIVERS = (": D* jumps at support ends known only to a float spacing, which leaves an error up to {extra:.3g} "
            "on {value:.17g}")


def _slivers_charged(est, extra, rtol, atol, what):
    """``est`` charged with what ``D*``'s jumps can cost it (:func:`_jump_slivers`), a finite one only."""
    if not math.isfinite(float(est)):
        return est
    return _charged(est, extra, max(atol, rtol * abs(float(est))), what + _SLIVERS)


def _check_disc(d):
    if not callable(d):
        raise TypeError(f"d must be a callable discriminator x -> D(x) in [0, 1], got {type(d).__name__}")


def value_function(p_data, p_g, d, *, space="x", rtol=1e-12, atol=0.0, **options):
    r"""``V(G, D) = E_{p_data}[log D] + E_{p_g}[log(1 - D)]`` by quadrature (docs/theory.md S1, S4).

    Parameters
    ----------
    p_data, p_g : densities
    d : callable or Discriminator
        ``x -> D(x)`` in ``[0, 1]``; values outside raise ValueError. ``-inf`` is a valid result
        (``D = 0`` on real mass or ``D = 1`` on fake mass). A plain callable's ``D`` rounds to 0 or 1
        where its logit passes ±37; such nodes count only where the density is representable
        (above 1e-308). A :class:`Discriminator` (defined by its logit) keeps ``log D`` and
        ``log(1 - D)`` exact everywhere.
    space : {"x", "z"}
        ``"x"`` integrates ``p_data log D + p_g log(1 - D)`` over x. ``"z"`` needs ``p_g`` to be a
        :class:`Pushforward` and integrates the second term over the noise,
        ``∫ p_z(z) log(1 - D(G(z))) dz`` (the law of the unconscious statistician). There ``D`` (``D*``
        too) is read at the images ``G(z)`` rounded to floats, and the error bar carries what that
        rounding, and ``D*``'s jumps at support ends that are not floats, can cost.

    Examples
    --------
    >>> import gantheory as gt
    >>> p = gt.Normal(0, 1)
    >>> float(gt.value_function(p, p, lambda x: 0.5 + 0 * x)) == -math.log(4)
    True
    """
    check_options("value_function", options, _KW_V)
    p_data, p_g = _pair(p_data, p_g, ("p_data", "p_g"))
    _check_disc(d)
    choice(space, "space", ("x", "z"))
    if space == "x":
        def evaluate(nodes):
            lp, lq = nodes.logpdf(p_data), nodes.logpdf(p_g)
            if isinstance(d, OptimalDiscriminator) and d.p_data is p_data and d.p_g is p_g:
                ld, l1d = d._logs_from(lp, lq)
                noise = None
            else:
                ld, l1d = _disc_logs(d, nodes)
                noise = (_disc_spread(d, nodes.x, 0, (ld, l1d)), _disc_spread(d, nodes.x, 1, (ld, l1d)))
                noise = None if noise[0] is None else noise
            return lp, lq, ld, l1d, noise, nodes.logpdf_err(p_data, lp), nodes.logpdf_err(p_g, lq)

        bends = _bends(d, p_data, p_g)
        if not bends:
            return _integrate_pair((p_data, p_g), K.LINEAR, evaluate, rtol=rtol, atol=atol, **options)
        # a logit that bends where neither density has a landmark: each term over its own density, with
        # the bends as hints (one integral's panels, made for the larger term, can step over the other's)
        real = expect_nodes(p_data, lambda nodes: _disc_logs(d, nodes)[0], hints=(p_g, *bends), rtol=rtol,
                            atol=atol, noise=lambda nodes: _disc_spread(d, nodes.x, 0), **options)
        fake = expect_nodes(p_g, lambda nodes: _disc_logs(d, nodes)[1], hints=(p_data, *bends), rtol=rtol,
                            atol=atol, noise=lambda nodes: _disc_spread(d, nodes.x, 1), **options)
        return _summed(real, fake)
    if not isinstance(p_g, Pushforward):
        raise TypeError(f"space='z' needs p_g to be a Pushforward (a generator), got {type(p_g).__name__}")
    bends = _bends(d, p_data, p_g)
    real = expect_nodes(p_data, lambda nodes: _disc_logs(d, nodes)[0], hints=(p_g, *bends), rtol=rtol, atol=atol,
                        noise=lambda nodes: _disc_spread(d, nodes.x, 0), **options)
    fake = expect_nodes(p_g.base, lambda nodes: _fake_logs(d, p_g, nodes),
                        hints=_pulled_back((p_data, *bends), p_g.transform), rtol=rtol, atol=atol,
                        noise=lambda nodes: _disc_spread(d, nodes.mapped(p_g.transform).x, 1, rounded=True),
                        **options)
    real = _slivers_charged(real, _jump_slivers(d, p_data, p_g, 0), rtol, atol, "value_function")
    fake = _slivers_charged(fake, _jump_slivers(d, p_g, p_data, 1, images=True), rtol, atol, "value_function")
    return _summed(real, fake)


def _fake_logs(d, p_g, nodes):
    """``log(1 - D(G(z)))`` at noise nodes. A node strictly inside the noise's support whose image rounds
    onto the image of a finite support end (where ``D*``-like discriminators read ``p_g = 0`` and ``D = 1``)
    stands for a point inside: where ``D`` is 1 on the end's float, it is taken at the next float
    inward, an equally close rounding of that point. Likewise an image that rounds onto a point where
    ``p_data`` is infinite (a Beta's end, say: ``D* = 1`` at that one point only) is taken at the
    neighbouring float where ``log(1 - D*)`` is finite and lower."""
    mapped = nodes.mapped(p_g.transform)
    l1d = _disc_logs(d, mapped)[1]
    if p_g.dim != 1 or not np.isneginf(l1d).any():
        return l1d
    if isinstance(d, OptimalDiscriminator):
        spike = np.isneginf(l1d) & (mapped.logpdf(d.p_data) == np.inf)
        if spike.any():
            x = mapped.x[spike]
            below, above = _logs_at(d, np.nextafter(x, -np.inf))[1], _logs_at(d, np.nextafter(x, np.inf))[1]
            l1d = l1d.copy()
            l1d[spike] = np.where(np.isneginf(below), above, np.where(np.isneginf(above), below,
                                                                       np.minimum(below, above)))
    lo, hi = p_g._lohi
    for xe in p_g._ends:  # (finite images of the base's ends and singular points)
        hit = np.isneginf(l1d) & (mapped.x == xe)
        if xe in (lo, hi) and hit.any():
            l1d = l1d.copy()
            inward = np.nextafter(xe, math.inf if xe == lo else -math.inf)
            l1d[hit] = _logs_at(d, np.full(int(hit.sum()), inward))[1]
    return l1d


def _pulled_back(densities, transform):
    """``densities`` seen in the noise variable (for their breakpoints), when the map is affine."""
    if not transform.affine or densities[0].dim != 1:
        return ()
    inv = Affine(1.0 / transform.scale, -transform.shift / transform.scale)
    out = []
    for dens in densities:
        try:
            out.append(Pushforward(dens, inv))
        except ValueError:  # (an image too narrow for its place in float64: no panel hint from it)
            pass
    return tuple(out)


def virtual_criterion(p_data, p_g, *, base=None, **options):
    r"""``C(G) = max_D V(G, D) = V(G, D*) = -log 4 + 2 JSD(p_data || p_g)`` (docs/theory.md S7-S10).

    Computed from the JSD integral, so ``C(G) >= -log 4`` holds exactly in floating point and
    ``C(G) = 0`` for disjoint supports. ``base``: the logarithm's base (None: nats, 2: bits, where
    ``C(G) = -2 + 2 JSD`` in bits); the other options are :func:`js_divergence`'s.

    >>> import gantheory as gt
    >>> float(gt.virtual_criterion(gt.Uniform(0, 1), gt.Uniform(2, 3)))
    0.0
    >>> float(gt.virtual_criterion(gt.Normal(0, 1), gt.Normal(0, 1), base=2))
    -2.0
    """
    check_options("virtual_criterion", options, _KW_DIVERGENCE, options.get("method", "quad"),
                  _est.method_options)
    p_data, p_g = _pair(p_data, p_g, ("p_data", "p_g"))
    unit = _unit(base)
    nats = _scaled(js_divergence(p_data, p_g, **options), 2.0, -_LOG4)
    if unit == 1.0:
        return nats
    value = float(nats) / unit  # (log 4 / log 2 rounds to 2 exactly: -2 + 2 JSD in bits)
    return Estimate(value, nats.error / unit + _EPS * abs(value), nats.neval, nats.method, nats.converged)


def _loss_integrand(loss, ld, l1d):
    """Generator loss density against p_g: minimax ``log(1 - D)``, non-saturating ``-log D``."""
    return l1d if loss == "minimax" else -ld


def _loss_hints(p_data, p_g, d):
    """Densities whose breakpoints shape the panels of a loss at ``d``: where ``D*`` of another pair jumps
    too, or where ``d``'s logit bends."""
    if isinstance(d, OptimalDiscriminator):
        return (p_data, d.p_data, d.p_g)
    return (p_data, *_bends(d, p_data, p_g))


def _bends(d, *densities):
    """``d``'s marks of where ``log D`` bends (:meth:`Discriminator._hints`) that are narrower than a tenth
    of the wider density's scale: those its panels may step over (a wider bend they resolve, and marking
    it only adds nodes)."""
    if not isinstance(d, Discriminator) or densities[0].dim != 1:
        return ()
    scale = max(float(dens._hints().scale) for dens in densities)
    return tuple(h for h in d._hints() if h.scale < 0.1 * scale)


def generator_loss(p_data, p_g, d=None, *, loss="minimax", rtol=1e-12, atol=0.0, **options):
    r"""The generator's loss at fixed ``d`` (``D*`` by default): it minimises

    - ``loss="minimax"``: ``E_{p_g}[log(1 - D(x))]`` (the part of V that depends on G, S2);
    - ``loss="non_saturating"``: ``-E_{p_g}[log D(x)]`` (S3).
    """
    check_options("generator_loss", options, _KW_LOSS)
    p_data, p_g = _pair(p_data, p_g, ("p_data", "p_g"))
    choice(loss, "loss", LOSSES)
    d = optimal_discriminator(p_data, p_g) if d is None else d
    _check_disc(d)
    est = expect_nodes(p_g, lambda nodes: _loss_integrand(loss, *_disc_logs(d, nodes)),
                       hints=_loss_hints(p_data, p_g, d), rtol=rtol, atol=atol, **options)
    sliver = _jump_slivers(d, p_g, p_data, None, values=lambda ld, l1d: _loss_integrand(loss, ld, l1d))
    return _slivers_charged(est, sliver, rtol, atol, "generator_loss")


def _score_form(d, p_g):
    """Whether the gradient at fixed ``d`` needs the score-function form (True) or the reparametrised one
    will do (False); raises ValueError where the loss at fixed ``d`` has no gradient."""
    if not isinstance(d, OptimalDiscriminator):
        return False  # a smooth discriminator: the reparametrised integrand is exact
    bounded = any(math.isfinite(e) for e in p_g.support)
    if d.p_g is p_g and (bounded or _has_jumps(p_g.base)):
        raise ValueError(
            "p_g must have an unbounded support and a base density without jumps for a gradient at D = D*: "
            "D* jumps where p_g does, and those points move with (scale, shift), so the loss at fixed D* "
            "has no gradient there (pass a smooth d)")
    # a support end inside p_g's support is treated as a jump even where the density vanishes there:
    # Beta(1.0001, 2) rises from 0 within less than the smallest float, beyond reach of the
    # reparametrised integrand (it gave the wrong sign), while the score form only needs the loss
    pts = _jump_points(d.p_data) + _jump_points(d.p_g)
    lo, hi = p_g.support
    if not any(lo <= v <= hi for v in pts):  # D* is smooth wherever p_g has mass
        return False
    if bounded or _has_jumps(p_g.base):
        raise ValueError(
            "p_g must have an unbounded support and a base density without jumps where D* jumps inside it: "
            "the mass crossing the jumps of D* is found through the score of p_g")
    return True


def generator_gradient(p_data, p_g, d=None, *, loss="minimax", rtol=1e-12, atol=0.0, **options):
    r"""Exact gradient of :func:`generator_loss` with respect to ``(scale, shift)`` of an Affine
    generator ``p_g = Pushforward(p_z, Affine(scale, shift))``, at fixed ``d`` (``D*`` by default).

    With ``x = scale z + shift`` and ``ℓ`` the logit of ``D``, by reparametrisation
    ``∂/∂θ E_z[h(G_θ(z))] = E_{p_g}[h'(x) ∂x/∂θ]`` with ``∂x/∂scale = z = (x - shift)/scale``,
    ``∂x/∂shift = 1``, and ``h' = -D ℓ'`` (minimax) or ``h' = -(1 - D) ℓ'`` (non-saturating). The
    minimax factor ``D`` vanishes where ``D`` rejects the fakes: the saturation of S3.

    Where ``D*`` jumps inside the support of ``p_g`` (``p_data`` with a support end or a jump there,
    such as uniform or beta data), the reparametrised integrand misses the mass that crosses the jump
    (and diverges where ``p_data`` does). There the gradient is computed in score-function form,
    ``E_z[(h(G(z)) - L) ∂/∂θ log p_g(G(z))]`` with ``L`` the loss, ``∂ log p_g/∂shift = -ψ(z)/scale``
    and ``∂ log p_g/∂scale = -(1 + z ψ(z))/scale`` (``ψ`` the score of ``p_z``), which holds whatever
    ``h`` does (over the noise, where ``z`` keeps its digits, when the scale is tiny next to the shift).

    Raises ``ValueError`` where the gradient does not exist: when the loss is infinite (``p_g`` has
    mass where ``D`` is 0 or 1), and for ``D = D*`` when ``p_g`` has a bounded support or a base with
    jumps (``D*`` then jumps at points that move with the parameters).

    Returns
    -------
    EstimateArray
        ``[dL/dscale, dL/dshift]``: an array of two floats with ``error`` (each component's error
        estimate), ``neval``, ``method`` and ``converged``; not converged (with an AccuracyWarning) when
        either integral stopped short of the tolerance.
    """
    check_options("generator_gradient", options, _KW_LOSS)
    p_data, p_g = _pair(p_data, p_g, ("p_data", "p_g"))
    choice(loss, "loss", LOSSES)
    if not (isinstance(p_g, Pushforward) and isinstance(p_g.transform, Affine) and p_g.dim == 1):
        raise TypeError("p_g must be a one-dimensional Pushforward(base, Affine(scale, shift))")
    d = optimal_discriminator(p_data, p_g) if d is None else d
    if not isinstance(d, Discriminator):
        raise TypeError("d must be a gantheory Discriminator (generator gradients need dlogit)")
    score_form = _score_form(d, p_g)
    value = generator_loss(p_data, p_g, d, loss=loss, rtol=rtol, atol=atol, **options)
    if not math.isfinite(value):  # +inf: p_g has mass where D is 0; -inf: where D is 1
        raise ValueError(f"the {loss} loss is {float(value)} at this d (p_g has mass where D is 0 or 1): "
                         "no gradient")
    options = dict(options, hints=_loss_hints(p_data, p_g, d), rtol=rtol, atol=atol)
    if score_form:
        return _score_function_gradient(p_g, d, loss, float(value), options)
    tr = p_g.transform

    @per_nodes
    def parts(nodes):
        """h' at the nodes and its round-off: ℓ' = score_data - score_g for D* (through the nodes'
        offsets), the user's dlogit otherwise."""
        ld, l1d = _disc_logs(d, nodes)
        if isinstance(d, OptimalDiscriminator):
            a, b = nodes.score(d.p_data), nodes.score(d.p_g)
            with np.errstate(invalid="ignore"):
                slope = np.where(a == b, 0.0, a - b)  # equal scores, infinite ones too
            scale = np.abs(a) + np.abs(b)
        else:
            slope = _checked_dlogit(d, nodes.x)
            scale = np.abs(slope)
        # h' = -D ℓ' (minimax), -(1 - D) ℓ' (non-saturating); 0 * ℓ' = 0 where the factor vanishes
        dfac = np.exp(l1d) if loss == "non_saturating" else np.exp(ld)
        z = np.abs((nodes.x - tr.shift) / tr.scale) + 1.0
        with np.errstate(invalid="ignore"):
            hp = np.where(dfac == 0.0, 0.0, -dfac * slope)
            noise = np.nan_to_num(8.0 * np.finfo(float).eps * dfac * scale * z, posinf=0.0)
        return hp, noise

    options["noise"] = lambda nodes: parts(nodes)[1]
    g_scale = expect_nodes(p_g, lambda nodes: parts(nodes)[0] * (nodes.x - tr.shift) / tr.scale, **options)
    g_shift = expect_nodes(p_g, lambda nodes: parts(nodes)[0], **options)
    return _joined(g_scale, g_shift)


def _checked_dlogit(d, x):
    """A discriminator's ``dℓ/dx`` at the nodes: one finite value per point."""
    slope = np.asarray(d._dlogit(x), dtype=float)
    if slope.shape != x.shape:
        raise ValueError(f"dlogit must return one value per point, got shape {slope.shape} for {x.shape}")
    if not np.all(np.isfinite(slope)):
        raise ValueError(f"dlogit must return finite values, got {slope[~np.isfinite(slope)][0]!r}")
    return slope


def _score_function_gradient(p_g, d, loss, value, options):
    """``E_z[(h(G(z)) - L) ∂θ log p_g(G(z))]`` for a frozen ``D*`` that jumps inside ``p_g``'s support
    (``h`` the loss density, ``L`` its mean, ``θ = (scale, shift)``). Subtracting ``L``, which the
    score's zero mean allows, keeps the integrand small where ``h`` is nearly constant (at the optimum,
    or where D* rejects every fake).

    Where the scale is below 1e-4 of the shift or of the data's scale the integrals run over the noise,
    with ``log p_g`` from ``z`` itself, since ``x = scale z + shift`` cannot hold ``z``'s digits;
    elsewhere they run over ``x``, since in the noise the data's features shrink by the scale and may
    fall between neighbouring floats."""
    tr, base = p_g.transform, p_g.base
    # over x, x - shift loses z's digits once the scale is tiny next to the shift, and the panels made for
    # the data cannot find where a generator tiny next to the data keeps its mass: then over the noise
    in_noise = abs(tr.scale) < 1e-4 * max(abs(tr.shift), float(d.p_data._hints().scale))
    if in_noise:
        # D*'s jumps and kinks, seen in the noise, are panel edges; those where the noise has no mass are
        # left out (pulled-back densities as hints would bring scales as large as 1/scale into the panels)
        pts = [np.ravel(options.get("breaks", ()))]
        for dens in options["hints"]:
            pts += [np.array([e for e in dens.support if math.isfinite(e)]), dens._breaks()]
        with np.errstate(all="ignore"):
            z = (np.concatenate(pts) - tr.shift) / tr.scale
            z = np.unique(z[np.isfinite(z)])
            z = z[base.logpdf(z) > -700.0]
        options = dict(options, hints=(), breaks=z)
    over = base if in_noise else p_g

    @per_nodes
    def loss_density(nodes):
        if not in_noise:
            logs = _disc_logs(d, nodes)
        elif d.p_g is p_g:  # log p_g from the noise itself
            logs = d._logs_from(nodes.mapped(tr).logpdf(d.p_data), nodes.logpdf(base) - math.log(abs(tr.scale)))
        else:
            logs = _disc_logs(d, nodes.mapped(tr))
        return _loss_integrand(loss, *logs)

    if in_noise:  # the loss over x (``value``) may have lost z's digits: the same integral over the noise
        value = float(expect_nodes(over, loss_density, **options))
    if not math.isfinite(value):
        raise ValueError(f"p_g's scale {tr.scale:g} leaves the jumps of D* too close together in float64 for the "
                         "loss to be integrated")

    @per_nodes
    def weighted(nodes):
        h = loss_density(nodes) - value
        z = nodes.x if in_noise else (nodes.x - tr.shift) / tr.scale
        psi = nodes.score(base) if in_noise else base.score(z)
        with np.errstate(invalid="ignore", over="ignore"):
            w_scale, w_shift = -(1.0 + z * psi) / tr.scale, -psi / tr.scale
            noise = 8.0 * np.finfo(float).eps * (np.abs(h) + abs(value)) * (np.abs(w_scale) + np.abs(w_shift))
        return h * w_scale, h * w_shift, np.nan_to_num(noise, posinf=0.0)

    options["noise"] = lambda nodes: weighted(nodes)[2]
    g_scale = expect_nodes(over, lambda nodes: weighted(nodes)[0], **options)
    g_shift = expect_nodes(over, lambda nodes: weighted(nodes)[1], **options)
    if not (math.isfinite(g_scale) and math.isfinite(g_shift)):
        raise ValueError(f"p_g's scale {tr.scale:g} and shift {tr.shift:g} leave the jumps of D* unresolved in "
                         "float64: the gradient could not be integrated")
    return _joined(g_scale, g_shift)


def pointwise_argmax(a, b):
    r"""Maximiser of ``y -> a log y + b log(1 - y)`` on ``[0, 1]``: ``y* = a / (a + b)`` (S5).

    ``a, b >= 0`` and not both zero (arrays broadcast).
    """
    a = finite_array(a, "a")
    b = finite_array(b, "b")
    if np.any(a < 0) or np.any(b < 0):
        raise ValueError("a and b must be non-negative")
    _broadcast(a=a, b=b)
    if np.any((a == 0) & (b == 0)):
        raise ValueError("a and b must not both be zero (every y is then a maximiser)")
    big = np.maximum(a, b)  # a + b may overflow (a = b = 1e308); the ratio of the scaled weights does not
    return ((a / big) / (a / big + b / big))[()]


def pointwise_objective(y, a, b):
    """``a log y + b log(1 - y)`` with ``0 log 0 = 0`` (``-inf`` where a positive weight meets 0, or where
    the value lies below the float64 range)."""
    y = finite_array(y, "y")
    if np.any((y < 0) | (y > 1)):
        raise ValueError("y must lie in [0, 1]")
    a = finite_array(a, "a")
    b = finite_array(b, "b")
    if np.any(a < 0) or np.any(b < 0):
        raise ValueError("a and b must be non-negative")
    _broadcast(y=y, a=a, b=b)
    with np.errstate(over="ignore"):
        return (special.xlogy(a, y) + special.xlog1py(b, -y))[()]


def _broadcast(**arrays):
    """ValueError naming the arrays when their shapes do not broadcast together."""
    try:
        np.broadcast_shapes(*(v.shape for v in arrays.values()))
    except ValueError:
        shapes = ", ".join(f"{k} {v.shape}" for k, v in arrays.items())
        raise ValueError(f"{' and '.join(arrays)} must broadcast together, got shapes {shapes}") from None

