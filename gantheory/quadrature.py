"""Quadrature: adaptive Gauss-Kronrod on mapped panels in 1-D, tensor trapezoid rules in d >= 2.

One dimension
    The union of the supports is cut at every breakpoint, finite support end and landmark of the
    densities into segments. Each segment has its own variable ``t`` in ``[0, 1]``: linear between
    finite points; ``x = x0 ± L t/(1-t)`` on a light tail; ``x = x0 ± L expm1(t/(1-t))`` on a heavy
    tail (algebraic decay becomes exponential); ``x = x0 ± L exp(-t/(1-t))`` next to a singular end
    (``(x - x0)^β``, ``β > -1``, becomes exponential decay, evaluated through the offset from ``x0``
    so nothing hides below the float spacing at ``x0``). Panels in ``t`` are refined by the 21-point
    Gauss-Kronrod rule, largest errors first, until the estimated error meets the tolerance. Each
    round evaluates the log-densities once on all new nodes (vectorised) and one numba kernel turns
    them into panel sums.

Two and more dimensions
    A tensor-product trapezoid rule in coordinates whitened by the pooled covariance of the
    densities' Gaussian parts (for two normals, or their common principal frame, whichever needs
    fewer nodes), on a box reaching 9 standard deviations past every part. It converges
    geometrically for smooth, fast-decaying integrands; the step is halved until the nested
    estimate (every other node) agrees to the tolerance.

Public names: :func:`expectation` (``E_p[g(X)]`` for a user's ``g``), :func:`integrate_pair` (the
engine behind the divergences, for integrands of two log-densities), the result types :class:`Estimate`
and :class:`EstimateArray`, :class:`AccuracyWarning`, and ``GK21 = (nodes, kronrod_weights,
gauss_weights)``: the 21-point Kronrod rule on ``[-1, 1]`` (exact for polynomials up to degree 31) with
its embedded 10-point Gauss rule (degree 19; its weights are 0 at the 11 Kronrod-only nodes), the
difference of the two giving QUADPACK's error estimate (Piessens et al., "QUADPACK: A Subroutine
Package for Automatic Integration", Springer, 1983).
"""

import math
import operator
import sys
import warnings

import numpy as np
from scipy import linalg

from . import _engine
from . import _kernels as K
from ._checks import check_options, finite_array, positive_int, scalar

__all__ = ["GK21", "AccuracyWarning", "Estimate", "EstimateArray", "expectation", "integrate_pair"]

# Gauss-Kronrod 21-point rule on [-1, 1] (nodes of the 10-point Gauss rule plus 11 Kronrod nodes).
# Computed at 50 digits with mpmath (tests/reference.py recomputes and compares them).
_XK = np.array([
    -0.9956571630258081, -0.9739065285171717, -0.9301574913557082, -0.8650633666889845,
    -0.7808177265864169, -0.6794095682990244, -0.5627571346686047, -0.4333953941292472,
    -0.2943928627014602, -0.14887433898163122, 0.0, 0.14887433898163122, 0.2943928627014602,
    0.4333953941292472, 0.5627571346686047, 0.6794095682990244, 0.7808177265864169,
    0.8650633666889845, 0.9301574913557082, 0.9739065285171717, 0.9956571630258081,
])
_WK = np.array([
    0.011694638867371874, 0.032558162307964725, 0.054755896574351995, 0.07503967481091996,
    0.0931254545836976, 0.10938715880229764, 0.12349197626206584, 0.13470921731147334,
    0.14277593857706009, 0.14773910490133849, 0.1494455540029169, 0.14773910490133849,
    0.14277593857706009, 0.13470921731147334, 0.12349197626206584, 0.10938715880229764,
    0.0931254545836976, 0.07503967481091996, 0.054755896574351995, 0.032558162307964725,
    0.011694638867371874,
])
_WG = np.zeros(21)
_WG[1::2] = [
    0.06667134430868814, 0.1494513491505806, 0.21908636251598204, 0.26926671930999635,
    0.29552422471475287, 0.29552422471475287, 0.26926671930999635, 0.21908636251598204,
    0.1494513491505806, 0.06667134430868814,
]
#: The 21-point Gauss-Kronrod rule on [-1, 1] as (nodes, Kronrod weights, Gauss weights): three float64
#: arrays of 21 entries, nodes ascending; the 10-point Gauss weights are zero at the Kronrod-only nodes.
GK21 = (_XK, _WK, _WG)

_LIN, _LIGHT, _HEAVY, _SING = 0, 1, 2, 3
_EPS = float(np.finfo(float).eps)
_KW_TOL = ("rtol", "atol")  # (expectation's keywords besides its options)
_ROUNDOFF = 50.0 * _EPS  # the least relative error of an integral of |f| claimed, as in QUADPACK
_MIN_WIDTH = 1e-13  # panels narrower than this (in t) are not split further


class AccuracyWarning(UserWarning):
    """Warning that a quadrature stopped before meeting its tolerance.

    Issued (pointing at the caller's line) together with a result whose ``converged`` is False and
    whose ``error`` is the achieved error estimate (``inf`` where nothing bounds it). The message
    gives the reason, for example: the panel or round budget ran out, round-off in the integrand,
    mass of a heavy tail beyond the float64 range, mass of the densities the panels missed, or a
    tensor grid that outgrew ``max_nodes``. It is a ``UserWarning``, so the usual ``warnings`` filters apply
    (``warnings.simplefilter("error", AccuracyWarning)`` turns it into an exception).

    See Also
    --------
    Estimate : The result, with ``error`` and ``converged``.
    expectation : A quadrature that may issue it.

    Examples
    --------
    >>> import warnings
    >>> import gantheory as gt
    >>> from gantheory.quadrature import AccuracyWarning, expectation
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     e = expectation(gt.Normal(), lambda x: (x > 0.3).astype(float), max_rounds=1)
    >>> [w.category is AccuracyWarning for w in caught], e.converged
    ([True], False)
    >>> bool(e.error > 0.01)
    True
    """


def _undefined(kind):
    """NaN in the integrand's terms: ``inf - inf`` from a user's function (an undefined integral), or a
    bug in gantheory's own integrands."""
    if kind == K.LINEAR:
        raise ValueError("the integrand is +inf at some points and -inf at others where the density is "
                         "positive: its integral is undefined")
    raise FloatingPointError("integrand evaluated to NaN; this is a bug in gantheory")


class Estimate(float):
    """A float that carries its error estimate and how it was computed.

    Every integral of gantheory returns one. It is a ``float`` (``float(e)``, comparisons and
    arithmetic work as usual, and arithmetic gives plain floats, without the attributes); pickling
    keeps them.

    Parameters
    ----------
    value : float
        The estimate; ``±inf`` for a divergent integral.
    error : float, >= 0 (``inf`` allowed), default 0.0
        Absolute error: for ``method="quad"`` a bound the true error is meant to lie within (the
        Gauss-Kronrod estimate, the propagated round-off of the log-densities, mass the panels
        missed), checked against closed forms by the oracle sweep but not proven; for ``"mc"`` and
        ``"qmc"`` a standard error; for ``"knn"`` the spread of the per-point terms over ``sqrt(n)``,
        a rough guide; for ``"discriminator"`` ``inf`` (the value is a lower bound of JSD, not an
        estimate of it).
    neval : int, >= 0, default 0
        Integrand evaluations (quadrature nodes) or samples drawn.
    method : str, non-empty, default "quad"
        How the value was computed: ``"quad"``, ``"mc"``, ``"qmc"``, ``"knn"`` or ``"discriminator"``
        in gantheory's results.
    converged : bool, default True
        False when the quadrature stopped before its tolerance (an :class:`AccuracyWarning` was
        issued and ``error`` is the achieved estimate). True means ``error`` is within
        ``max(rtol * |value|, atol)`` or within the float64 floor, the propagated round-off of the
        log-densities when that is below 1e-14 of the mass involved: a divergence smaller than that
        floor (KL of normals 1e-9 apart, 5e-19) is then good to its absolute ``error`` (2e-16), not to
        ``rtol``. Always True for the stochastic methods.

    Attributes
    ----------
    error : float
        As above.
    neval : int
        As above.
    method : str
        As above.
    converged : bool
        As above.

    Raises
    ------
    TypeError
        If ``neval`` is not an integer, ``method`` not a non-empty string or ``converged`` not a bool.
    ValueError
        If ``error`` is negative or NaN, or ``neval`` negative.

    See Also
    --------
    EstimateArray : Several estimates computed together.
    AccuracyWarning : Issued when ``converged`` is False.
    gantheory.kl_divergence : One of the functions returning an Estimate.

    Examples
    --------
    >>> import gantheory as gt
    >>> kl = gt.kl_divergence(gt.Normal(0.0, 1.0), gt.Normal(1.0, 1.0))
    >>> isinstance(kl, float), kl.method, kl.converged
    (True, 'quad', True)
    >>> bool(abs(kl - 0.5) <= kl.error < 1e-12)
    True
    >>> from gantheory.quadrature import Estimate
    >>> e = Estimate(1.5, error=0.25, neval=100, method="mc")
    >>> e
    Estimate(1.5, error=0.25, neval=100, method='mc', converged=True)
    >>> e + 1, type(e + 1).__name__
    (2.5, 'float')
    """

    __slots__ = ("converged", "error", "method", "neval")

    def __new__(cls, value, error=0.0, neval=0, method="quad", converged=True):
        obj = super().__new__(cls, value)
        obj.error = float(error)
        if not obj.error >= 0.0:  # (NaN too): an error bar is a non-negative number or inf
            raise ValueError(f"Estimate: error must be >= 0, got {obj.error!r}")
        obj.neval = operator.index(neval)
        if obj.neval < 0:
            raise ValueError(f"Estimate: neval must be >= 0, got {obj.neval}")
        if not (isinstance(method, str) and method):
            raise TypeError(f"Estimate: method must be a non-empty string, got {method!r}")
        obj.method = method
        if converged is not True and converged is not False and not isinstance(converged, np.bool_):
            raise TypeError(f"Estimate: converged must be a bool, got {converged!r}")
        obj.converged = bool(converged)
        return obj

    def __reduce__(self):
        return (Estimate, (float(self), self.error, self.neval, self.method, self.converged))

    def __repr__(self):
        return (f"Estimate({float(self)!r}, error={self.error:.3g}, neval={self.neval}, "
                f"method={self.method!r}, converged={self.converged})")


class EstimateArray(np.lib.mixins.NDArrayOperatorsMixin):
    """Read-only array of values computed together (a gradient's components), with their errors.

    It is not itself an ndarray: indexing and iteration give the values (floats, or read-only arrays
    for rows of a 2-D one), arithmetic and numpy functions give plain arrays, ``np.asarray`` a copy
    of the values, so no array operation carries a value away with a stale error bar.

    Parameters
    ----------
    values : array_like of float
        The values, of any shape.
    error : array_like of float, >= 0
        Each value's absolute error estimate (``inf`` allowed), of the shape of ``values``.
    neval : int, default 0
        Integrand evaluations spent on all of them.
    method : str, default "quad"
        How they were computed (as for :class:`Estimate`).
    converged : bool, default True
        False when any of them missed its tolerance.

    Attributes
    ----------
    error : numpy.ndarray
        The errors, read-only.
    neval : int
        As above.
    method : str
        As above.
    converged : bool
        As above.

    Raises
    ------
    ValueError
        If ``error`` does not have the shape of ``values`` or has an entry that is negative or NaN.
    TypeError
        If ``neval`` is not an integer.

    See Also
    --------
    Estimate : A single value with its error.
    gantheory.generator_gradient : Returns an EstimateArray.

    Examples
    --------
    >>> import numpy as np
    >>> from gantheory.quadrature import EstimateArray
    >>> g = EstimateArray([1.0, -2.0], [1e-12, 2e-12], neval=300)
    >>> g.shape, len(g), float(g[1])
    ((2,), 2, -2.0)
    >>> (2 * g).tolist(), g.error.tolist()
    ([2.0, -4.0], [1e-12, 2e-12])
    >>> float(np.linalg.norm(g)) == float(np.sqrt(5.0))
    True
    """

    __slots__ = ("_values", "converged", "error", "method", "neval")

    def __init__(self, values, error, neval=0, method="quad", converged=True):
        vals, err = np.array(values, dtype=float), np.array(error, dtype=float)
        if err.shape != vals.shape or not np.all(err >= 0.0):
            raise ValueError(f"EstimateArray: error must be {vals.shape} values >= 0, got {error!r}")
        vals.flags.writeable = err.flags.writeable = False
        self._values, self.error = vals, err
        self.neval, self.method, self.converged = operator.index(neval), str(method), bool(converged)

    def __array__(self, dtype=None, copy=None):
        return np.array(self._values, dtype=dtype)  # (a copy: the estimate stays as computed)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        plain = [np.asarray(x) if isinstance(x, EstimateArray) else x for x in inputs]
        return getattr(ufunc, method)(*plain, **kwargs)

    def __array_function__(self, func, types, args, kwargs):
        def plain(x):
            return np.asarray(x) if isinstance(x, EstimateArray) else x
        return func(*[plain(a) for a in args], **{k: plain(v) for k, v in kwargs.items()})

    def __getitem__(self, key):
        return self._values[key]

    def __len__(self):
        return len(self._values)

    def __iter__(self):
        return iter(self._values)

    @property
    def shape(self):
        """Shape of the values (and of ``error``)."""
        return self._values.shape

    def __reduce__(self):
        return (EstimateArray, (self._values, self.error, self.neval, self.method, self.converged))

    def __repr__(self):
        return (f"EstimateArray({self._values.tolist()!r}, error={self.error.tolist()!r}, "
                f"neval={self.neval}, method={self.method!r}, converged={self.converged})")


def _joined(*ests):
    """Estimates of one computation's components as an :class:`EstimateArray`."""
    return EstimateArray([float(e) for e in ests], [e.error for e in ests], sum(e.neval for e in ests),
                         ests[0].method, all(e.converged for e in ests))


def _scaled(est, factor, offset=0.0):
    """``factor * est + offset`` keeping the metadata (error scales with ``|factor|``, plus the rounding of
    the new value where the operation is not exact)."""
    value = factor * float(est) + offset
    exact = offset == 0.0 and math.frexp(abs(factor))[0] == 0.5  # a power of two
    error = abs(factor) * est.error + (0.0 if exact or not math.isfinite(value) else _EPS * abs(value))
    return Estimate(value, error, est.neval, est.method, est.converged)


def _summed(a, b):
    """``a + b`` for two estimates of separate integrals: their errors add, with the rounding of the sum;
    an infinite sum is exact (and converged)."""
    value = float(a) + float(b)
    if math.isinf(value):
        return Estimate(value, 0.0, a.neval + b.neval, a.method, True)
    return Estimate(value, a.error + b.error + _EPS * abs(value) / 2, a.neval + b.neval, a.method,
                    a.converged and b.converged)


def _charged(est, extra, limit, message):
    """``est`` with ``extra`` (an error source the integration did not see) added to its error; not
    converged, with an AccuracyWarning (``message``, formatted with ``extra`` and ``value``) raised at the
    caller of the public function, when ``extra`` alone exceeds ``limit``."""
    converged = est.converged
    if extra > limit:
        converged = False
        warnings.warn(message.format(extra=extra, value=float(est)), AccuracyWarning, stacklevel=_user_level())
    return Estimate(float(est), est.error + extra, est.neval, est.method, converged)


# ---------------------------------------------------------------------------------- one dimension
class _Geometry:
    """Segments covering the union of the supports of one-dimensional densities."""

    def __init__(self, densities, breaks=()):
        hints = [d._hints() for d in densities]
        lo, hi = min(h.support[0] for h in hints), max(h.support[1] for h in hints)
        pts = np.concatenate([h.edges for h in hints] + [np.asarray(breaks, dtype=float)])
        pts = np.unique(pts[(pts >= lo) & (pts <= hi) & np.isfinite(pts)])  # (NaN fails every test)
        if pts.size == 0:
            pts = np.zeros(1)
        sing = sorted({v for h in hints for v in h.singular})
        if sing:  # a point a few ulps from a singular point would cut a sliver next to it: merge them
            near = np.array(sing)  # (and every singular point is an edge, whether a density lists it or not)
            pts = np.unique(np.concatenate([pts, near[(near >= lo) & (near <= hi) & np.isfinite(near)]]))
            keep = [v in sing or np.min(np.abs(near - v)) > 8.0 * _EPS * abs(v) for v in pts.tolist()]
            pts = pts[np.array(keep)]
        tail = _HEAVY if any(h.heavy for h in hints) else _LIGHT
        scale = max(h.scale for h in hints)
        # a light tail dies within a few dozen of its own scales, where the widest density's scale takes
        # over; a heavy one reaches across any gap, so its own (perhaps much smaller) scale sets the steps
        pts = self._geometric(pts, min([h.scale for h in hints if h.heavy] + [scale]))
        if sing:
            inner = self._with_singular(pts[:-1].tolist(), pts[1:].tolist(), sing)
        else:
            inner = (np.zeros(pts.size - 1, np.int64), pts[:-1], np.ones(pts.size - 1), np.diff(pts), pts[1:])
        left, right = lo == -math.inf, hi == math.inf
        n, o = inner[0].size, int(left)
        self.stype = np.zeros(n + left + right, np.int64)
        self.x0, self.sgn, self.length, self.x1 = (np.empty(n + left + right) for _ in range(4))
        for arr, part in zip((self.stype, self.x0, self.sgn, self.length, self.x1), inner):
            arr[o:o + n] = part
        for on, end, sign in ((left, 0, -1.0), (right, -1, 1.0)):
            if on:
                self.stype[end], self.x0[end], self.sgn[end], self.length[end] = tail, pts[end], sign, scale
                self.x1[end] = pts[end]  # (unused: tails have no far end)
        self.has_singular = bool(np.any(self.stype == _SING))
        self.heavy = np.flatnonzero(self.stype == _HEAVY)
        # Kinks that lie between two floats (an affine image of a Laplace peak): their float is the panel
        # edge, and the segments that start or end there are shifted by the remainder, so the kink is an
        # exact edge of both (segments at singular ends, evaluated through offsets, are left as they are)
        self.x0lo = np.zeros(self.x0.size)
        self.x1lo = np.zeros(self.x0.size)  # the same at a linear segment's far end
        lows = {}
        for d in densities:
            lows.update(d._exact_breaks())
        if lows:
            lin = self.stype == _LIN
            ends = self.x0 + self.sgn * self.length
            for k in np.flatnonzero(lin):
                a, b = lows.get(float(self.x0[k]), 0.0), lows.get(float(ends[k]), 0.0)
                self.x0lo[k], self.x1lo[k] = a, b
                self.length[k] += b - a
            for k in np.flatnonzero(~lin & (self.stype != _SING)):  # tails start at their anchor
                self.x0lo[k] = lows.get(float(self.x0[k]), 0.0)

    @staticmethod
    def _geometric(pts, scale):
        """Points at 4, 16, 64, ... scales inside each gap much longer than that, from both of its ends: a
        straight panel from the bulk to a far breakpoint would put no node where a heavy tail keeps its
        mass, and report a tiny error for the mass it missed."""
        with np.errstate(over="ignore"):
            gaps = np.diff(pts)
        long = np.flatnonzero(gaps > 64.0 * scale)
        if not long.size:
            return pts
        widest = min(float(np.max(gaps[long])), float(np.finfo(float).max))  # (a gap of -1e308 to 1e308)
        top = int(np.floor((math.log(widest) - math.log(scale)) / math.log(4.0)))  # scale 4^top <= widest
        steps = np.exp(math.log(scale) + math.log(4.0) * np.arange(1, 1 + top))
        extra = []
        for i in long:
            a, b = pts[i], pts[i + 1]
            inside = steps[steps < 0.5 * (b - a)]
            extra += [a + inside, b - inside]
        out = np.unique(np.concatenate([pts, *extra]))
        return out[np.isfinite(out)]

    @staticmethod
    def _with_singular(a, b, sing):
        """Segments between consecutive points; edges at or just beside a singular point (closer than
        1e-3 of the segment, where the integrand is steep) get the exponential map."""
        def singular(v, width):
            return min(abs(s - v) for s in sing) <= 1e-3 * width

        segs = []
        for lo, hi in zip(a, b):
            sa, sb = singular(lo, hi - lo), singular(hi, hi - lo)
            if sa and sb:  # singular at both ends: split in the middle
                mid = 0.5 * (lo + hi)
                segs += [(_SING, lo, 1.0, mid - lo, mid), (_SING, hi, -1.0, hi - mid, mid)]
            elif sa or sb:
                segs.append((_SING, lo, 1.0, hi - lo, hi) if sa else (_SING, hi, -1.0, hi - lo, lo))
            else:
                segs.append((_LIN, lo, 1.0, hi - lo, hi))
        if not segs:
            return (np.empty(0, np.int64), np.empty(0), np.empty(0), np.empty(0), np.empty(0))
        arr = np.array(segs, dtype=float)
        return arr[:, 0].astype(np.int64), arr[:, 1], arr[:, 2], arr[:, 3], arr[:, 4]


class Nodes:
    """Quadrature nodes: ``x``, also as panel anchors plus offsets (``split = (x0, off)``, ``x = x0 + off``)
    for densities that evaluate ``x0 - loc`` exactly, and the nodes next to singular ends as
    ``(anchor, index, offset, log |offset|)`` groups, so densities can evaluate them through their
    accurate offset form (the log stays exact where the offset underflows). ``origin``: for nodes pushed
    through a scalar affine map, ``(map, the nodes they came from)``: a pushforward through that map is
    evaluated at its base there, not at the rounded images (whose preimages may round out of its support)."""

    __slots__ = ("hooks", "origin", "split", "x")

    def __init__(self, x, hooks=(), split=None, origin=None):
        self.x = x
        self.hooks = hooks
        self.split = split
        self.origin = origin

    def mapped(self, transform):
        """The nodes pushed through a generator map; affine maps carry the anchored offsets along.
        Images beyond the float64 range are clipped to its ends (noise that far out has no mass)."""
        big = np.finfo(float).max
        x = np.clip(transform._forward(self.x), -big, big)
        split = origin = None
        if isinstance(getattr(transform, "scale", None), float):
            s, t = transform.scale, transform.shift
            origin = (transform, self)
            if self.split is not None:
                split = (s * self.split[0] + t, s * self.split[1])
        if not self.hooks:
            return Nodes(x, split=split, origin=origin)
        if transform.affine:
            s, t = transform.scale, transform.shift
            return Nodes(x, [(s * x0 + t, idx, s * off, loff + math.log(abs(s))) for x0, idx, off, loff in self.hooks],
                         split, origin)
        hooks = []
        for x0, idx, off, loff in self.hooks:
            moved = transform._offset(x0, off, transform._dforward, transform._forward)
            with np.errstate(divide="ignore"):
                lm = np.where(np.abs(off) < 1e-290, loff + np.log(np.abs(transform._dforward(np.array(x0)))),
                              np.log(np.abs(moved)))
            hooks.append((float(transform._forward(np.array(x0))), idx, moved, lm))
        return Nodes(x, hooks)

    def logpdf(self, density):
        """``density`` log-pdf at the nodes, singular-end nodes through ``_logpdf_offset``."""
        if self.origin is not None and getattr(density, "transform", None) is self.origin[0]:
            return self.origin[1].logpdf(density.base) - density.transform._logdet
        if not self.hooks:
            return density._logpdf(self.x) if self.split is None else density._logpdf_split(self.x, *self.split)
        plain = self._plain()  # (the hooks' nodes are evaluated once, through their offsets)
        out = np.empty(self.x.shape)
        x = self.x[plain]
        out[plain] = density._logpdf(x) if self.split is None else density._logpdf_split(
            x, *(a[plain] for a in self.split))
        for x0, idx, off, loff in self.hooks:
            out[idx] = density._logpdf_offset(x0, off, loff)
        return out

    def _plain(self):
        """The nodes that are not next to a singular end (a boolean mask)."""
        plain = np.ones(self.x.shape, dtype=bool)
        for _, idx, _, _ in self.hooks:
            plain[idx] = False
        return plain

    def logpdf_err(self, density, lp):
        """The error of ``density``'s log-pdf ``lp`` at these nodes beyond its own rounding (``2 eps (|lp| +
        1)``): what the rounding of the node coordinates costs a density evaluated through a nonlinear
        map, say. Zero where the density reports nothing; nodes next to singular ends are evaluated
        through exact offsets and report nothing either."""
        plain = self._plain() if self.hooks else slice(None)
        part = density._logpdf_err(self.x[plain], lp[plain])
        if part is None:
            return np.zeros_like(lp)
        err = np.zeros_like(lp)
        err[plain] = np.where(np.isfinite(part) & (lp[plain] > -np.inf), part, 0.0)
        return err

    def score(self, density):
        """``d/dx log density`` at the nodes, singular-end nodes through ``_score_offset``."""
        if self.origin is not None and getattr(density, "transform", None) is self.origin[0]:
            return self.origin[1].score(density.base) / density.transform.scale
        out = density._score(self.x) if self.split is None else density._score_split(self.x, *self.split)
        for x0, idx, off, _ in self.hooks:
            out[idx] = density._score_offset(x0, off)
        return out


def _panels_1d(geo, seg, ta, tb):
    n = seg.shape[0] * _XK.shape[0]
    x, off, loff, lj, anchors = np.empty(n), np.empty(n), np.empty(n), np.empty(n), np.empty(n)
    K.map_nodes(geo.stype, geo.x0, geo.x0lo, geo.x1, geo.x1lo, geo.sgn, geo.length, seg, ta, tb, _XK, anchors, x,
                off, loff, lj)
    hooks = []
    if geo.has_singular:
        sing = np.repeat(geo.stype[seg] == _SING, _XK.shape[0])
        for x0 in np.unique(anchors[sing]):
            idx = np.flatnonzero(sing & (anchors == x0))
            hooks.append((float(x0), idx, off[idx], loff[idx]))
    return Nodes(x, hooks, (anchors, off)), lj


def _weighted_noise(noise, lp, lq, lj):
    """The absolute noise of an integrand's values weighted by the densities: ``noise`` is that of both
    ``a`` and ``b``, or a pair ``(noise of a, noise of b)``, each weighted by its own density."""
    na, nb = noise if isinstance(noise, tuple) else (noise, noise)
    with np.errstate(all="ignore"):
        return (np.where(np.isneginf(lp), 0.0, np.exp(lp + lj) * na)
                + np.where(np.isneginf(lq), 0.0, np.exp(lq + lj) * nb))


def _unpack(out):
    """``(lp, lq, a, b, noise, elp, elq)`` from what an integrand's ``evaluate`` returned: ``(lp, lq, a,
    b)``, optionally the absolute noise of ``a`` and ``b`` (or None), optionally the errors of ``lp`` and
    ``lq`` beyond their own rounding (zeros when not given)."""
    lp, lq, a, b = out[:4]
    noise = out[4] if len(out) > 4 else None
    if len(out) > 5:
        return lp, lq, a, b, noise, out[5], out[6]
    zero = np.zeros_like(lp)
    return lp, lq, a, b, noise, zero, zero


# rows of the per-panel results (see _kernels.gk_panels)
_VAL, _ERR, _NOISE, _ABS, _MASS, _MP, _MQ, _EP, _EQ, _NP, _NQ, _DMAX = range(12)
_ROWS = 12
#: The integrands bounded per unit of mass (their bounds: ``gantheory._engine.per_mass``); the others are
#: unbounded in the densities' ratio, so mass they miss is charged by the sensitivity seen at the nodes.
_PER_MASS = (K.JSD, K.TV, K.HELLINGER)


def _adaptive_1d(densities, kind, evaluate, rtol, atol, max_panels, max_rounds, breaks=(), masses=(None, None),
                 window=None):
    geo = _Geometry(densities, breaks)
    nseg = geo.stype.shape[0]
    if max_panels is None:  # 20000, and room beyond its own cells for a fine grid density
        max_panels = max(20_000, 4 * nseg)
    # panels as rows (segment, t_low, t_high); tails start as two panels (their mass sits at small t)
    new = np.array([np.arange(nseg), np.zeros(nseg), np.ones(nseg)], dtype=float)
    tails = np.flatnonzero(geo.stype != _LIN)
    if tails.size:
        new[2, tails] = 0.5
        new = np.concatenate([new, [tails, np.full(tails.size, 0.5), np.ones(tails.size)]], axis=1)
    panels = R = parents = None
    neval, etot, converged, roundoff, sens, dropped = 0, 0.0, False, 0, 0.0, False
    for rnd in range(max_rounds):
        seg = new[0].astype(np.int64)
        nodes, lj = _panels_1d(geo, seg, new[1], new[2])
        with np.errstate(all="ignore"):
            lp, lq, a, b, noise, elp, elq = _unpack(evaluate(nodes))
        if kind == K.LINEAR:
            # the integrand's values come from functions of x, which see a node within a few float spacings
            # of a singular end (its offset underflowed, or x0 + off rounds to x0 or next to it) at the end
            # or on its far side (where a pushforward's own rounding of the end puts it): where they are
            # infinite there, the node is dropped, and the mass check bounds what it held (the reads at
            # those floats are charged by _end_slivers where the caller gives a window)
            for x0, idx, off, _ in nodes.hooks:
                near = np.abs(nodes.x[idx] - x0) <= _SLIVER_FLOATS * np.spacing(abs(x0))
                at_end = idx[(off == 0.0) | near]
                gone = at_end[~(np.isfinite(a[at_end]) & np.isfinite(b[at_end]))]
                lj[gone] = -math.inf
                dropped = dropped or bool(gone.size)
        res = np.empty((_ROWS, seg.size))
        K.gk_panels(kind, lp, lq, a, b, lj, elp, elq, _WK, _WG, res)
        if noise is not None:  # absolute noise of the values a, b (weighted by p and q): add it to the round-off
            res[_NOISE] += _weighted_noise(noise, lp, lq, lj).reshape(seg.size, -1) @ _WK
        neval += lj.size
        if kind not in _PER_MASS:
            sens = max(sens, _sensitivity(kind, lp, lq, a, b))
        val = res[_VAL]
        if not np.isfinite(val).all():
            inf = val[np.isinf(val)]
            if np.isnan(val).any() or not (np.all(inf > 0) or np.all(inf < 0)):
                _undefined(kind)
            return Estimate(math.inf if inf[0] > 0 else -math.inf, 0.0, neval, "quad", True)
        if kind == K.KL and masses[0] is not None:
            # KL's integrand moves by log(p/q) per unit of p's mass, which grows without bound where p's mass
            # decays slowly (a Beta's singular end): there p's mass must be resolved as well as the integrand
            res[_ERR] += res[_DMAX] * res[_EP]
            res[_NOISE] += res[_DMAX] * res[_NP]
        if parents is not None:
            # QUADPACK's round-off test: halving changed neither the value nor the error
            half = seg.size // 2
            cval, cerr = val[:half] + val[half:], res[_ERR, :half] + res[_ERR, half:]
            roundoff += int(np.sum((np.abs(cval - parents[_VAL]) <= 1e-5 * np.abs(cval))
                                   & (cerr >= 0.99 * parents[_ERR])))
        panels = new if panels is None else np.concatenate([panels, new], axis=1)
        R = res if R is None else np.concatenate([R, res], axis=1)
        with np.errstate(over="ignore"):  # (the mass rows of an integrand whose weights are not densities)
            sums = R.sum(axis=1)
        disc = float(sums[_ERR])  # discretisation error estimate
        # relative to ∫|f|: for the non-negative integrands of the divergences that is |total|; for
        # integrands that change sign (V, gradients, expectations) a cancelling total near 0 is not
        # asked for more relative accuracy than its parts allow
        tol = max(atol, rtol * float(sums[_ABS]))
        floor = float(sums[_NOISE])  # what float64 log-densities allow (see _kernels._noise)
        etot = disc + floor
        if disc <= max(tol, floor):  # refining further would only chase round-off
            # round-off above the tolerance is still an answer at float64 precision when it is below
            # 1e-14 of the mass involved (KL = 0 up to 1e-33, say); above that the caller is told
            # (the mass where the weights are densities; W1's are lengths: the integral, or the scale of
            # the densities, whichever is larger)
            scale = (float(sums[_MASS]) if masses != (None, None)
                     else max(float(sums[_ABS]), sum(d._hints().scale for d in densities)))
            converged = floor <= max(tol, 1e-14 * scale)
            roundoff = 0 if converged else 20
            break
        if roundoff >= 20 or rnd == max_rounds - 1:  # (no round left to evaluate the halves)
            break
        order = np.argsort(R[_ERR])[::-1]
        k = int(np.searchsorted(np.cumsum(R[_ERR, order]), disc - 0.5 * tol)) + 1
        pick = order[:k]
        pick = pick[(panels[2, pick] - panels[1, pick]) > _MIN_WIDTH]
        if pick.size == 0 or panels.shape[1] + pick.size > max_panels:
            break
        sel = panels[:, pick]
        mid = 0.5 * (sel[1] + sel[2])
        new = np.concatenate([[sel[0], sel[1], mid], [sel[0], mid, sel[2]]], axis=1)
        parents = R[:, pick]
        keep = np.ones(panels.shape[1], bool)
        keep[pick] = False
        panels, R = panels[:, keep], R[:, keep]
    beyond = _beyond_float_range(geo, kind, evaluate)
    with np.errstate(over="ignore"):  # (the mass rows of an integrand whose weights are not densities)
        sums = R.sum(axis=1)
    exact = tuple(_fsum(R[row], sums[row]) for row in (_VAL, _MP, _MQ))
    sliver = 0.0
    if window is not None and geo.has_singular:
        sliver = _end_slivers(densities, window, masses)
        if sliver > max(atol, rtol * float(sums[_ABS]), etot):
            converged, roundoff = False, -4
        etot += sliver
    return _conclude(kind, sums, exact, neval, sens, converged, roundoff, etot, beyond, masses, rtol, atol, dropped,
                     sliver)


#: How many floats on each side of a singular point the integrand is read at (:func:`_end_slivers`); the
#: mass is taken over twice that many.
_SLIVER_FLOATS = 4


def _end_slivers(densities, window, masses):
    """What reading an integrand at rounded floats can cost next to the singular points of its weights.
    There a density keeps much mass within a few float spacings (a Beta(1, 0.37) end: 1e-6 within one
    spacing), while a function of x sees only the floats: a node at ``x0 + off`` reads the function at
    the nearest float, perhaps on the far side of a jump that the function puts at its own rounding of
    ``x0``, or where a singular function is still far from its value at the node. ``window(nodes)`` gives
    the integrand's parts ``(a, b)`` (weighted by the first and the second density) at plain floats.
    Charge per singular point and weight: the weight's mass within ``2 × _SLIVER_FLOATS`` floats of the
    point (from its CDF) times the range of the part over the ``_SLIVER_FLOATS`` floats on each side; where
    the part is infinite at one of them, its largest finite magnitude there is added (the nodes reading
    the infinite value are dropped, and the mass they held is worth at least that much)."""
    out = 0.0
    for i, dens in enumerate(densities[:2]):
        if masses[i] is None:
            continue
        for s in sorted(v for v in dens._hints().singular if math.isfinite(v)):
            k = _SLIVER_FLOATS
            xs = np.full(4 * k + 1, float(s))
            for j in range(1, 2 * k + 1):
                xs[2 * k + j] = np.nextafter(xs[2 * k + j - 1], math.inf)
                xs[2 * k - j] = np.nextafter(xs[2 * k - j + 1], -math.inf)
            try:
                with np.errstate(all="ignore"):
                    mass = min(abs(float(dens._cdf(xs[-1:])[0] - dens._cdf(xs[:1])[0])),
                               abs(float(dens._sf(xs[:1])[0] - dens._sf(xs[-1:])[0])))
            except (AttributeError, NotImplementedError):
                mass = math.nan
            if not mass > 0.0:
                continue
            lo, hi = dens._hints().support
            vals = []
            for x in xs[k:3 * k + 1]:  # (one at a time: a function may reject a float outside its domain)
                if lo <= x <= hi:
                    try:
                        with np.errstate(all="ignore"), warnings.catch_warnings():
                            warnings.simplefilter("ignore")
                            vals.append(float(np.asarray(window(Nodes(np.array([x])))[i], dtype=float)[0]))
                    except (ValueError, ArithmeticError):
                        vals.append(math.nan)
            vals = np.array(vals)
            fin = vals[np.isfinite(vals)]
            if fin.size == 0:
                continue
            spread = float(fin.max() - fin.min())
            if fin.size < vals.size:
                spread += float(np.max(np.abs(fin)))
            out += mass * spread
    return out


def _fsum(values, plain):
    """``math.fsum(values)``, or ``plain`` (their float sum, ±inf there) where an exact partial sum overflows
    (a break near the float64 limit makes panels, and the masses on them, as large as 1e308)."""
    try:
        return math.fsum(values)
    except OverflowError:
        return plain


def _conclude(kind, sums, exact, neval, sens, converged, roundoff, etot, beyond, masses, rtol, atol, dropped=False,
              sliver=0.0):
    """The ``Estimate`` from the sums of the final panels' rows (both paths; see
    ``gantheory._engine.conclude``), with the warning when the tolerance was not met. ``dropped``: nodes
    where a user's function is infinite at the float of a singular end were left out; the mass they held
    has no bound on the function there, so a mass gap makes the error unbounded."""
    want = tuple(math.nan if m is None else m for m in masses)
    total, etot, converged, roundoff, lost = _engine.conclude(kind, sums, exact, sens, converged, roundoff, etot,
                                                              beyond, want[0], want[1], rtol, atol)
    if dropped and lost > 0.0:
        etot, converged, roundoff = math.inf, False, -3
    return _finish(total, etot, converged, roundoff, sliver if roundoff == -4 else lost, neval, rtol)


def _finish(total, etot, converged, roundoff, lost, neval, rtol):
    """The ``Estimate``, and the warning when the tolerance was not met (``roundoff``: the reason)."""
    if not converged:
        why = ("round-off (or oscillation) in the integrand limits the accuracy to the error below" if roundoff >= 20
               else f"the function is infinite at the float nearest a singular end of the density, where {lost:.3g} "
                    "of its mass lies within one float spacing: float evaluations cannot bound the integral there"
               if roundoff == -3
               else f"the function read at the floats next to a singular point of the density, where much of its "
                    f"mass lies within a few float spacings, can be off by up to {lost:.3g} there" if roundoff == -4
               else "a heavy tail carries mass beyond the float64 range (about 1e304)" if roundoff == -1
               else f"the captured mass of the densities is off by {lost:.3g} (a region the panels missed, or "
                    "density values less accurate than float64)" if roundoff == -2
               else "the panel or round budget ran out")
        warnings.warn(
            f"quadrature stopped before rtol={rtol:g}: {why}; estimated error {etot:.3g} on "
            f"{total:.17g} after {neval} evaluations", AccuracyWarning, stacklevel=_user_level())
    return Estimate(total, etot, neval, "quad", converged)


def _user_level():
    """The stack level of the first frame outside gantheory (where a warning points)."""
    f, level = sys._getframe(1), 1
    pkg = __name__.rpartition(".")[0] + "."
    while f is not None and (f.f_globals.get("__name__", "") + ".").startswith(pkg):
        f, level = f.f_back, level + 1
    return level


def _sensitivity(kind, lp, lq, a, b):
    """Twice the largest value a unit of mass adds to the integrand at these nodes (KL: ``|log p/q| + 1``,
    χ²: ``p/q + 1``, linear: ``|a|``, ``|b|``): what a density's missed mass is charged per unit."""
    with np.errstate(all="ignore"):
        if kind == K.LINEAR:
            v = np.concatenate([np.abs(a[lp > -np.inf]), np.abs(b[lq > -np.inf])])
        else:
            both = (lp > -np.inf) & (lq > -np.inf)
            d = np.abs(lp[both] - lq[both])
            v = d + 1.0 if kind == K.KL else np.exp(np.minimum(d, 700.0)) + 1.0
    v = v[~np.isnan(v)]
    return 2.0 * float(np.max(v)) if v.size else math.inf


def _beyond_float_range(geo, kind, evaluate):
    """A bound on what heavy-tail segments leave out past their cap (x ~ 1e304, u = log scale).

    The integrand per unit of ``u = log(x/L)`` at the cap, times the cap: generous for any tail decaying
    at least like ``u^-2``, and ``~e^-700`` for any algebraic tail (Cauchy, Student-t), which decay
    exponentially in ``u``. Only densities with tails like ``(log x)^-k / x`` leave anything here. Where
    the integrand per unit of ``u`` decays slower than ``u^-2`` between half the cap and the cap (a
    function of ``x`` whose expectation diverges in the tail: ``E|X|`` under a Cauchy), nothing bounds
    what lies beyond: ``inf``."""
    heavy = geo.heavy
    if heavy.size == 0:
        return 0.0
    cap = 700.0 - np.maximum(np.log(geo.length[heavy]), 0.0)
    per_u = []
    for u in (cap, 0.5 * cap):
        tb = u / (1.0 + u) * (1.0 - 1e-12)
        ta = tb * (1.0 - 1e-9)
        nodes, lj = _panels_1d(geo, heavy, ta, tb)
        with np.errstate(all="ignore"):
            lp, lq, a, b, _, elp, elq = _unpack(evaluate(nodes))
        res = np.empty((_ROWS, heavy.size))
        K.gk_panels(kind, lp, lq, a, b, lj, elp, elq, _WK, _WG, res)
        per_u.append(np.abs(res[_VAL]) / (tb - ta) * (1.0 - tb) ** 2)  # per unit t, times dt/du = (1 - t)^2
    with np.errstate(all="ignore"):
        if np.any(per_u[0] > 0.25 * per_u[1]):  # slower than u^-2 (a factor 4 over a doubling of u)
            return math.inf
        out = float(np.sum(per_u[0] * cap))
    return out if math.isfinite(out) else math.inf


# ---------------------------------------------------------------------------- several dimensions
def _gaussian_arrays(densities):
    """The means ``(n, d)`` and covariances ``(n, d, d)`` of the densities' Gaussian parts."""
    dim = densities[0].dim
    parts = [p for d in densities for p in d._gaussian_parts()]
    return (np.array([np.asarray(m, float).reshape(dim) for m, _ in parts]),
            np.array([np.asarray(c, float).reshape(dim, dim) for _, c in parts]))


def _tensor_box(densities):
    """The tensor rule's frame: the pooled mean and Cholesky factor, the box (9 standard deviations of
    every part around its mean, in the whitened frame), the first step and the log-determinant."""
    means, covs = _gaussian_arrays(densities)
    mu = means.mean(axis=0)
    dev = means - mu
    pooled = covs.mean(axis=0) + dev.T @ dev / len(means)
    w = linalg.cholesky(pooled, lower=True)
    winv = np.linalg.inv(w)
    nu = dev @ winv.T
    cy = np.einsum("ij,njk,lk->nil", winv, covs, winv)
    sd = np.sqrt(np.einsum("nii->ni", cy))
    lo = (nu - 9.0 * sd).min(axis=0)
    hi = (nu + 9.0 * sd).max(axis=0)
    smin = math.sqrt(min(np.linalg.eigvalsh(c).min() for c in cy))
    logdet = float(np.sum(np.log(np.diag(w))))
    return mu, w, lo, hi, 0.5 * smin, logdet


def _tensor_nodes(densities):
    """The nodes of the tensor rule's first grid (its cost before any refinement)."""
    _, _, lo, hi, h, _ = _tensor_box(densities)
    return float(np.prod((np.ceil((hi - lo) / h) // 2 * 2 + 1).astype(float)))


def _tensor(densities, kind, evaluate, rtol, atol, max_nodes, masses=(None, None), tables=None):
    dim = densities[0].dim
    mu, w, lo, hi, h, logdet = _tensor_box(densities)
    if tables is not None:  # two normals: compiled, in their principal frame or the pooled one (fewer nodes)
        frame = _principal_frame(densities, kind)
        if kind not in (K.PEARSON, K.NEYMAN) and np.prod((frame[3] - frame[2]) / frame[4]) > np.prod((hi - lo) / h):
            frame = mu, w, lo, hi, np.full(dim, h), logdet
        mu, w, lo, hi, steps, logdet = frame
        want = tuple(math.nan if m is None else m for m in masses)
        value, err, converged, neval, status = _engine.tensor(kind, tables[0], tables[1], mu, w, lo, hi, steps,
                                                              logdet, rtol, atol, float(max_nodes), *want)
        if status == _engine.UNDEFINED:
            _undefined(kind)
        if status in (3, 4):
            _tensor_budget(status == 3, max_nodes, dim, rtol, err)
        return Estimate(value, err if status != _engine.INFINITE else 0.0, neval, "quad", converged)
    neval, prev, err, last_diff = 0, None, math.inf, None
    while True:
        n = np.ceil((hi - lo) / h).astype(int) // 2 * 2 + 1  # odd: the coarse grid is nested
        if int(np.prod(n.astype(float))) > max_nodes:
            _tensor_budget(prev is None, max_nodes, dim, rtol, err,
                           not any(getattr(d, "_frame_only", False) for d in densities))
            return Estimate(prev, err, neval, "quad", False)
        centre = 0.5 * (lo + hi)
        axes = [centre[k] + h * (np.arange(n[k]) - (n[k] - 1) / 2) for k in range(dim)]
        fine, coarse, floor, mass, cmass, sens = _tensor_sums(axes, mu, w, kind, evaluate, h, logdet)
        neval += int(np.prod(n))
        if not math.isfinite(fine):
            return Estimate(fine, 0.0, neval, "quad", True)
        diff = abs(fine - coarse)
        if kind == K.TV:
            # |p - q| has a kink where p = q, across which the rule converges like h² and unevenly (the kink
            # falls between the nodes differently at every level): the last difference can undershoot the
            # error, which is taken as the larger of twice it and half the one before (h² convergence
            # leaves about a third of a difference after it), and not before two are known
            diff, last_diff = (math.inf if last_diff is None else max(2.0 * diff, 0.5 * last_diff)), diff
        # the masses of p and q on the same grid: what the box or the step misses of them is charged like
        # the 1-D mass check (a unit of mass adds at most _engine.per_mass to the bounded integrands)
        lost = sum(abs(m - want) for m, want in zip(mass, masses) if want is not None)
        lost_bar = sum(abs(m - c) for m, c, want in zip(mass, cmass, masses) if want is not None)
        missing = (_engine.charge(kind, lost, sens, abs(fine), sum(mass)) if lost > lost_bar + 8.0 * _EPS
                   else 0.0)
        rule = tuple(abs(m - c) for m, c in zip(mass, cmass))  # the nested estimate of the masses' error
        want = tuple(math.nan if m is None else m for m in masses)
        err = diff + floor + max(missing, _engine.weight_charge(kind, *mass, *rule, *want, fine, abs(fine))) \
            + _ROUNDOFF * abs(fine) + 2.0 * _EPS * abs(fine)
        if diff <= max(atol, rtol * abs(fine), floor) and missing <= max(atol, rtol * abs(fine)):
            return Estimate(fine, err, neval, "quad", True)
        prev = fine
        h *= 0.5


# ------------------------------------------------------------------- sparse grids (three and more dimensions)
_SPARSE_LEVELS = 12  # levels per axis: the step halves from level 1 to level 11 (2^-10 of the first)


def _sparse_frame(densities):
    """``x = mu + W y``: the average covariance of the densities' Gaussian parts whitened, then rotated so
    that the spread of the parts' means lies along the first axes (the axes beyond its rank see every
    part as the same unit normal, which one node integrates exactly). Per axis: the box ``[lo, hi]``
    reaching 9 standard deviations past every part (and 0), and the first step, the narrowest part's
    deviation; with ``log |det W|`` and whether all parts share one covariance."""
    means, covs = _gaussian_arrays(densities)
    mu = means.mean(axis=0)
    chol = linalg.cholesky(covs.mean(axis=0), lower=True)
    chol_inv = np.linalg.inv(chol)
    nu = (means - mu) @ chol_inv.T
    _, rot = np.linalg.eigh(nu.T @ nu)
    rot = rot[:, ::-1]  # the widest spread first
    w, w_inv, nu = chol @ rot, rot.T @ chol_inv, nu @ rot
    sd = np.sqrt(np.einsum("nii->ni", np.einsum("ij,njk,lk->nil", w_inv, covs, w_inv)))
    lo = np.minimum((nu - 9.0 * sd).min(axis=0), 0.0)
    hi = np.maximum((nu + 9.0 * sd).max(axis=0), 0.0)
    shared = bool(np.all(covs == covs[0]))
    return mu, w, lo, hi, sd.min(axis=0), float(np.sum(np.log(np.abs(np.diag(chol))))), shared


class _SparseAxis:
    """The nested rules of one axis for the standard normal weight, built as refinement asks for them:
    level 0 is the node 0 (exact for the weight itself), level ``l >= 1`` the nodes ``j step 2^(1-l)``
    in ``[lo, hi]`` with trapezoid weights ``h phi(y)`` scaled to sum 1 (so each is exact for the weight
    too, and converges geometrically for smooth integrands). Nodes are integers in units of the finest
    step, so the levels nest exactly. The weights are kept divided by ``phi(y)`` (a constant per level,
    ``sqrt(2 pi) / sum phi``-like), so the integrand is summed as ``f |det W|`` and never divided by a
    ``phi`` that underflows far out (a pair 60 deviations apart once overflowed to KL = inf)."""

    def __init__(self, lo, hi, step):
        self.lo, self.hi, self.unit = lo, hi, step * 2.0 ** (2 - _SPARSE_LEVELS)
        self.ids, self.weights, self.new = [], [], []  # per level: all nodes, their weights, nodes new there
        self.new_y = []  # per level: the coordinates of the nodes new there
        self.diffs = {}  # (level, sub-level) -> the difference weights (see diff)
        self.level(0)

    def level(self, lev):
        """``(y of the nodes new at level lev, their ids)``, building the levels up to ``lev``."""
        while len(self.ids) <= lev:
            k = len(self.ids)
            if k == 0:  # (the weight 1 at 0, over phi(0))
                ids, weights = np.zeros(1, np.int64), np.full(1, math.sqrt(2.0 * math.pi))
            else:
                stride = 2 ** (_SPARSE_LEVELS - 1 - k)
                ids = np.arange(math.ceil(self.lo / (self.unit * stride)),
                                math.floor(self.hi / (self.unit * stride)) + 1, dtype=np.int64) * stride
                y = ids * self.unit
                # h phi(y_j) / sum_i h phi(y_i), over phi(y_j)
                weights = np.full(ids.size, math.sqrt(2.0 * math.pi) / math.fsum(np.exp(-0.5 * y * y)))
            new = ids if k == 0 else ids[~np.isin(ids, self.ids[-1])]
            self.ids.append(ids)
            self.weights.append(weights)
            self.new.append(new)
            self.new_y.append(new * self.unit)
        return self.new_y[lev], self.new[lev]

    def diff(self, lev, sub):
        """The weights of ``Q_lev - Q_(lev - 1)`` at the nodes new at level ``sub <= lev``."""
        out = self.diffs.get((lev, sub))
        if out is None:
            ids = self.new[sub]
            out = self.weights[lev][np.searchsorted(self.ids[lev], ids)]
            if lev > 0:
                prev = self.ids[lev - 1]
                at = np.searchsorted(prev, ids)
                hit = (at < prev.size) & (prev[np.minimum(at, prev.size - 1)] == ids)
                out = out - np.where(hit, self.weights[lev - 1][np.minimum(at, prev.size - 1)], 0.0)
            self.diffs[(lev, sub)] = out
        return out


def _sparse(densities, kind, evaluate, rtol, atol, max_nodes, masses=(None, None), frame=None):
    """Dimension-adaptive sparse-grid quadrature (Smolyak's combination of the nested one-dimensional rules
    of ``_SparseAxis``, refined where the differences are largest, Gerstner and Griebel 2003) in the
    frame of ``_sparse_frame``. Each multi-index ``l`` adds ``Δ_l = ⊗ (Q_(l_k) - Q_(l_k - 1))`` of the
    integrand (and of the masses of p and q); the points are evaluated once, in blocks of those new at
    ``l``. The estimate of what is left is the sum of ``|Δ|`` over the indices not yet refined; mass the
    rule misses (a mode it does not resolve) is charged as in the tensor rule."""
    mu, w, lo, hi, step, logdet, shared = _sparse_frame(densities) if frame is None else frame
    # what is left is taken as a multiple of the differences not yet refined: where all parts share one
    # covariance the integrand is a function of the first axes times the weight on the others, and the
    # differences decay geometrically (3); with several covariances (only with rule="sparse") refinement
    # converges more slowly across axes, where 120 results (KL and H² of 30 random normal pairs at rtol 1e-3
    # and 1e-6) against closed forms saw up to
    # 8.4 times one sum (30; benchmarks/bench_sparse.py)
    safety = 3.0 if shared else 30.0
    dim = len(lo)
    axes_ = [_SparseAxis(lo[k], hi[k], step[k]) for k in range(dim)]
    blocks = {}  # index -> (values, |noise|, mass of p, mass of q) over the product of its new nodes
    neval, sens = 0, 0.0

    def evaluate_blocks(indices):
        """Evaluate the new nodes of the blocks ``indices`` in one call (each block in the C order of its
        shape); returns the integrand's values."""
        nonlocal neval, sens
        ys = []
        for index in indices:
            grids = np.meshgrid(*[axes_[k].level(index[k])[0] for k in range(dim)], indexing="ij")
            ys.append(np.stack([g.ravel() for g in grids], axis=-1))
        y = np.concatenate(ys)
        lj = np.full(y.shape[0], logdet)  # log |det W| (the rules' weights are kept over phi)
        with np.errstate(all="ignore"):
            lp, lq, a, b, extra, elp, elq = _unpack(evaluate(Nodes(mu + y @ w.T)))
        out, noise = np.empty(y.shape[0]), np.empty(y.shape[0])
        K.terms(kind, lp, lq, a, b, lj, elp, elq, out, noise)
        if extra is not None:
            noise += _weighted_noise(extra, lp, lq, lj)
        if np.isnan(out).any():
            _undefined(kind)
        with np.errstate(under="ignore", over="ignore"):
            mp, mq = np.exp(lp + lj), np.exp(lq + lj)
        if kind not in _PER_MASS:
            sens = max(sens, _sensitivity(kind, lp, lq, a, b))
        neval += y.shape[0]
        vals = np.stack([out, mp, mq])
        cut = np.cumsum([0] + [len(v) for v in ys])
        for index, i, j in zip(indices, cut[:-1], cut[1:]):
            blocks[index] = (vals[:, i:j], noise[i:j])
        return out

    def delta(index):
        """(Δ of the integral, Δ with |weights| of the noise, Δ of p's mass, Δ of q's mass): per block
        below ``index``, its values against the outer product of the axes' difference weights (axes at
        level 0 carry one weight at the node 0, a constant factor)."""
        total = np.zeros(4)
        live = [k for k in range(dim) if index[k] > 0]
        rest = math.sqrt(2.0 * math.pi) ** (dim - len(live))  # (an axis at level 0: the node 0, weight 1 / phi(0))
        for sub in np.ndindex(*[i + 1 for i in index]):
            weights = np.full(1, rest)
            for k in live:
                weights = np.multiply.outer(weights, axes_[k].diff(index[k], sub[k])).ravel()
            vals, noise = blocks[sub]
            v, m_p, m_q = vals @ weights
            total += (v, noise @ np.abs(weights), m_p, m_q)
        return total

    zero = (0,) * dim
    out = evaluate_blocks([zero])
    if np.isinf(out).any():
        return Estimate(float(out[np.isinf(out)][0]), 0.0, neval, "quad", True)
    deltas = {zero: delta(zero)}
    sums = deltas[zero].copy()  # (the running sum of every Δ: the integral, noise and masses so far)
    active, old = {zero}, set()
    want = tuple(math.nan if m is None else m for m in masses)
    # a unit of mass the rule misses or adds moves the integral by at most per_mass (bounded integrands),
    # else by about the integral plus the masses: the weight of the masses' differences in the indicator
    per = _engine.per_mass(kind)

    def indicator(i):
        dv, _, dp, dq = deltas[i]
        return abs(dv) + (per if per > 0.0 else 1.0) * (abs(dp) + abs(dq))

    while True:
        value, floor = float(sums[0]), float(sums[1])
        mass = (float(sums[2]), float(sums[3]))
        # what is left: the differences of the indices not yet refined, and of those at an axis's last
        # level (which no further level can check)
        ends = [i for i in old if max(i) == _SPARSE_LEVELS - 1]
        left = safety * math.fsum(abs(deltas[i][0]) for i in (*active, *ends))
        rule = tuple(math.fsum(abs(deltas[i][r]) for i in (*active, *ends)) for r in (2, 3))
        lost = sum(abs(m - w_) for m, w_ in zip(mass, masses) if w_ is not None)
        lost_bar = sum(r for r, w_ in zip(rule, masses) if w_ is not None)
        missing = (_engine.charge(kind, lost, sens, abs(value), sum(mass)) if lost > lost_bar + 8.0 * _EPS
                   else 0.0)
        tol = max(atol, rtol * abs(value))
        if old and left <= max(tol, floor) and missing <= tol \
                and _engine.charge(kind, lost_bar, sens, abs(value), sum(mass)) <= max(tol, floor):
            converged = True
            break
        best = max(active, key=indicator)
        grown = []
        for k in range(dim):
            nxt = tuple(v + (j == k) for j, v in enumerate(best))
            if nxt[k] >= _SPARSE_LEVELS or nxt in deltas:
                continue
            if all(tuple(v - (j == m) for j, v in enumerate(nxt)) in old or m == k
                   for m in range(dim) if nxt[m] > 0):
                grown.append(nxt)
        cost = sum(math.prod(axes_[k].level(i[k])[0].size for k in range(dim)) for i in grown)
        if neval + cost > max_nodes or not active:
            converged = False
            break
        active.discard(best)
        old.add(best)
        if grown:
            out = evaluate_blocks(grown)
            if np.isinf(out).any():
                return Estimate(float(out[np.isinf(out)][0]), 0.0, neval, "quad", True)
        for nxt in grown:  # (in order: a block's differences may read the blocks grown before it)
            deltas[nxt] = delta(nxt)
            sums += deltas[nxt]
            active.add(nxt)
    err = left + floor + max(missing, _engine.weight_charge(kind, *mass, *rule, *want, value, abs(value))) \
        + _ROUNDOFF * abs(value) + 2.0 * _EPS * abs(value)
    if not converged:
        warnings.warn(
            f"sparse-grid quadrature in d={dim} stopped before rtol={rtol:g} (node budget max_nodes="
            f"{max_nodes:g} reached, or mass of the densities the rule does not resolve); estimated error "
            f"{err:.3g}", AccuracyWarning, stacklevel=_user_level())
    return Estimate(value, err, neval, "quad", converged)


def _principal_axes(p, q):
    """``(W, D, m)``: the map ``x = mean_p + W y`` that makes ``p = N(0, I)`` and ``q = N(m, diag(D))``
    (``W = L R`` with ``L`` p's Cholesky factor and ``R`` the eigenvectors of ``L⁻¹ Σ_q L⁻ᵀ``), ``D``
    ascending."""
    a = p._chol_inv @ q.cov @ p._chol_inv.T
    dq, r = np.linalg.eigh(0.5 * (a + a.T))
    return p._chol @ r, dq, r.T @ (p._chol_inv @ (q.mean - p.mean))


def _principal_frame(densities, kind=None):
    """The frame ``x = mu + W y`` in which ``p = N(0, I)`` and ``q = N(m, D)`` with ``D`` diagonal (the
    simultaneous diagonalisation of the two covariances), the box of 9 standard deviations of either
    along each axis, a starting half-spacing per axis (half the smaller of the two deviations) and
    ``log |det W|``: the grid follows each density's own scales, however anisotropic the pair is."""
    p, q = densities
    w, dq, m = _principal_axes(p, q)
    sd = np.sqrt(np.maximum(dq, 0.0))
    lo = np.minimum(-9.0, m - 9.0 * sd)
    hi = np.maximum(9.0, m + 9.0 * sd)
    steps = 0.5 * np.minimum(1.0, sd)
    if kind in (K.PEARSON, K.NEYMAN):
        # (p - q)²/q decays like p²/q, a normal of precision 2 - 1/D per axis (q²/p for Neyman: 2/D - 1),
        # wider than either density where q is the narrower: the box and the steps follow it too
        with np.errstate(divide="ignore", invalid="ignore"):
            prec = 2.0 - 1.0 / dq if kind == K.PEARSON else 2.0 / dq - 1.0
            centre = -m / (dq * prec) if kind == K.PEARSON else 2.0 * m / (dq * prec)
            width = 1.0 / np.sqrt(prec)
        ok = prec > 0.0  # (else the integral diverges, which the callers rule out first)
        lo = np.where(ok, np.minimum(lo, centre - 9.0 * width), lo)
        hi = np.where(ok, np.maximum(hi, centre + 9.0 * width), hi)
        steps = np.where(ok, np.minimum(steps, 0.5 * width), steps)
    return p.mean, w, lo, hi, steps, float(np.sum(np.log(np.diag(p._chol))))


def _tensor_budget(first, max_nodes, dim, rtol, err, sparse=True):
    """The tensor grid outgrew ``max_nodes``: refused on the coarsest grid, a warning on a finer one
    (``sparse``: whether the sparse rule may be suggested)."""
    other = "rule='sparse', method='mc' or 'qmc'" if sparse else "method='mc' or 'qmc'"
    if first:
        raise ValueError(
            f"tensor quadrature in d={dim} needs more than max_nodes={max_nodes:g} nodes even on its "
            f"coarsest grid; use {other} (or raise max_nodes)")
    warnings.warn(
        f"tensor quadrature needs more than max_nodes={max_nodes:g} nodes in d={dim} to reach "
        f"rtol={rtol:g}; estimated error {err:.3g} (use {other})",
        AccuracyWarning, stacklevel=_user_level())


def _tensor_sums(axes, mu, w, kind, evaluate, h, logdet, chunk=1 << 20):
    """Trapezoid sums on the full grid, on its every-other-node subgrid, the round-off scale, and the
    masses of p and q on the full grid and on the subgrid."""
    dim = len(axes)
    shape = [a.size for a in axes]
    rest = int(np.prod(shape[1:]))
    step = max(1, chunk // rest)
    lj = dim * math.log(h) + logdet
    fine = coarse = mass = sens = 0.0
    pq, cpq = np.zeros(2), np.zeros(2)
    even_rest = np.ones(shape[1:], bool)
    for k in range(1, dim):
        ev = (np.arange(shape[k]) % 2 == 0).reshape([-1 if j == k - 1 else 1 for j in range(dim - 1)])
        even_rest = even_rest & ev
    even_rest = even_rest.ravel()
    for start in range(0, shape[0], step):
        rows = np.arange(start, min(start + step, shape[0]))
        grids = np.meshgrid(axes[0][rows], *axes[1:], indexing="ij")
        y = np.stack([g.ravel() for g in grids], axis=-1)
        x = mu + y @ w.T
        with np.errstate(all="ignore"):
            lp, lq, a, b, extra, elp, elq = _unpack(evaluate(Nodes(x)))
        out, noise = np.empty(x.shape[0]), np.empty(x.shape[0])
        K.terms(kind, lp, lq, a, b, np.full(x.shape[0], lj), elp, elq, out, noise)
        if extra is not None:
            noise += _weighted_noise(extra, lp, lq, lj)
        inf = out[np.isinf(out)]
        if np.isnan(out).any() or not (np.all(inf > 0) or np.all(inf < 0)):
            _undefined(kind)
        if inf.size:
            return float(inf[0]), math.nan, math.inf, (math.nan, math.nan), (math.nan, math.nan), math.inf
        out = out.reshape(rows.size, rest)
        fine += math.fsum(out.sum(axis=1))
        mass += float(noise.sum())
        even_rows = rows % 2 == 0
        coarse += float(np.sum(out[even_rows][:, even_rest]))
        with np.errstate(under="ignore"):
            dens = np.exp(np.stack([lp, lq]) + lj).reshape(2, rows.size, rest)
        pq += dens.sum(axis=(1, 2))
        if kind not in _PER_MASS:
            sens = max(sens, _sensitivity(kind, lp, lq, a, b))
        cpq += dens[:, even_rows][:, :, even_rest].sum(axis=(1, 2))
    return fine, coarse * 2.0**dim, mass, tuple(pq), tuple(cpq * 2.0**dim), sens


# ----------------------------------------------------------------------------------- public entry
def crossings(densities, sign):
    """Points where ``sign(x)`` (a vectorised function, say ``log p - log q``) changes sign, to machine
    precision: found between the nodes of the initial panels, refined by 60 bisections. Used as
    breakpoints for integrands with kinks there (``|p - q|`` in TV, ``|F_p - F_q|`` in W1)."""
    geo = _Geometry(densities)
    nodes, _ = _panels_1d(geo, np.arange(geo.stype.size), np.zeros(geo.stype.size), np.ones(geo.stype.size))
    x = np.unique(nodes.x[np.isfinite(nodes.x)])
    with np.errstate(all="ignore"):
        s = np.sign(sign(x))
    # a node on the crossing itself reads 0: the bracket is between the nonzero neighbours around it
    keep = (s != 0) & ~np.isnan(s)
    x, s = x[keep], s[keep]
    i = np.flatnonzero(s[:-1] * s[1:] < 0)
    lo, hi, slo = x[i], x[i + 1], s[i]
    # bisection over the floats themselves (their order as integers: _engine.float_key)
    klo, khi = _engine.float_key(lo), _engine.float_key(hi)
    for _ in range(64):
        if np.all(khi - klo <= 1):  # (every bracket closed on adjacent floats)
            break
        kmid = _engine.key_mid(klo, khi)
        with np.errstate(all="ignore"):
            left = np.sign(sign(_engine.key_float(kmid))) == slo
        klo, khi = np.where(left, kmid, klo), np.where(left, khi, kmid)
    return 0.5 * (_engine.key_float(klo) + _engine.key_float(khi))


def _checked(evaluate):
    """``evaluate`` with its output checked: four or five float arrays, one value per node, no NaN or +inf
    in the log-densities."""
    def run(nodes):
        out = evaluate(nodes)
        if not isinstance(out, (tuple, list)) or len(out) not in (4, 5):
            raise TypeError("evaluate must return (lp, lq, a, b) or (lp, lq, a, b, noise)")
        n = len(nodes.x)
        arrays = [np.asarray(v, dtype=float) for v in out]
        if any(v.shape != (n,) for v in arrays):
            raise ValueError(f"evaluate must return arrays of one value per node ({n})")
        if np.isnan(arrays[0]).any() or np.isnan(arrays[1]).any():
            raise ValueError("evaluate returned a NaN log-density")
        if (arrays[0] == np.inf).any() or (arrays[1] == np.inf).any():
            raise ValueError("evaluate returned a log-density of +inf (a density is finite at every node)")
        return arrays
    return run


def integrate_pair(densities, kind, evaluate, *, rtol=1e-12, atol=0.0, max_panels=None,
                   max_rounds=80, max_nodes=3e7, breaks=()):
    """Integrate an integrand of two log-densities over the union of the supports of ``densities``.

    The engine behind the divergences and ``V(G, D)``. The integrand is formed node by node in log
    space from ``lp = log p`` and ``lq = log q`` (and, for ``LINEAR``, two auxiliary values ``a``,
    ``b``), never from ``p`` and ``q`` where they would underflow:

    ====  ==========  ===========================================================================
    kind  name        integrand
    ====  ==========  ===========================================================================
    0     KL          ``p log(p/q) - p + q`` (pointwise >= 0; integrates to ``KL(p || q)``)
    1     JSD         ``(p log(p/m) + q log(q/m)) / 2``, ``m = (p + q) / 2``
    2     TV          ``|p - q| / 2``
    3     HELLINGER   ``(sqrt(p) - sqrt(q))^2 / 2`` (the squared Hellinger distance)
    4     PEARSON     ``(p - q)^2 / q``
    5     NEYMAN      ``(p - q)^2 / p``
    6     LINEAR      ``p a + q b`` (``0 * anything = 0`` where a density vanishes)
    ====  ==========  ===========================================================================

    In one dimension the panels (breakpoints, support ends, landmarks, tail and singular-end maps)
    come from all of ``densities`` and are refined by the 21-point Gauss-Kronrod rule with QUADPACK's
    error estimate [1]_; in ``d >= 2`` a tensor trapezoid rule covers the Gaussian parts of the
    densities (see the module docstring). Unlike :func:`expectation`, the captured masses are not
    checked against 1 (``evaluate`` may integrate anything).

    Parameters
    ----------
    densities : tuple or list of Density
        Non-empty, all of one dimension ``d``. They shape the panels; the integrand comes from
        ``evaluate`` (usually their log-densities at the nodes).
    kind : int, in 0..6
        The integrand, from the table (the codes of ``gantheory._kernels``).
    evaluate : callable
        ``evaluate(nodes)`` with ``nodes`` a ``gantheory.quadrature.Nodes``: ``nodes.x`` the points
        (shape ``(n,)``, or ``(n, d)``), ``nodes.logpdf(density)`` a density's log-pdf there (exact
        near singular support ends, where ``density.logpdf(nodes.x)`` is not). It returns
        ``(lp, lq, a, b)`` or ``(lp, lq, a, b, noise)``: float arrays of ``n`` values; ``lp`` and ``lq``
        without NaN (``-inf`` where a density vanishes); ``a`` and ``b`` used by ``LINEAR`` only;
        ``noise`` the absolute round-off of the values ``a`` and ``b`` (weighted by the densities, it
        is added to the error estimate and stops refinement there).
    rtol : float, >= 0, default 1e-12
        Relative tolerance: the target error is ``max(atol, rtol * I)`` with ``I`` the integral of the
        integrand's absolute value (``d = 1``) or the result's absolute value (``d >= 2``).
    atol : float, >= 0, default 0.0
        Absolute tolerance; ``rtol`` and ``atol`` must not both be 0.
    max_panels : int, >= 1, optional
        Panel budget in one dimension (default ``max(20000, 4 * segments)``).
    max_rounds : int, >= 1, default 80
        Refinement rounds in one dimension; each calls ``evaluate`` once on all new nodes.
    max_nodes : float, > 0, default 3e7
        Node budget of the tensor grid in ``d >= 2``.
    breaks : array_like of float, optional
        One-dimensional, finite: extra panel edges where the integrand has kinks or jumps the
        densities do not know of (``d = 1`` only).

    Returns
    -------
    Estimate
        The integral, ``method="quad"``; ``error`` bounds the absolute error (the rule's estimate
        plus the propagated round-off of the log-densities and of ``noise``; meant to hold, not
        proven). ``converged=False``: the tolerance was not met (budget exhausted, round-off, a heavy
        tail beyond float64), with an :class:`AccuracyWarning`. An integrand infinite on positive
        mass gives ``±inf`` with error 0.

    Raises
    ------
    TypeError
        If ``densities`` is not a non-empty tuple or list of gantheory densities, ``evaluate`` is not
        callable or returns something other than 4 or 5 arrays, or an option has the wrong type.
    ValueError
        If the densities differ in dimension, ``kind`` is not in 0..6, ``evaluate`` returns arrays of
        the wrong length or a log-density that is NaN or +inf, an option is out of range (negative or
        both zero tolerances, budgets below 1), ``breaks`` is given for ``d >= 2``, a ``LINEAR`` integrand is
        ``+inf`` at some nodes and ``-inf`` at others, or the coarsest tensor grid exceeds ``max_nodes``.

    See Also
    --------
    expectation : ``E_p[g(X)]`` for a function ``g`` of the points.
    gantheory.kl_divergence : KL through this engine, with its special cases.
    gantheory.f_divergence : Any f-divergence.

    References
    ----------
    .. [1] R. Piessens, E. de Doncker-Kapenga, C. W. Überhuber and D. K. Kahaner, "QUADPACK: A
       Subroutine Package for Automatic Integration", Springer, 1983.

    Examples
    --------
    >>> import math
    >>> import numpy as np
    >>> import gantheory as gt
    >>> from gantheory.quadrature import integrate_pair
    >>> p, q = gt.Normal(0.0, 1.0), gt.Normal(1.0, 1.0)
    >>> def log_pair(nodes):
    ...     zero = np.zeros(len(nodes.x))
    ...     return nodes.logpdf(p), nodes.logpdf(q), zero, zero
    >>> kl = integrate_pair((p, q), 0, log_pair)  # KL(N(0, 1) || N(1, 1)) = 1/2
    >>> bool(abs(kl - 0.5) <= kl.error < 1e-12), kl.converged
    (True, True)
    >>> chi2 = integrate_pair((p, q), 4, log_pair)  # Pearson: e - 1
    >>> bool(abs(chi2 - (math.e - 1.0)) < 1e-13)
    True

    ``LINEAR`` with ``a = x^2``, ``b = -x^2``: ``E_p[X^2] - E_q[X^2] = 1 - 2``:

    >>> def moments(nodes):
    ...     return nodes.logpdf(p), nodes.logpdf(q), nodes.x**2, -nodes.x**2
    >>> round(float(integrate_pair((p, q), 6, moments)), 12)
    -1.0
    """
    from .densities import Density

    if not (isinstance(densities, (tuple, list)) and densities and all(isinstance(d, Density) for d in densities)):
        raise TypeError("densities must be a non-empty tuple of gantheory densities")
    if len({d.dim for d in densities}) != 1:
        raise ValueError("densities must share one dimension")
    if isinstance(kind, bool) or not isinstance(kind, (int, np.integer)) or not 0 <= kind <= K.LINEAR:
        raise ValueError(f"kind must be one of the kernel codes 0..{K.LINEAR} of gantheory._kernels, got {kind!r}")
    if not callable(evaluate):
        raise TypeError("evaluate must be a callable taking Nodes")
    return _integrate_pair(tuple(densities), int(kind), _checked(evaluate), rtol=rtol, atol=atol,
                           max_panels=max_panels, max_rounds=max_rounds, max_nodes=max_nodes, breaks=breaks,
                           masses=(None, None))


def _integrate_pair(densities, kind, evaluate, *, rtol=1e-12, atol=0.0, max_panels=None, max_rounds=80,
                    max_nodes=3e7, breaks=(), masses=(1.0, 1.0), tables=None, rule=None, window=None):
    """:func:`integrate_pair` for gantheory's own integrands: the options (which come from users) are
    checked, the densities, kind and callback (which do not) are trusted. ``tables``: the pair as
    component tables (``gantheory._engine.table``), for the compiled path of a divergence, whose
    integrand is fixed by ``kind`` alone. ``window``: for an integrand that reads functions of x at the
    rounded nodes, its parts ``(a, b)`` at plain float nodes (see :func:`_end_slivers`)."""
    rtol = scalar(rtol, "rtol", lower=0.0)
    atol = scalar(atol, "atol", lower=0.0)
    if rtol == 0.0 and atol == 0.0:
        raise ValueError("rtol and atol must not both be zero (no tolerance could be met)")
    # (budgets past 2**62 are unbounded in effect, and the compiled engine counts in int64)
    if type(max_rounds) is not int or max_rounds != 80:  # (the defaults need no check)
        max_rounds = min(positive_int(max_rounds, "max_rounds"), 2**62)
    if max_panels is not None:
        max_panels = min(positive_int(max_panels, "max_panels"), 2**62)
    if type(max_nodes) is not float or max_nodes != 3e7:
        max_nodes = scalar(max_nodes, "max_nodes", positive=True)
    if not (isinstance(breaks, tuple) and not breaks):
        breaks = finite_array(breaks, "breaks", ndim=1)
        if densities[0].dim != 1 and breaks.size:
            raise ValueError(f"breaks are points of a one-dimensional integral; these densities have "
                             f"dim={densities[0].dim}")
    if tables is not None and densities[0].dim == 1:
        return _compiled_1d(kind, tables, breaks, rtol, atol, max_panels, max_rounds, masses)
    if densities[0].dim == 1:
        return _adaptive_1d(densities, kind, evaluate, rtol, atol, max_panels, max_rounds, breaks, masses, window)
    if rule is not None and rule not in ("tensor", "sparse"):
        raise ValueError(f"rule must be 'tensor' or 'sparse' (the rule in two or more dimensions), got {rule!r}")
    dim = densities[0].dim
    if rule == "sparse" and any(getattr(d, "_frame_only", False) for d in densities):
        raise ValueError("rule='sparse' needs densities that its Gaussian parts describe; "
                         f"{next(type(d).__name__ for d in densities if getattr(d, '_frame_only', False))} is "
                         "integrated by the tensor rule (rule='tensor') or by method='qmc'")
    if kind == K.TV and rule == "sparse":
        raise ValueError("rule='sparse' needs a smooth integrand; TV's |p - q| has a kink where p = q (use the "
                         "tensor rule, whose nested estimate follows its algebraic convergence, or method='mc')")
    smooth = kind != K.TV  # (the sparse rule's estimate assumes geometric convergence)
    frame = _sparse_frame(densities) if rule == "sparse" or (rule is None and dim >= 3 and smooth) else None
    # by default from d = 3 where the parts share a covariance, and where the tensor rule's first two
    # grids would not fit in max_nodes (several covariances, from d = 4 or 5 with the default budget)
    if frame is not None and (rule == "sparse" or frame[-1] or _tensor_nodes(densities) * (1 + 2**dim) > max_nodes):
        return _sparse(densities, kind, evaluate, rtol, atol, max_nodes, masses, frame)
    return _tensor(densities, kind, evaluate, rtol, atol, max_nodes, masses, tables)


_NO_BREAKS = np.empty(0)


def _compiled_1d(kind, tables, breaks, rtol, atol, max_panels, max_rounds, masses, marks=None):
    """One compiled call (``gantheory._engine.adaptive``) and the common conclusion (``marks``: the
    landmark sets, ``gantheory._engine.FAST`` or ``FAST_SQRT`` unless given)."""
    breaks = _NO_BREAKS if isinstance(breaks, tuple) else breaks
    want = (math.nan if masses[0] is None else masses[0], math.nan if masses[1] is None else masses[1])
    if marks is None:
        marks = _engine.FAST_SQRT if kind == K.HELLINGER else _engine.FAST
    total, etot, converged, roundoff, lost, neval, status = _engine.adaptive(
        kind, tables[0], tables[1], breaks, marks, rtol, atol, 0 if max_panels is None else max_panels, max_rounds,
        _XK, _WK, _WG, want[0], want[1])
    if status == _engine.UNDEFINED:
        _undefined(kind)
    if status == _engine.INFINITE:
        return Estimate(total, 0.0, neval, "quad", True)
    return _finish(total, etot, converged, roundoff, lost, neval, rtol)


def _noise_of(noise, nodes):
    """The absolute round-off ``noise(nodes)`` of an integrand's values, or None where there is none."""
    out = None if noise is None else noise(nodes)
    return None if out is None else np.asarray(out, dtype=float)


def float_spread(f, x, at_x):
    """How far the arrays ``f(x)`` (a tuple) move across one float spacing at each point of ``x`` (1-D
    nodes): a node is a rounded float, so a user's function of it is off by up to this there. The smaller
    of the changes to the two neighbouring floats is taken, so a jump that falls exactly on a node stays
    a jump for the rule to resolve, not noise; a change that is not finite on one side is ignored.
    ``at_x`` is ``f(x)``, already computed."""
    side = []
    for to in (-np.inf, np.inf):
        with np.errstate(all="ignore"):
            d = np.zeros(len(x))
            for v1, v0 in zip(f(np.nextafter(x, to)), at_x):
                d = np.maximum(d, np.abs(np.asarray(v1, dtype=float) - v0))
        side.append(np.where(np.isfinite(d), d, np.inf))
    out = np.minimum(*side)
    return np.where(np.isfinite(out), out, 0.0)


def per_nodes(fn):
    """``fn(nodes)`` computed once per set of nodes: the integrands of several integrals over the same
    nodes (the components of a gradient, a value and its round-off) share one evaluation."""
    last = [None, None]

    def cached(nodes):
        if last[0] is not nodes:
            last[:] = [nodes, fn(nodes)]
        return last[1]

    return cached


def expectation(p, g, *, rtol=1e-12, atol=0.0, **options):
    """Compute ``E_p[g(X)] = ∫ p(x) g(x) dx`` by quadrature, with an error estimate.

    In one dimension adaptive Gauss-Kronrod on ``p``'s panels, in ``d >= 2`` a tensor trapezoid
    rule (see the module docstring). The rule assumes ``g`` smooth between ``p``'s own panel edges: a
    kink or jump of ``g`` elsewhere belongs in ``breaks``, or the error is only the rule's estimate
    of it. The change of ``g`` across one float spacing at each node (the rounding of the node
    itself) is measured and added to the round-off, and the mass of ``p`` captured by the panels is
    checked against 1.

    Parameters
    ----------
    p : Density or frozen scipy.stats continuous distribution
        The density (scipy distributions are wrapped by :func:`gantheory.as_density`).
    g : callable
        ``g(x)`` for a float64 array ``x`` of ``n`` points (shape ``(n,)``, or ``(n, d)``), returning
        ``n`` real numbers, no NaN. Infinite values are allowed (on positive mass they make the result
        infinite), but not ``+inf`` at some points and ``-inf`` at others.
    rtol : float, >= 0, default 1e-12
        Relative tolerance, against ``∫ p |g|`` in one dimension and ``|E_p[g]|`` in ``d >= 2``.
    atol : float, >= 0, default 0.0
        Absolute tolerance; ``rtol`` and ``atol`` must not both be 0.
    **options
        ``breaks`` (one-dimensional array_like of finite floats, ``d = 1`` only: extra panel edges
        where ``g`` has kinks or jumps), ``max_panels`` (int >= 1, default ``max(20000, 4 *
        segments)``), ``max_rounds`` (int >= 1, default 80), ``max_nodes`` (float > 0, default
        ``3e7``, the tensor grid's budget in ``d >= 2``), ``rule`` (``"tensor"`` or ``"sparse"``, d >= 2; default:
        sparse from d = 3 where the Gaussian parts share a covariance or the tensor grid would not fit in
        ``max_nodes``, else tensor); see :func:`integrate_pair`.

    Returns
    -------
    Estimate
        ``method="quad"``; ``error`` bounds the absolute error (rule estimate, propagated round-off,
        the rounding of the nodes, mass the panels missed; meant to hold, not proven) where ``g`` is
        smooth between the panel edges: a kink or jump of ``g`` elsewhere must be passed as
        ``breaks``, or the bar is only the rule's estimate of it.
        ``converged=False``: the tolerance was not met, with an :class:`AccuracyWarning`; ``error`` is
        then what was achieved, ``inf`` where nothing bounds it (``E|X|`` under a Cauchy, which
        diverges in its tails beyond float64). An integral infinite on positive mass gives ``±inf``
        with error 0.

    Raises
    ------
    TypeError
        If ``p`` is not a density, ``g`` is not callable or returns non-real values, an option is
        unknown, or an option has the wrong type.
    ValueError
        If ``g`` returns a number of values other than ``n`` or NaN, is ``+inf`` and ``-inf`` on
        positive mass (an undefined integral), an option is out of range (negative or both zero
        tolerances, budgets below 1, ``breaks`` not finite or given for ``d >= 2``), or the coarsest
        tensor grid exceeds ``max_nodes``.

    See Also
    --------
    integrate_pair : Integrands of two log-densities.
    gantheory.estimators.monte_carlo : Sampling estimates of the divergences.
    gantheory.value_function : ``V(G, D)``, an expectation under two densities.

    Examples
    --------
    >>> import math
    >>> import numpy as np
    >>> import gantheory as gt
    >>> from gantheory.quadrature import expectation
    >>> e = expectation(gt.Normal(), np.cos)  # E cos X = exp(-1/2)
    >>> bool(abs(e - math.exp(-0.5)) <= e.error < 1e-12), e.converged
    (True, True)

    A jump of ``g`` that ``p`` does not know of goes into ``breaks``: ``P(X > 0.3)``, ``X ~ N(0, 1)``:

    >>> e = expectation(gt.Normal(), lambda x: (x > 0.3).astype(float), breaks=[0.3])
    >>> bool(abs(e - 0.5 * math.erfc(0.3 / math.sqrt(2.0))) < 1e-15)
    True

    In two dimensions ``x`` has shape ``(n, 2)``: the covariance of a bivariate normal,

    >>> mvn = gt.MultivariateNormal([0.0, 0.0], [[1.0, 0.5], [0.5, 2.0]])
    >>> e = expectation(mvn, lambda x: x[:, 0] * x[:, 1])
    >>> bool(abs(e - 0.5) < 1e-12)
    True
    """
    check_options("expectation", options, _KW_TOL)
    from .densities import as_density

    p = as_density(p, "p")
    if not callable(g):
        raise TypeError(f"g must be a callable mapping points to values, got {type(g).__name__}")

    @per_nodes  # (the integrand and its round-off read the same values)
    def values(nodes):
        v = np.asarray(g(nodes.x))
        if v.dtype.kind not in "biuf":
            raise TypeError(f"g must return real numbers, got dtype {v.dtype}")
        if v.shape != (len(nodes.x),):
            raise ValueError(f"g must return one value per point, got shape {v.shape} for {len(nodes.x)} points")
        bad = np.isnan(v)
        if bad.any():
            raise ValueError(f"g returned NaN at x = {nodes.x[bad][0]!r}")
        return v

    options = dict(options, noise=lambda nodes: float_spread(lambda x: (np.asarray(g(x), dtype=float),),
                                                           nodes.x, (values(nodes),)))
    try:
        return expect_nodes(p, values, reads_x=True, rtol=rtol, atol=atol, **options)
    except ValueError as exc:
        if "undefined" in str(exc):  # +inf and -inf: name the culprit
            raise ValueError(f"g: {exc}") from None
        raise


def expect_nodes(p, g, *, hints=(), noise=None, reads_x=False, rtol=1e-12, atol=0.0, **options):
    """``E_p[g]`` for ``g`` taking the quadrature :class:`Nodes` (so it can use anchored offsets).

    ``hints``: more densities whose breakpoints and landmarks shape the panels (where ``g`` has
    kinks or jumps that ``p`` does not know of). ``noise(nodes)``: the absolute round-off of ``g``'s
    values, when ``g`` is computed with more than a few ulps of error (so refinement stops there).
    ``reads_x``: ``g`` reads the rounded ``nodes.x`` (not the anchored offsets), so next to a singular
    point of ``p`` it is charged for what that rounding can cost (:func:`_end_slivers`).
    """
    def evaluate(nodes):
        lp = nodes.logpdf(p)
        vals = np.asarray(g(nodes), dtype=float)
        # 0 * g = 0 where p vanishes, whatever g is there
        vals = np.where(np.isneginf(lp), 0.0, vals)
        if np.isnan(vals).any():
            bad = nodes.x[np.isnan(vals)][0]
            raise ValueError(f"the integrand returned NaN at x = {bad!r}")
        z = np.zeros_like(lp)
        return (lp, np.full_like(lp, -np.inf), vals, z, _noise_of(noise, nodes),
                nodes.logpdf_err(p, lp), z)

    window = (lambda nodes: (g(nodes), None)) if reads_x else None
    return _integrate_pair((p, *hints), K.LINEAR, evaluate, rtol=rtol, atol=atol, masses=(1.0, None), window=window,
                           **options)
