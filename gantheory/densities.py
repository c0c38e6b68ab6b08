"""Densities: analytic families, mixtures, multivariate normals, grid densities, scipy adapters.

Every density offers ``pdf``, ``logpdf`` (computed in log space, exact in the far tails), ``sample``,
``dim`` and ``support``; one-dimensional ones add ``cdf``, ``sf`` and ``score`` (``d/dx log p``).
Behind the public methods each family tells the quadrature where it is not smooth (breakpoints and
singular support ends), where its mass sits (landmarks and a scale) and whether its tails are heavy.

Points are given as arrays: for ``dim == 1`` every entry is a point; for ``dim >= 2`` the last axis
has length ``dim``. Integer and float32 input is computed in float64.
"""

import math
from typing import NamedTuple

import numpy as np
from scipy import special

from ._checks import as_generator, finite_array, positive_int, real_array, scalar

__all__ = [
    "Beta",
    "Cauchy",
    "Density",
    "GridDensity",
    "Laplace",
    "Mixture",
    "MultivariateNormal",
    "Normal",
    "ScipyDensity",
    "StudentT",
    "Tail",
    "Uniform",
    "as_density",
]

_LOG_2PI = math.log(2.0 * math.pi)
_EPS = float(np.finfo(float).eps)
# Standardised points around which unimodal families keep their mass: panel edges for quadrature.
# They reach 10 scales out, where a normal's remaining mass (1e-23) is below any tolerance, so no
# light tail can hide between a panel edge and the first Gauss-Kronrod node of a long neighbour.
_LANDMARK_Z = np.array([-10.0, -6.0, -2.5, -1.0, 0.0, 1.0, 2.5, 6.0, 10.0])
# Tail quantiles: beyond them a light-tailed family keeps less than 1e-30 of its mass, so a long panel
# that starts there misses nothing. (Heavy tails get geometric panel edges from their own scale.)
_NORMAL_Z = np.concatenate([_LANDMARK_Z, [-12.0, 12.0]])
_LAPLACE_Z = np.concatenate([_LANDMARK_Z, [-72.0, -40.0, -20.0, 20.0, 40.0, 72.0]])

class Tail(NamedTuple):
    """How ``log p(x)`` falls on one side as ``|x| -> inf``: ``compact`` (the support ends there),
    ``exppow`` (``log p ~ -c |x|^k``: a normal has k = 2, a Laplace k = 1) or ``power``
    (``log p ~ -(k + 1) log |x|``: moments of order below ``k`` exist). They decide when KL and χ²
    are infinite because of the tails."""

    kind: str
    k: float = 0.0
    c: float = 0.0

    def heaviness(self):
        """Sort key: larger is heavier."""
        if self.kind == "compact":
            return (0, 0.0, 0.0)
        if self.kind == "exppow":
            return (1, -self.k, -self.c)
        return (2, -self.k, 0.0)


COMPACT = Tail("compact")


class Hints(NamedTuple):
    """A one-dimensional density as the quadrature sees it."""

    #: ``(low, high)``, possibly infinite
    support: tuple
    #: sorted finite panel edges: breakpoints, landmarks (where the mass sits) and finite support ends
    edges: np.ndarray
    #: points where the density is singular (an end of Beta(0.5, 0.5), say)
    singular: tuple
    #: the scale of the bulk (panel widths and tail maps are in its units)
    scale: float
    #: whether a tail decays like a power (heavy-tail map) rather than faster
    heavy: bool


class Density:
    """Base class of every gantheory density.

    A density is built once from its parameters and never changes. The public methods below check
    their input and are shared by every family: `logpdf` (the primary quantity, computed in log space
    and exact far in the tails where `pdf` underflows), `pdf`, `sample`, `support` and `dim`; the
    one-dimensional densities add `cdf`, `sf` and `score`.

    Points are arrays: for ``dim == 1`` every entry is a point (any shape); for ``dim >= 2`` the last
    axis has length ``dim``. Integer and float32 input is computed in float64.

    Subclasses implement ``_logpdf`` (no validation, float64 input) and ``_sample``; one-dimensional
    ones also ``_cdf``, ``_sf`` and ``_score``, and override the private quadrature hints (breakpoints,
    landmarks, scale, singular ends, tails). The base class itself takes no parameters and has no
    density of its own.

    Attributes
    ----------
    dim : int, >= 1
        Dimension of a point: 1 for the univariate families, ``len(mean)`` for a
        `MultivariateNormal`, the components' common dimension for a `Mixture`.

    See Also
    --------
    as_density : Accept a gantheory density or a frozen ``scipy.stats`` distribution.
    Normal, Uniform, Laplace, Cauchy, StudentT, Beta : The analytic one-dimensional families.
    Mixture, MultivariateNormal, GridDensity, ScipyDensity : Mixtures, d-dimensional normals,
        tabulated densities, scipy adapters.
    gantheory.Pushforward : The density of ``G(z)`` for a transform ``G`` of a base density.

    Examples
    --------
    >>> import gantheory as gt
    >>> p = gt.Mixture([gt.Normal(-1, 0.5), gt.Laplace(2, 1)], [0.25, 0.75])
    >>> isinstance(p, gt.Density), p.dim, p.support
    (True, 1, (-inf, inf))
    >>> gt.MultivariateNormal([0, 0], [[1, 0], [0, 1]]).dim
    2
    """

    dim = 1
    #: True when the tails decay slower than exponentially (quadrature maps them logarithmically).
    _heavy = False

    # ------------------------------------------------------------------ public methods
    def logpdf(self, x):
        """Return the log-density at the points ``x``, computed in log space.

        It stays exact far in the tails, where `pdf` underflows to 0, and at singular ends, where the
        density overflows.

        Parameters
        ----------
        x : array_like of float
            Points; no NaN (``-inf`` and ``inf`` are allowed). For ``dim == 1`` every entry is a point;
            for ``dim >= 2`` the last axis has length ``dim``.

        Returns
        -------
        numpy.float64 or numpy.ndarray
            ``log p(x)``: ``-inf`` outside the support, ``inf`` where the density is unbounded (the ends
            of ``Beta(0.5, 0.5)``). Shape ``x.shape`` for ``dim == 1``, ``x.shape[:-1]`` otherwise; a
            scalar for a single point.

        Raises
        ------
        TypeError
            If ``x`` is not real numbers (a string, None, complex or boolean values, a ragged list).
        ValueError
            If ``x`` contains NaN, or (``dim >= 2``) its last axis does not have length ``dim``.

        See Also
        --------
        Density.pdf : ``exp(logpdf(x))``.
        Density.score : The derivative of ``logpdf`` (one-dimensional densities).

        Examples
        --------
        >>> import gantheory as gt
        >>> p = gt.Normal(0, 1)
        >>> p.logpdf([0.0, 40.0]).round(8).tolist()
        [-0.91893853, -800.91893853]
        >>> float(p.pdf(40.0))
        0.0
        >>> gt.MultivariateNormal([0, 0], [[1, 0], [0, 1]]).logpdf([[0, 0], [1, 1]]).round(8).tolist()
        [-1.83787707, -2.83787707]
        """
        x = self._points(x)
        with np.errstate(over="ignore", under="ignore", divide="ignore"):  # ±inf are the answers there
            return self._logpdf(x)[()]

    def pdf(self, x):
        """Return the density at the points ``x``: ``exp(logpdf(x))``.

        Far in the tails it underflows to 0 (and at a singular end it is ``inf``); use `logpdf` there.

        Parameters
        ----------
        x : array_like of float
            Points; no NaN (``-inf`` and ``inf`` are allowed). For ``dim == 1`` every entry is a point;
            for ``dim >= 2`` the last axis has length ``dim``.

        Returns
        -------
        numpy.float64 or numpy.ndarray
            ``p(x) >= 0``, 0 outside the support. Shape ``x.shape`` for ``dim == 1``, ``x.shape[:-1]``
            otherwise; a scalar for a single point.

        Raises
        ------
        TypeError
            If ``x`` is not real numbers (a string, None, complex or boolean values, a ragged list).
        ValueError
            If ``x`` contains NaN, or (``dim >= 2``) its last axis does not have length ``dim``.

        See Also
        --------
        Density.logpdf : The log-density, exact where ``pdf`` underflows.

        Examples
        --------
        >>> import math
        >>> import gantheory as gt
        >>> bool(abs(gt.Normal(0, 1).pdf(0.0) - 1 / math.sqrt(2 * math.pi)) < 1e-16)
        True
        >>> gt.Uniform(2, 6).pdf([1.0, 2.0, 4.0, 7.0]).tolist()
        [0.0, 0.25, 0.25, 0.0]
        """
        return np.exp(self.logpdf(x))

    def sample(self, n, rng=None):
        """Draw ``n`` independent points from the density.

        Parameters
        ----------
        n : int, in [0, 1e8]
            Number of draws (at most ``1e8`` at once: 0.8 GB per coordinate).
        rng : None, int, numpy.random.SeedSequence or numpy.random.Generator, optional
            Source of randomness. A Generator is used (and advanced) as it is; a non-negative integer
            seed, a SeedSequence or None (fresh entropy from the operating system) seeds a new
            ``numpy.random.default_rng``. Numpy's global random state is never used.

        Returns
        -------
        numpy.ndarray of float64
            The draws: shape ``(n,)`` for ``dim == 1``, ``(n, dim)`` otherwise.

        Raises
        ------
        TypeError
            If ``n`` is not an integer (floats and booleans are refused), or ``rng`` is none of the
            types above.
        ValueError
            If ``n < 0`` or ``n > 1e8``, or the seed is negative.

        See Also
        --------
        gantheory.estimators.monte_carlo : Monte Carlo estimates from such draws.

        Examples
        --------
        >>> import gantheory as gt
        >>> x = gt.Uniform(2, 3).sample(1000, rng=0)
        >>> x.shape, bool(x.min() >= 2 and x.max() <= 3), bool(abs(x.mean() - 2.5) < 0.05)
        ((1000,), True, True)
        >>> bool((gt.Normal().sample(5, rng=1) == gt.Normal().sample(5, rng=1)).all())  # a seed repeats
        True
        >>> gt.MultivariateNormal([0, 0], [[1, 0], [0, 1]]).sample(4, rng=0).shape
        (4, 2)
        """
        n = positive_int(n, "n", minimum=0, maximum=10**8)
        return self._sample(n, as_generator(rng))

    def cdf(self, x):
        """Return the cumulative distribution function ``P(X <= x)`` (one-dimensional densities).

        Parameters
        ----------
        x : array_like of float
            Points, any shape; no NaN (``-inf`` and ``inf`` are allowed).

        Returns
        -------
        numpy.float64 or numpy.ndarray
            Values in ``[0, 1]``, of the shape of ``x`` (a scalar for a single point). Near 1 they hold
            ``1 - cdf`` only to absolute accuracy: use `sf` for the upper tail.

        Raises
        ------
        TypeError
            If ``x`` is not real numbers (a string, None, complex or boolean values, a ragged list).
        ValueError
            If ``x`` contains NaN, or the density has ``dim >= 2``.

        See Also
        --------
        Density.sf : ``1 - cdf``, accurate in the upper tail.

        Examples
        --------
        >>> import math
        >>> import gantheory as gt
        >>> gt.Normal(3, 2).cdf([3.0, math.inf]).tolist()
        [0.5, 1.0]
        >>> c = gt.Cauchy(0, 1).cdf(-1e10)  # deep in the lower tail: 1 / (pi 1e10)
        >>> bool(abs(c * math.pi * 1e10 - 1) < 1e-14)
        True
        """
        self._need_1d("cdf")
        x = self._points(x)
        with np.errstate(over="ignore", under="ignore", divide="ignore"):
            return np.clip(self._cdf(x), 0.0, 1.0)[()]  # a weighted sum may round above 1

    def sf(self, x):
        """Return the survival function ``P(X > x) = 1 - cdf(x)``, accurate in the upper tail.

        One-dimensional densities only. Computed without the cancellation of ``1 - cdf(x)``.

        Parameters
        ----------
        x : array_like of float
            Points, any shape; no NaN (``-inf`` and ``inf`` are allowed).

        Returns
        -------
        numpy.float64 or numpy.ndarray
            Values in ``[0, 1]``, of the shape of ``x`` (a scalar for a single point).

        Raises
        ------
        TypeError
            If ``x`` is not real numbers (a string, None, complex or boolean values, a ragged list).
        ValueError
            If ``x`` contains NaN, or the density has ``dim >= 2``.

        See Also
        --------
        Density.cdf : ``P(X <= x)``.

        Examples
        --------
        >>> import math
        >>> import gantheory as gt
        >>> p = gt.Normal(0, 1)
        >>> float(1 - p.cdf(10.0))  # all digits lost
        0.0
        >>> bool(abs(p.sf(10.0) / (0.5 * math.erfc(10 / math.sqrt(2))) - 1) < 1e-13)
        True
        """
        self._need_1d("sf")
        x = self._points(x)
        with np.errstate(over="ignore", under="ignore", divide="ignore"):
            return np.clip(self._sf(x), 0.0, 1.0)[()]

    def score(self, x):
        """Return the score ``d/dx log p(x)`` (one-dimensional densities).

        Parameters
        ----------
        x : array_like of float
            Points, any shape; no NaN (``-inf`` and ``inf`` are allowed).

        Returns
        -------
        numpy.float64 or numpy.ndarray
            The derivative of `logpdf`, of the shape of ``x`` (a scalar for a single point); 0 where
            ``logpdf`` is not finite (outside the support, or at an end where the density is unbounded).

        Raises
        ------
        TypeError
            If ``x`` is not real numbers (a string, None, complex or boolean values, a ragged list), or
            the density is a `ScipyDensity` (scipy provides no score).
        ValueError
            If ``x`` contains NaN, or the density has ``dim >= 2``.

        See Also
        --------
        Density.logpdf : The log-density it differentiates.
        gantheory.generator_gradient : Gradients of the GAN objective, which use the score.

        Examples
        --------
        >>> import gantheory as gt
        >>> gt.Normal(1, 2).score([1.0, 3.0]).tolist()  # -(x - loc) / scale**2
        [-0.0, -0.5]
        >>> gt.Uniform(0, 1).score([-1.0, 0.5]).tolist()
        [0.0, 0.0]
        """
        self._need_1d("score")
        x = self._points(x)
        with np.errstate(all="ignore"):
            s = self._score(x)
            return np.where(np.isfinite(self._logpdf(x)), s, 0.0)[()]

    @property
    def support(self):
        """The support ``(low, high)``: outside this closed range the density is 0.

        For ``dim == 1`` two floats, ``-inf`` or ``inf`` on an unbounded side. For ``dim >= 2`` two
        arrays of per-axis bounds: every multivariate density here is positive on all of ``R^d``, so
        they hold ``-inf`` and ``inf``.

        Examples
        --------
        >>> import gantheory as gt
        >>> gt.Beta(2, 3).support, gt.Normal().support
        ((0.0, 1.0), (-inf, inf))
        >>> gt.MultivariateNormal([0, 0], [[1, 0], [0, 1]]).support
        (array([-inf, -inf]), array([inf, inf]))
        """
        if self.dim == 1:
            return self._support()
        return (np.full(self.dim, -np.inf), np.full(self.dim, np.inf))

    def _hints(self):
        """What the quadrature needs to know of the density (:class:`Hints`), derived once from its
        parameters (a density does not change after construction; nothing that depends on another
        density is kept)."""
        h = self.__dict__.get("_hints_cache")
        if h is None:
            sup = self._support()
            ends = [e for e in sup if math.isfinite(e)]
            pts = np.concatenate([self._breaks(), self._landmarks(), np.array(ends, dtype=float)])
            h = Hints(sup, np.unique(pts[np.isfinite(pts)]), tuple(float(v) for v in self._singular()),
                      float(self._scale()), bool(self._heavy))
            self.__dict__["_hints_cache"] = h
        return h

    def __getstate__(self):
        # caches (with weak references inside) are rebuilt after unpickling
        return {k: v for k, v in self.__dict__.items() if not k.endswith("_cache")}

    # ------------------------------------------------------------------ hooks for subclasses
    def _support(self):
        return (-math.inf, math.inf)

    def _breaks(self):
        """Interior points where the density or its derivatives jump (exact panel edges)."""
        return np.empty(0)

    def _exact_breaks(self):
        """``{float: remainder}`` for breakpoints that lie between two floats: the exact point is the sum."""
        return {}

    def _landmarks(self):
        """Points around which the mass sits (panel edges that speed up quadrature)."""
        return np.empty(0)

    def _scale(self):
        """A length scale of the bulk (sets the tail maps of the quadrature)."""
        return 1.0

    def _singular(self):
        """Finite support ends where the density is unbounded or not smooth (mapped specially)."""
        return np.empty(0)

    def _logpdf_offset(self, x0, off, loff=None):
        """``logpdf(x0 + off)`` for a support end ``x0``, accurate when ``off`` is tiny. ``loff = log |off|``
        (when given) is exact where ``off`` underflows to 0: densities unbounded at ``x0`` evaluate through
        it; continuous ones take their value at ``x0``."""
        return self._logpdf(x0 + off)

    def _logpdf_err(self, x, lp):
        """The error of ``_logpdf`` at the float ``x`` beyond ``2 eps (|lp| + 1)``, as an estimate of the
        log-density at the real point ``x`` stands for (None: nothing beyond). Densities evaluated through
        a nonlinear map of a rounded coordinate, or whose log is a sum of larger cancelling terms, say so."""
        return None

    def _logpdf_split(self, x, x0, off):
        """``logpdf`` at quadrature nodes ``x``, also given as panel anchors ``x0`` plus offsets ``off``.
        Location families evaluate ``(x0 - loc) + off``: exact differences near ``loc``, so a density far
        from the origin (``loc = 1e8``) keeps the digits that ``x`` itself cannot hold."""
        return self._logpdf(x)

    def _score_split(self, x, x0, off):
        """``score`` at nodes given as ``x`` and as ``x0 + off`` (see ``_logpdf_split``)."""
        return self._score(x)

    def _score_offset(self, x0, off):
        """``score(x0 + off)`` for a support end ``x0``, accurate when ``off`` is tiny."""
        return self._score(x0 + off)

    def _mean(self):
        """The mean, or None when it does not exist (decides whether W1 can be finite)."""
        return None

    def _tails(self):
        """``(left, right)`` :class:`Tail` descriptions, None where unknown."""
        return (None, None)

    def _gaussian_parts(self):
        """``[(mean, cov), ...]`` of Gaussian-like parts (the grid of multivariate quadrature)."""
        raise NotImplementedError

    #: Uniform coordinates one draw consumes in ``_from_uniform`` (quasi-Monte Carlo).
    _qmc_dims = 1

    def _from_uniform(self, u):
        """Points from uniforms ``u`` of shape ``(n, _qmc_dims)`` by inverse transforms (QMC)."""
        return self._ppf(u[:, 0])

    def _ppf(self, u):
        """The quantile function (one-dimensional densities)."""
        raise NotImplementedError(f"{type(self).__name__} has no quantile function")

    # ------------------------------------------------------------------ helpers
    def _points(self, x):
        x = real_array(x, "x")
        if np.isnan(x).any():
            raise ValueError("x must not contain NaN")
        if self.dim > 1 and (x.ndim == 0 or x.shape[-1] != self.dim):
            raise ValueError(f"x must have last axis of length dim={self.dim}, got shape {x.shape}")
        return x

    def _need_1d(self, what):
        if self.dim != 1:
            raise ValueError(f"{what} is defined for one-dimensional densities, this one has dim={self.dim}")

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self._params().items())
        return f"{type(self).__name__}({args})"

    def _params(self):
        return {}


#: Location-scale parameters: |loc| <= 1e150 and 1e-150 <= scale <= 1e150, so that the density's
#: bulk, its tails out to the quadrature's reach (~1e300) and its samples all fit in float64.
_LOC_MAX, _SCALE_MIN, _SCALE_MAX = 1e150, 1e-150, 1e150
#: ... and scale >= 1e-17 |loc|: the anchored offsets resolve a density down to about a tenth of the
#: float spacing at its location (1.1e-16 to 2.2e-16 |loc|), not below.
_SCALE_REL = 1e-17
#: Offsets below this are subnormal or nearly so (few significant bits): densities take the exact log of
#: the offset there instead.
_TINY = 1e-290
#: floats that a Mixture holds at once across its components (blocks of points: see Mixture._each)
_BLOCK = 2**20
#: the most components a Mixture takes
MAX_COMPONENTS = 10_000


class _LocationScale(Density):
    """Shared parts of the location-scale families: validation, landmarks, scale, mean."""

    def __init__(self, loc=0.0, scale=1.0):
        tl, ts = type(loc), type(scale)
        if (tl is float or tl is int) and (ts is float or ts is int):  # the common case, quickly
            x, s = float(loc), float(scale)
            if -_LOC_MAX <= x <= _LOC_MAX and _SCALE_MIN <= s <= _SCALE_MAX and s >= _SCALE_REL * abs(x):
                self.loc, self.scale = x, s
                return
        self.loc = scalar(loc, "loc", lower=-_LOC_MAX, upper=_LOC_MAX)
        self.scale = scalar(scale, "scale", positive=True)
        if not _SCALE_MIN <= self.scale <= _SCALE_MAX:
            raise ValueError(f"scale must lie in [{_SCALE_MIN:g}, {_SCALE_MAX:g}], got {self.scale!r}")
        if self.scale < _SCALE_REL * abs(self.loc):
            raise ValueError(f"scale must be at least {_SCALE_REL:g} |loc| (below, the density sits between "
                             f"neighbouring floats at loc), got scale={self.scale!r} at loc={self.loc!r}")

    def _params(self):
        return {"loc": self.loc, "scale": self.scale}

    # each family writes its log-density and score in the standardised variable z
    def _logpdf(self, x):
        return self._logpdf_d(x - self.loc)

    def _logpdf_split(self, x, x0, off):
        return self._logpdf_d((x0 - self.loc) + off)

    def _logpdf_d(self, d):
        """``log p`` at the distance ``d = x - loc`` (heavy families override it: ``d / scale`` may overflow
        where their density is still far above the float64 range's bottom)."""
        return self._logpdf_z(d / self.scale)

    def _score(self, x):
        return self._score_z((x - self.loc) / self.scale)

    def _score_split(self, x, x0, off):
        return self._score_z(((x0 - self.loc) + off) / self.scale)

    #: standardised landmarks: the bulk and, for light tails, the tail quantiles
    _Z = _LANDMARK_Z

    def _landmarks(self):
        return self.loc + self.scale * self._Z

    def _scale(self):
        return self.scale

    def _mean(self):
        return self.loc


class Normal(_LocationScale):
    """Normal density ``N(loc, scale^2)``: ``exp(-(x - loc)^2 / (2 scale^2)) / (scale sqrt(2 pi))``.

    Parameters
    ----------
    loc : float, in [-1e150, 1e150], default 0
        Mean.
    scale : float, in [1e-150, 1e150] and >= 1e-17 * abs(loc), default 1
        Standard deviation. Below ``1e-17 abs(loc)`` the density would sit between neighbouring
        floats at ``loc``.

    Attributes
    ----------
    loc : float
        Mean.
    scale : float
        Standard deviation.

    Raises
    ------
    TypeError
        If a parameter is not a real scalar (booleans are refused).
    ValueError
        If a parameter is not finite or lies outside its range.

    See Also
    --------
    MultivariateNormal : The normal in ``d`` dimensions.
    StudentT : Heavy-tailed relative; normal as ``df -> inf``.
    Laplace, Cauchy : Other location-scale families.

    Examples
    --------
    >>> import math
    >>> import gantheory as gt
    >>> p = gt.Normal(1.0, 2.0)
    >>> bool(abs(p.pdf(1.0) - 1 / (2 * math.sqrt(2 * math.pi))) < 1e-16)
    True
    >>> float(p.cdf(1.0)), float(p.score(3.0))
    (0.5, -0.5)
    >>> bool(abs(p.logpdf(201.0) - (-5000 - math.log(2) - 0.5 * math.log(2 * math.pi))) < 1e-12)  # pdf is 0
    True
    """

    _Z = _NORMAL_Z

    def __init__(self, loc=0.0, scale=1.0):
        super().__init__(loc, scale)
        self._lognorm = math.log(self.scale) + 0.5 * _LOG_2PI

    def _logpdf_z(self, z):
        return -0.5 * z * z - self._lognorm

    def _tails(self):
        return (Tail("exppow", 2.0, 0.5 / self.scale**2),) * 2

    def _sample(self, n, rng):
        return self.loc + self.scale * rng.standard_normal(n)

    def _ppf(self, u):
        return self.loc + self.scale * special.ndtri(u)

    def _cdf(self, x):
        return special.ndtr((x - self.loc) / self.scale)

    def _sf(self, x):
        return special.ndtr((self.loc - x) / self.scale)

    def _score_z(self, z):
        return -z / self.scale

    def _gaussian_parts(self):
        return [(np.array([self.loc]), np.array([[self.scale**2]]))]


class Uniform(Density):
    """Uniform density ``1 / (high - low)`` on the closed interval ``[low, high]``.

    Parameters
    ----------
    low : float, finite, default 0
        Lower end of the support.
    high : float, finite, > low, default 1
        Upper end of the support; ``high - low`` must not overflow.

    Attributes
    ----------
    low, high : float
        The ends of the support.

    Raises
    ------
    TypeError
        If ``low`` or ``high`` is not a real scalar (booleans are refused).
    ValueError
        If either is not finite, ``low >= high``, or the width ``high - low`` overflows.

    See Also
    --------
    Beta : Densities on ``[0, 1]``; ``Beta(1, 1)`` is ``Uniform(0, 1)``.
    GridDensity : Piecewise-linear densities on an interval.

    Examples
    --------
    >>> import gantheory as gt
    >>> u = gt.Uniform(2, 6)
    >>> u.pdf([1.0, 2.0, 6.0, 7.0]).tolist()
    [0.0, 0.25, 0.25, 0.0]
    >>> float(u.cdf(3.0)), float(u.sf(3.0)), u.support
    (0.25, 0.75, (2.0, 6.0))
    """

    def __init__(self, low=0.0, high=1.0):
        self.low = scalar(low, "low")
        self.high = scalar(high, "high")
        if not self.high > self.low:
            raise ValueError(f"Uniform needs low < high, got low={self.low!r}, high={self.high!r}")
        self._width = self.high - self.low
        if not math.isfinite(self._width):
            raise ValueError("Uniform width high - low overflows")

    def _params(self):
        return {"low": self.low, "high": self.high}

    def _support(self):
        return (self.low, self.high)

    def _logpdf(self, x):
        inside = (x >= self.low) & (x <= self.high)
        return np.where(inside, -math.log(self._width), -np.inf)

    def _logpdf_split(self, x, x0, off):
        # inside or not from the exact offsets: a node in a sliver between two nearly equal ends stays there
        inside = ((x0 - self.low) + off >= 0.0) & ((x0 - self.high) + off <= 0.0)
        return np.where(inside, -math.log(self._width), -np.inf)

    def _tails(self):
        return (COMPACT, COMPACT)

    def _sample(self, n, rng):
        return self.low + self._width * rng.random(n)

    def _ppf(self, u):
        return self.low + self._width * u

    def _cdf(self, x):
        return np.clip((x - self.low) / self._width, 0.0, 1.0)

    def _sf(self, x):
        return np.clip((self.high - x) / self._width, 0.0, 1.0)

    def _score(self, x):
        return np.zeros_like(x)

    def _landmarks(self):
        return np.array([0.5 * (self.low + self.high)])

    def _scale(self):
        return self._width

    def _mean(self):
        return 0.5 * (self.low + self.high)


class Laplace(_LocationScale):
    """Laplace density ``exp(-|x - loc| / scale) / (2 scale)``; a kink at ``loc``.

    Parameters
    ----------
    loc : float, in [-1e150, 1e150], default 0
        Location: mean, median and mode.
    scale : float, in [1e-150, 1e150] and >= 1e-17 * abs(loc), default 1
        Scale (the standard deviation is ``sqrt(2) scale``).

    Attributes
    ----------
    loc, scale : float
        The parameters.

    Raises
    ------
    TypeError
        If a parameter is not a real scalar (booleans are refused).
    ValueError
        If a parameter is not finite or lies outside its range.

    See Also
    --------
    Normal, Cauchy, StudentT : Other location-scale families.

    Examples
    --------
    >>> import math
    >>> import gantheory as gt
    >>> p = gt.Laplace(1, 2)
    >>> float(p.logpdf(1.0)) == -math.log(4)
    True
    >>> bool(abs(p.cdf(3.0) - (1 - math.exp(-1) / 2)) < 1e-15)
    True
    >>> p.score([0.0, 2.0]).tolist()  # -sign(x - loc) / scale
    [0.5, -0.5]
    """

    _Z = _LAPLACE_Z

    def _logpdf_z(self, z):
        return -np.abs(z) - math.log(2.0 * self.scale)

    def _tails(self):
        return (Tail("exppow", 1.0, 1.0 / self.scale),) * 2

    def _sample(self, n, rng):
        return rng.laplace(self.loc, self.scale, n)

    def _ppf(self, u):
        v = u - 0.5
        return self.loc - self.scale * np.sign(v) * np.log1p(-2.0 * np.abs(v))

    def _cdf(self, x):
        z = (x - self.loc) / self.scale
        return np.where(z < 0, 0.5 * np.exp(np.minimum(z, 0.0)), -0.5 * np.expm1(-np.maximum(z, 0.0)) + 0.5)

    def _sf(self, x):
        return self._cdf(2.0 * self.loc - x)

    def _score_z(self, z):
        return -np.sign(z) / self.scale

    def _breaks(self):
        return np.array([self.loc])


# Stirling series of log Γ: B_2k / (2k (2k - 1)), k = 1..8; at x >= 10 the next term is below 1e-18
_STIRLING = (1 / 12, -1 / 360, 1 / 1260, -1 / 1680, 1 / 1188, -691 / 360360, 1 / 156, -3617 / 122400)


def _lgamma_correction(x):
    """``log Γ(x) - ((x - 1/2) log x - x + log(2π)/2)`` for ``x >= 10``: about ``1/(12x)``, to full
    accuracy. Differences of log-gammas of large arguments are written with it, never as a difference
    of two numbers of size ``x log x``."""
    r = 1.0 / x
    r2 = r * r
    acc = 0.0
    for c in reversed(_STIRLING):
        acc = c + r2 * acc
    return r * acc


def _log_gamma_ratio_half(x):
    """``log Γ(x + 1/2) - log Γ(x) - log(x)/2`` (about ``-1/(8x)``), to a few ulps of its size for
    every ``x > 0``."""
    if x < 1.5:
        return float(special.gammaln(x + 0.5) - special.gammaln(x)) - 0.5 * math.log(x)
    # up to x + n >= 10 by Γ(y + 1) = y Γ(y), then Stirling
    n = max(0, math.ceil(10.0 - x))
    y = x + n
    steps = math.fsum(math.log1p(0.5 / (x + k)) for k in range(n))
    return (y * math.log1p(0.5 / y) - 0.5 + _lgamma_correction(y + 0.5) - _lgamma_correction(y)
            + 0.5 * math.log(y / x) - steps)


def _log_beta(a, b):
    """``log B(a, b)`` to a few ulps of its size, also when one or both arguments are large."""
    a, b = min(a, b), max(a, b)
    if b < 10.0:
        return float(special.betaln(a, b))
    s = a + b
    # log Γ(b) - log Γ(a + b) by Stirling, without subtracting two log-gammas of size b log b
    d = -(b - 0.5) * math.log1p(a / b) - a * math.log(s) + a + _lgamma_correction(b) - _lgamma_correction(s)
    if a < 10.0:
        return float(special.gammaln(a)) + d
    return (a * math.log(a / s) - 0.5 * math.log(a) - (b - 0.5) * math.log1p(a / b) + 0.5 * _LOG_2PI
            + _lgamma_correction(a) + _lgamma_correction(b) - _lgamma_correction(s))


def _log1p_square(z):
    """``log(1 + z^2)`` without overflow for huge ``|z|``."""
    az = np.abs(z)
    big = np.maximum(az, 1e150)
    with np.errstate(under="ignore", over="ignore"):
        far = 2.0 * np.log(big) + np.log1p((1.0 / big) ** 2)
    return np.where(az < 1e150, np.log1p(np.minimum(az, 1e150) ** 2), far)


def _log1p_square_ratio(d, s):
    """``log(1 + (d/s)^2)`` also where ``d / s`` overflows (a heavy tail 1e300 away from a narrow peak):
    far out it is ``2 (log |d| - log s)``, taken from the logs."""
    ad = np.abs(d)
    with np.errstate(under="ignore", over="ignore", divide="ignore"):
        z = ad / s
        big = np.maximum(ad, 1e150 * s)
        far = 2.0 * (np.log(big) - math.log(s)) + np.log1p((s / big) ** 2)
    return np.where(z < 1e150, np.log1p(np.minimum(z, 1e150) ** 2), far)


class Cauchy(_LocationScale):
    """Cauchy density ``1 / (pi scale (1 + ((x - loc) / scale)^2))``: heavy tails, no mean.

    Its tails fall like ``x^-2``; the quadrature maps them logarithmically.

    Parameters
    ----------
    loc : float, in [-1e150, 1e150], default 0
        Location: median and mode.
    scale : float, in [1e-150, 1e150] and >= 1e-17 * abs(loc), default 1
        Half-width at half-maximum (also the half interquartile range).

    Attributes
    ----------
    loc, scale : float
        The parameters.

    Raises
    ------
    TypeError
        If a parameter is not a real scalar (booleans are refused).
    ValueError
        If a parameter is not finite or lies outside its range.

    See Also
    --------
    StudentT : ``StudentT(1, loc, scale)`` is this density.
    Normal, Laplace : Light-tailed location-scale families.

    Examples
    --------
    >>> import math
    >>> import gantheory as gt
    >>> p = gt.Cauchy(0, 1)
    >>> bool(abs(p.pdf(0.0) - 1 / math.pi) < 1e-16), float(p.cdf(1.0))
    (True, 0.75)
    >>> bool(abs(p.sf(1e10) * math.pi * 1e10 - 1) < 1e-14)  # relative accuracy far out
    True
    """

    _heavy = True

    def _logpdf_z(self, z):
        return -_log1p_square(z) - math.log(math.pi * self.scale)

    def _logpdf_d(self, d):
        return -_log1p_square_ratio(d, self.scale) - math.log(math.pi * self.scale)

    def _tails(self):
        return (Tail("power", 1.0),) * 2

    def _sample(self, n, rng):
        return self.loc + self.scale * rng.standard_cauchy(n)

    def _ppf(self, u):
        return self.loc + self.scale * np.tan(np.pi * (u - 0.5))

    def _cdf(self, x):
        z = (x - self.loc) / self.scale
        # arctan(-1/z)/π for z < 0 keeps relative accuracy deep in the lower tail
        with np.errstate(divide="ignore"):
            lower = np.arctan(-1.0 / np.minimum(z, -1e-300)) / math.pi
        return np.where(z < 0, lower, 0.5 + np.arctan(z) / math.pi)

    def _sf(self, x):
        return self._cdf(2.0 * self.loc - x)

    def _score_z(self, z):
        with np.errstate(divide="ignore", over="ignore"):  # -2z/(1 + z²) = -2/(z + 1/z) far out
            return np.where(np.abs(z) > 1.0, -2.0 / (z + 1.0 / z), -2.0 * z / (1.0 + z * z)) / self.scale

    def _mean(self):
        return None


class StudentT(_LocationScale):
    """Student-t density with ``df`` degrees of freedom, location and scale (heavy tails).

    ``p(x) = Gamma((df + 1)/2) / (Gamma(df/2) sqrt(df pi) scale) (1 + z^2/df)^(-(df + 1)/2)`` with
    ``z = (x - loc) / scale``. The tails fall like ``|x|^-(df + 1)``; the mean (``loc``) exists for
    ``df > 1``.

    Parameters
    ----------
    df : float, in [0.1, 1e12]
        Degrees of freedom. Below 0.1 a fraction of order ``1e308^-df`` of the mass lies beyond the
        float64 range (3.4e-3 at ``df = 0.008``; 1.3e-31 at 0.1). At ``1e12`` it is a normal to about
        twelve digits (the log-densities differ by 5e-13 one scale from ``loc``).
    loc : float, in [-1e150, 1e150], default 0
        Location: median and mode.
    scale : float, in [1e-150, 1e150] and >= 1e-17 * abs(loc), default 1
        Scale (the standard deviation is ``scale sqrt(df / (df - 2))`` for ``df > 2``).

    Attributes
    ----------
    df, loc, scale : float
        The parameters.

    Raises
    ------
    TypeError
        If a parameter is not a real scalar (booleans are refused).
    ValueError
        If a parameter is not finite or lies outside its range.

    See Also
    --------
    Cauchy : The case ``df = 1``.
    Normal : The limit ``df -> inf``.

    Examples
    --------
    >>> import math
    >>> import gantheory as gt
    >>> t = gt.StudentT(2)
    >>> bool(abs(t.logpdf(1.0) - (-1.5 * math.log(3))) < 1e-15)  # p(x) = (2 + x^2)^(-3/2)
    True
    >>> bool(abs(gt.StudentT(1, 3, 2).logpdf(5.0) - gt.Cauchy(3, 2).logpdf(5.0)) < 1e-15)
    True
    >>> float(t.cdf(0.0))
    0.5
    """

    _heavy = True

    def __init__(self, df, loc=0.0, scale=1.0):
        self.df = scalar(df, "df", lower=0.1, upper=1e12)
        super().__init__(loc, scale)
        nu = self.df
        # log Γ((ν+1)/2) - log Γ(ν/2) - log(νπ)/2 = _log_gamma_ratio_half(ν/2) - log(2π)/2: no cancellation
        # of log-gammas near 13 at ν = 1e12, where the plain difference loses four digits
        self._lognorm = _log_gamma_ratio_half(0.5 * nu) - 0.5 * _LOG_2PI - math.log(self.scale)

    def _params(self):
        return {"df": self.df, "loc": self.loc, "scale": self.scale}

    def _logpdf_z(self, z):
        nu = self.df
        return self._lognorm - 0.5 * (nu + 1.0) * (_log1p_square(z / math.sqrt(nu)))

    def _logpdf_d(self, d):
        return self._lognorm - 0.5 * (self.df + 1.0) * _log1p_square_ratio(d, self.scale * math.sqrt(self.df))

    def _tails(self):
        return (Tail("power", self.df),) * 2

    def _sample(self, n, rng):
        return self.loc + self.scale * rng.standard_t(self.df, n)

    def _ppf(self, u):
        return self.loc + self.scale * special.stdtrit(self.df, u)

    def _cdf(self, x):
        return self._lower((x - self.loc) / self.scale)

    def _sf(self, x):
        return self._lower((self.loc - x) / self.scale)

    def _lower(self, z):
        """``P(T <= z)`` for the standard Student-t. Below -1e150 (where ``z²`` overflows inside stdtr, which
        then returns 0) from the tail's leading term ``C ν^((ν-1)/2) |z|^-ν`` (``C`` the density's constant),
        exact to ``ν²/z²``, far below an ulp there."""
        nu = self.df
        z = np.asarray(z, dtype=float)
        far = z < -1e150
        if not np.any(far):
            return special.stdtr(nu, z)
        log_c = self._lognorm + math.log(self.scale) + 0.5 * (nu - 1.0) * math.log(nu)
        with np.errstate(under="ignore", divide="ignore", over="ignore"):  # (z = -inf: 0; entries not far)
            if log_c < 700.0:  # (the constant and the power apart: each to an ulp)
                tail = math.exp(log_c) * np.power(np.where(far, -z, 1.0), -nu)
            else:  # (large ν: |z|^-ν is 0 in float64 anyway)
                tail = np.exp(log_c - nu * np.log(np.where(far, -z, 1.0)))
        return np.where(far, tail, special.stdtr(nu, np.where(far, 0.0, z)))

    def _score_z(self, z):
        nu = self.df
        with np.errstate(divide="ignore", over="ignore"):  # written as -(ν+1)/(z + ν/z) far out
            return -(nu + 1.0) * np.where(np.abs(z) > 1.0, 1.0 / (z + nu / z), z / (nu + z * z)) / self.scale

    def _mean(self):
        return self.loc if self.df > 1.0 else None


class Beta(Density):
    """Beta density ``x^(a-1) (1-x)^(b-1) / B(a, b)`` on ``[0, 1]``.

    Unbounded at 0 when ``a < 1`` (at 1 when ``b < 1``); such ends are mapped exponentially by the
    quadrature and evaluated through the distance to the end, so no mass hides below float spacing.

    Parameters
    ----------
    a : float, in [1e-3, 1e8]
        First shape parameter (the exponent of ``x`` is ``a - 1``). Below 1e-3 much of the mass lies
        closer to 0 than float64 resolves: already a quarter of ``Beta(1e-3, 1e-3)`` lies below 1e-308.
    b : float, in [1e-3, 1e8]
        Second shape parameter (the exponent of ``1 - x`` is ``b - 1``); the same range.

    Attributes
    ----------
    a, b : float
        The shape parameters.

    Raises
    ------
    TypeError
        If ``a`` or ``b`` is not a real scalar (booleans are refused).
    ValueError
        If ``a`` or ``b`` is not finite or lies outside ``[1e-3, 1e8]``.

    See Also
    --------
    Uniform : ``Beta(1, 1)`` on ``[0, 1]``.
    GridDensity : Other densities of bounded support.

    Examples
    --------
    >>> import math
    >>> import gantheory as gt
    >>> p = gt.Beta(2, 3)  # 12 x (1 - x)^2
    >>> bool(abs(p.pdf(0.5) - 1.5) < 1e-15), bool(abs(p.cdf(0.5) - 11 / 16) < 1e-15)
    (True, True)
    >>> v = gt.Beta(0.5, 0.5).logpdf(1e-300)  # singular end: exact, no overflow
    >>> bool(abs(v - (150 * math.log(10) - math.log(math.pi))) < 1e-12)
    True
    """

    def __init__(self, a, b):
        self.a = scalar(a, "a", lower=1e-3, upper=1e8)
        self.b = scalar(b, "b", lower=1e-3, upper=1e8)
        a, b = self.a, self.b
        self._logB = _log_beta(a, b)
        # With a, b >= 10 log p is written about the mode m: log p(m) + (a-1) log(x/m) + (b-1) log((1-x)/(1-m)).
        # The plain form subtracts terms of size a log 2 (1e3 at a = 1e3) to get an O(1) result; here
        # log p(m) comes from Stirling's series without that cancellation.
        self._centred = min(a, b) >= 10.0
        if self._centred:
            s = a + b
            # the mode's coordinate on the side it is nearer to (x = m or 1 - x = 1 - m) is the exact one
            self._near_zero = a <= b
            self._mode = (a - 1.0) / (s - 2.0) if a <= b else 1.0 - (b - 1.0) / (s - 2.0)
            self._antimode = (b - 1.0) / (s - 2.0) if a > b else 1.0 - self._mode
            c = math.log1p(2.0 / (s - 2.0))
            self._logmode = ((a - 1.0) * (math.log1p(-1.0 / a) + c) - math.log(a / s)
                             + (b - 1.0) * (math.log1p(-1.0 / b) + c) - math.log(b / s)
                             + 0.5 * math.log(a / s * b) - 0.5 * _LOG_2PI
                             - _lgamma_correction(a) - _lgamma_correction(b) + _lgamma_correction(s))

    def _params(self):
        return {"a": self.a, "b": self.b}

    def _support(self):
        return (0.0, 1.0)

    def _logs(self, logx, log1mx, inside):
        # (a - 1) log x with a == 1 is 0 even at x = 0 (never 0 * -inf = NaN)
        with np.errstate(invalid="ignore"):
            ta = np.where(self.a == 1.0, 0.0, (self.a - 1.0) * logx)
            tb = np.where(self.b == 1.0, 0.0, (self.b - 1.0) * log1mx)
        return np.where(inside, ta + tb - self._logB, -np.inf)

    def _logpdf(self, x):
        inside = (x >= 0.0) & (x <= 1.0)
        xc = np.clip(x, 0.0, 1.0)
        if self._centred:
            return self._logpdf_centred(xc, 1.0 - xc, inside)
        with np.errstate(divide="ignore"):
            return self._logs(np.log(xc), np.log1p(-xc), inside)

    def _logpdf_split(self, x, x0, off):
        """``log p`` at the nodes ``x0 + off``; from anchors ``x0 >= 1/2``, ``1 - x = (1 - x0) - off`` is formed
        without the rounding of ``x`` itself (``1 - x0`` is exact there): near 1 that rounding (1e-16
        against ``1 - x = 4e-10``, say) moves ``(b - 1) log(1 - x)`` by far more than the rounding of the
        log. Below 1/2, ``log1p(-x)`` of the rounded ``x`` is the accurate form."""
        high = x0 >= 0.5
        if not np.any(high):
            return self._logpdf(x)
        y = np.where(high, (1.0 - x0) - off, 1.0 - x)
        inside = (x >= 0.0) & (x <= 1.0) & (y >= 0.0)
        xc, yc = np.clip(x, 0.0, 1.0), np.clip(y, 0.0, 1.0)
        if self._centred:
            return self._logpdf_centred(xc, yc, inside)
        with np.errstate(divide="ignore"):
            return self._logs(np.log(xc), np.where(high, np.log(yc), np.log1p(-xc)), inside)

    def _logpdf_centred(self, x, y, inside):
        """``log p`` at ``x`` with ``y = 1 - x`` given separately (exact near either end).

        Both logs are written with the one difference ``u - u_m`` of the coordinate on the mode's near
        side (``u = x`` when the mode is below 1/2): exact near the mode, where the two terms of size
        ``sqrt(a)`` cancel to an O(1) result. Far from the mode each log is taken of its own ratio."""
        if self._near_zero:
            u, v, um, vm, au, av = x, y, self._mode, self._antimode, self.a - 1.0, self.b - 1.0
        else:
            u, v, um, vm, au, av = y, x, self._antimode, self._mode, self.b - 1.0, self.a - 1.0
        du = u - um
        with np.errstate(divide="ignore", invalid="ignore"):
            lu = np.where(np.abs(du) < 0.5 * um, np.log1p(du / um), np.log(u / um))
            lv = np.where(np.abs(du) < 0.5 * vm, np.log1p(-du / vm), np.log(v / vm))
        return np.where(inside, self._logmode + au * lu + av * lv, -np.inf)

    def _logpdf_offset(self, x0, off, loff=None):
        if self._centred and x0 in (0.0, 1.0):
            x = off if x0 == 0.0 else 1.0 + off
            y = 1.0 - off if x0 == 0.0 else -off
            out = self._logpdf_centred(np.clip(x, 0.0, 1.0), np.clip(y, 0.0, 1.0), (x >= 0) & (y >= 0))
            if loff is None:
                return out
            # where the offset is subnormal or underflowed, the log of the distance to the end is still exact
            power = (self.a if x0 == 0.0 else self.b) - 1.0
            return np.where(np.abs(off) < _TINY, power * np.minimum(loff, 0.0) - self._logB, out)
        if x0 not in (0.0, 1.0):
            return self._logpdf_split(x0 + off, x0, off)
        inward = off >= 0 if x0 == 0.0 else off <= 0
        d = np.minimum(np.abs(off), 1.0)
        with np.errstate(divide="ignore"):
            # the log of the distance to the end: exact from loff, also where the offset underflows
            near = np.log(d) if loff is None else np.minimum(loff, 0.0)
            far = np.log1p(-d)
        logx, log1mx = (near, far) if x0 == 0.0 else (far, near)
        return self._logs(logx, log1mx, inward & (np.abs(off) <= 1.0))

    def _logpdf_err(self, x, lp):
        # log p is a sum of terms that may be much larger than it and cancel: their rounding counts
        xc = np.clip(x, 0.0, 1.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            if self._centred:
                terms = np.abs(self._logmode) + (self.a - 1.0) * np.abs(np.log(xc / self._mode)) \
                    + (self.b - 1.0) * np.abs(np.log((1.0 - xc) / (1.0 - self._mode)))
            else:
                terms = np.abs(self._logB) + np.abs(self.a - 1.0) * np.abs(np.log(xc)) \
                    + np.abs(self.b - 1.0) * np.abs(np.log1p(-xc))
        return 2.0 * _EPS * terms

    def _tails(self):
        return (COMPACT, COMPACT)

    def _sample(self, n, rng):
        return rng.beta(self.a, self.b, n)

    def _ppf(self, u):
        return special.betaincinv(self.a, self.b, u)

    def _cdf(self, x):
        return special.betainc(self.a, self.b, np.clip(x, 0.0, 1.0))

    def _sf(self, x):
        return special.betaincc(self.a, self.b, np.clip(x, 0.0, 1.0))

    def _score(self, x):
        if self._centred:  # (a-1)/x - (b-1)/(1-x) = (a+b-2)(m - x) / (x (1-x)), exact near the mode
            y = 1.0 - x
            gap = self._mode - x if self._near_zero else y - self._antimode
            with np.errstate(divide="ignore", invalid="ignore"):
                return (self.a + self.b - 2.0) * (gap / (x * y))
        with np.errstate(divide="ignore", invalid="ignore"):
            ta = 0.0 if self.a == 1.0 else (self.a - 1.0) / x
            tb = 0.0 if self.b == 1.0 else (self.b - 1.0) / (1.0 - x)
        return ta - tb

    def _score_offset(self, x0, off):
        if x0 == 1.0:
            return (self.a - 1.0) / (1.0 + off) + (self.b - 1.0) / off
        return self._score(x0 + off)

    def _mean(self):
        return self.a / (self.a + self.b)

    def _scale(self):
        s = self.a + self.b
        return math.sqrt(self.a * self.b / (s * s * (s + 1.0)))

    def _landmarks(self):
        pts = np.concatenate([self._mean() + self._scale() * _LANDMARK_Z, self._far])
        return pts[(pts > 0.0) & (pts < 1.0)]

    #: How far below its peak the density falls at the outermost landmarks (``_far``): 72 nats, as at 12
    #: scales of a normal, so that even ``sqrt p`` (Hellinger) keeps only ``e^-36`` of its peak beyond.
    _DROP = 72.0

    @property
    def _far(self):
        """The points on either side of an interior mode where ``log p`` is ``_DROP`` below its peak (NaN
        where it never gets that low). A skewed Beta's long tail reaches far beyond 10 standard
        deviations: Beta(463, 8775) is still ``e^-35`` of its peak there, and ``sqrt p`` ``e^-17``, which
        a long panel beside that landmark integrates with both of its rules missing the same sliver."""
        out = self.__dict__.get("_far_cache")
        if out is None:
            out = self.__dict__["_far_cache"] = np.array([self._far_point(-1.0), self._far_point(1.0)])
        return out

    def _far_point(self, side):
        a1, b1 = self.a - 1.0, self.b - 1.0
        if not (a1 > 0.0 and b1 > 0.0):
            return math.nan
        # the mode m and 1 - m, each exact on the side it is small
        m, om = (a1 / (a1 + b1), b1 / (a1 + b1))
        m, om = (m, 1.0 - m) if a1 <= b1 else (1.0 - om, om)
        if not (m > 0.0 and om > 0.0):
            return math.nan  # (the mode rounds onto an end: the end is an edge already)
        # x = m + side u room, u in (0, 1): log p falls by g(u) = -ka log(1 + u r) - kb log(1 - u), the
        # exponents of the factors facing away from that end (ka) and toward it (kb)
        room, r = (m, m / om) if side < 0 else (om, om / m)
        ka, kb = (b1, a1) if side < 0 else (a1, b1)
        lo, hi, drop = 0.0, 1.0, self._DROP
        u = min(12.0 * self._scale() / room, 0.5)
        for _ in range(100):  # Newton's method kept inside the bracket (g is increasing and convex)
            v = -ka * math.log1p(u * r) - kb * math.log1p(-u)
            if abs(v - drop) < 1e-3:
                return m + side * u * room
            lo, hi = (lo, u) if v > drop else (u, hi)
            if hi - lo < 1e-15:
                return math.nan  # (the end comes first)
            step = u - (v - drop) / (kb / (1.0 - u) - ka * r / (1.0 + u * r))
            u = step if lo < step < hi else 0.5 * (lo + hi)
        return math.nan

    def _singular(self):
        ends = []
        for end, e in ((0.0, self.a - 1.0), (1.0, self.b - 1.0)):
            if not (e >= 0.0 and e == round(e)):
                ends.append(end)
        return np.array(ends)


class Mixture(Density):
    """Finite mixture ``sum_k w_k p_k`` of densities that share one dimension ``d``.

    Any ``d``: bivariate normals mix as well as one-dimensional laws. Components of weight 0 are kept
    in `components` but take no part in the values, the support or the draws. Memory stays linear in
    the number of components and of points (the points are processed in blocks).

    Parameters
    ----------
    components : sequence of Density
        Between 1 and 10,000 densities (``gantheory.densities.MAX_COMPONENTS``) of one dimension.
        Frozen ``scipy.stats`` distributions are accepted and converted by `as_density`.
    weights : array_like of float, shape (len(components),)
        Finite, non-negative, summing to 1 within 1e-10. Weights that do not are refused, never
        rescaled; within that tolerance they are divided by their sum.

    Attributes
    ----------
    components : tuple of Density
        The components, after `as_density`.
    weights : numpy.ndarray of float64
        The weights as given.
    dim : int
        The components' dimension.

    Raises
    ------
    TypeError
        If ``components`` is a single density or not iterable, a component is neither a gantheory
        density nor a frozen continuous ``scipy.stats`` distribution, or ``weights`` is not real
        numbers.
    ValueError
        If there are no components or more than 10,000, their dimensions differ, ``weights`` is not
        one-dimensional, has the wrong length, or has an entry that is not finite or is negative, or
        its sum differs from 1 by more than 1e-10.

    See Also
    --------
    as_density : The conversion applied to each component.
    MultivariateNormal : A component for mixtures in ``d`` dimensions.

    Examples
    --------
    >>> import gantheory as gt
    >>> p = gt.Mixture([gt.Normal(-2, 0.5), gt.Normal(2, 0.5)], [0.3, 0.7])
    >>> p
    Mixture(components=[Normal(loc=-2.0, scale=0.5), Normal(loc=2.0, scale=0.5)], weights=[0.3, 0.7])
    >>> v = 0.3 * gt.Normal(-2, 0.5).pdf(1.0) + 0.7 * gt.Normal(2, 0.5).pdf(1.0)
    >>> bool(abs(p.pdf(1.0) / v - 1) < 1e-14), round(float(p.cdf(0.0)), 8)
    (True, 0.30001267)
    >>> x = p.sample(1000, rng=0)
    >>> x.shape, bool(abs((x > 0).mean() - 0.7) < 0.05)
    ((1000,), True)
    """

    def __init__(self, components, weights):
        if isinstance(components, Density) or not hasattr(components, "__iter__"):
            raise TypeError("components must be a sequence of densities")
        comps = [as_density(c, "components") for c in components]
        if not comps:
            raise ValueError("components must not be empty")
        if len(comps) > MAX_COMPONENTS:
            raise ValueError(f"components: at most {MAX_COMPONENTS} (a divergence's cost grows about as their "
                             f"square: 1,000 take under a second for KL, most of a minute for W1), got {len(comps)}")
        dims = {c.dim for c in comps}
        if len(dims) != 1:
            raise ValueError(f"components must share one dimension, got dims {sorted(dims)}")
        w = finite_array(weights, "weights", ndim=1)
        if w.shape[0] != len(comps):
            raise ValueError(f"weights has length {w.shape[0]} but there are {len(comps)} components")
        if np.any(w < 0):
            raise ValueError(f"weights must be non-negative, got {w.tolist()}")
        with np.errstate(over="ignore"):  # huge weights sum to inf, which fails the test below
            total = float(np.sum(w))
        if not abs(total - 1.0) <= 1e-10:
            raise ValueError(f"weights must sum to 1, got sum {total!r}")
        keep = w > 0
        self.components = tuple(comps)
        self.weights = w
        self.dim = comps[0].dim
        self._active = [c for c, k in zip(comps, keep) if k]
        self._logw = np.log(w[keep] / total)
        self._heavy = any(c._heavy for c in self._active)

    def _params(self):
        return {"components": list(self.components), "weights": self.weights.tolist()}

    def _each(self, value, reduce, *args):
        """``reduce([value(c, *args) for c in components])`` per point, over blocks of the points small
        enough that all the components' values at one block hold at most ``_BLOCK`` floats: memory stays
        linear in the points and the components (a thousand components at 10^5 points: 16 MB, not 8 GB)."""
        n = max((a.shape[0] for a in args if isinstance(a, np.ndarray) and a.ndim), default=0)
        size = max(1, _BLOCK // len(self._active))
        if n <= size:
            return reduce([value(c, *args) for c in self._active])
        parts = []
        for i in range(0, n, size):
            sub = [a[i:i + size] if isinstance(a, np.ndarray) and a.ndim and a.shape[0] == n else a for a in args]
            parts.append(reduce([value(c, *sub) for c in self._active]))
        return np.concatenate(parts)

    def _combine(self, logs):
        return special.logsumexp(np.stack(logs) + self._logw.reshape((-1,) + (1,) * logs[0].ndim), axis=0)

    def _logpdf(self, x):
        return self._each(lambda c, x: c._logpdf(x), self._combine, x)

    def _logpdf_offset(self, x0, off, loff=None):
        return self._each(lambda c, *a: c._logpdf_offset(*a), self._combine, x0, off, loff)

    @staticmethod
    def _largest(errs):
        errs = [e for e in errs if e is not None]
        return np.max(errs, axis=0) if errs else None

    def _logpdf_err(self, x, lp):
        return self._each(lambda c, *a: c._logpdf_err(*a), self._largest, x, lp)

    def _logpdf_moved(self, x):
        """The largest of the components' errors from rounding a node through a nonlinear map (None if none)."""
        if not any(hasattr(c, "_logpdf_moved") for c in self._active):
            return None
        return self._each(lambda c, x: c._logpdf_moved(x) if hasattr(c, "_logpdf_moved") else None,
                          self._largest, x)

    def _logpdf_split(self, x, x0, off):
        return self._each(lambda c, *a: c._logpdf_split(*a), self._combine, x, x0, off)

    def _tails(self):
        out = []
        for side in (0, 1):
            tails = [c._tails()[side] for c in self._active]
            out.append(None if any(t is None for t in tails) else max(tails, key=Tail.heaviness))
        return tuple(out)

    def _sample(self, n, rng):
        counts = rng.multinomial(n, np.exp(self._logw))
        parts = [c._sample(int(k), rng) for c, k in zip(self._active, counts)]
        return np.concatenate(parts)[rng.permutation(n)]

    @property
    def _qmc_dims(self):
        return 1 + max(c._qmc_dims for c in self._active)

    def _from_uniform(self, u):
        # the first coordinate picks the component, the others place the point inside it
        cum = np.cumsum(np.exp(self._logw))
        k = np.minimum(np.searchsorted(cum / cum[-1], u[:, 0], side="right"), len(self._active) - 1)
        out = np.empty((u.shape[0],) if self.dim == 1 else (u.shape[0], self.dim))
        for j, c in enumerate(self._active):
            sel = k == j
            if sel.any():
                out[sel] = c._from_uniform(u[sel, 1:1 + c._qmc_dims])
        return out

    def _weighted(self, method, x):
        return sum(math.exp(lw) * getattr(c, method)(x) for c, lw in zip(self._active, self._logw))  # (O(n))

    def _cdf(self, x):
        return self._weighted("_cdf", x)

    def _sf(self, x):
        return self._weighted("_sf", x)

    def _responsibilities(self, logs):
        logs = np.stack(logs) + self._logw.reshape((-1,) + (1,) * logs[0].ndim)
        return np.exp(logs - special.logsumexp(logs, axis=0))

    @staticmethod
    def _blend(resp, scores):
        """``sum_k r_k s_k``, a component without density at x adding nothing (its score may be inf there)."""
        with np.errstate(invalid="ignore"):
            return sum(np.where(r > 0, r * s, 0.0) for r, s in zip(resp, scores))

    def _scored(self, pairs):
        """``sum_k r_k s_k`` from each component's (log-density, score)."""
        logs, scores = zip(*pairs)
        return self._blend(self._responsibilities(logs), scores)

    def _score(self, x):
        return self._each(lambda c, x: (c._logpdf(x), c._score(x)), self._scored, x)

    def _score_split(self, x, x0, off):
        return self._each(lambda c, *a: (c._logpdf_split(*a), c._score_split(*a)), self._scored, x, x0, off)

    def _score_offset(self, x0, off):
        return self._each(lambda c, *a: (c._logpdf_offset(*a), c._score_offset(*a)), self._scored, x0, off)

    def _support(self):
        lows, highs = zip(*(c._support() for c in self._active))
        return (min(lows), max(highs))

    def _union(self, method):
        return np.concatenate([getattr(c, method)() for c in self._active])

    def _breaks(self):
        # a component's support ends are jumps of the mixture, wherever they fall inside it
        ends = [e for c in self._active for e in c._support() if math.isfinite(e)]
        return np.concatenate([self._union("_breaks"), np.array(ends, dtype=float)])

    def _landmarks(self):
        return self._union("_landmarks")

    def _exact_breaks(self):
        out = {}
        for c in self._active:
            out.update(c._exact_breaks())
        return out

    def _singular(self):
        return self._union("_singular")

    def _scale(self):
        return max(c._scale() for c in self._active)

    def _mean(self):
        means = [c._mean() for c in self._active]
        if any(m is None for m in means):
            return None
        return sum(math.exp(lw) * m for lw, m in zip(self._logw, means))

    def _gaussian_parts(self):
        return [part for c in self._active for part in c._gaussian_parts()]


def _factor_2x2(s):
    """The Cholesky factor of a symmetric 2x2 matrix, its inverse and ``2 cond(s)`` (the ``d cond(L)²`` of
    :class:`MultivariateNormal`), in closed form; ValueError when ``s`` is not positive definite."""
    (a, b), (_, c) = s.tolist()
    l11 = math.sqrt(a) if a > 0 else 0.0
    l21 = b / l11 if l11 > 0 else 0.0
    rest = c - l21 * l21
    if not (l11 > 0 and rest > 0):
        raise ValueError("cov must be positive definite")
    l22 = math.sqrt(rest)
    # the eigenvalues: the larger without cancellation, the smaller as det / larger (det = (l11 l22)²)
    top = 0.5 * (a + c) + math.hypot(0.5 * (a - c), b)
    kappa = 2.0 * (top / (l11 * l22)) ** 2 if math.isfinite(top) else math.inf
    chol = np.array([[l11, 0.0], [l21, l22]])
    return chol, np.array([[1.0 / l11, 0.0], [-l21 / (l11 * l22), 1.0 / l22]]), kappa


class MultivariateNormal(Density):
    """Multivariate normal ``N(mean, cov)`` in any dimension ``d = len(mean)``.

    With ``d == 1`` it behaves as a one-dimensional density: points are plain numbers, and `cdf`,
    `sf` and `score` are available. For ``d >= 2`` a point is the last axis of an array.

    Parameters
    ----------
    mean : array_like of float, shape (d,), d >= 1
        Mean vector, finite.
    cov : array_like of float, shape (d, d)
        Covariance matrix: finite, symmetric and positive definite. Entries asymmetric by at most
        ``1e-12`` relative are averaged with their transposes; a Cholesky factor whose smallest
        diagonal entry is below ``1e-150`` times its largest counts as singular.

    Attributes
    ----------
    mean : numpy.ndarray of float64, shape (d,)
        Mean vector.
    cov : numpy.ndarray of float64, shape (d, d)
        Covariance matrix (symmetrised).
    dim : int
        ``d``.

    Raises
    ------
    TypeError
        If ``mean`` or ``cov`` is not real numbers.
    ValueError
        If ``mean`` is not a non-empty one-dimensional array, an entry is not finite, ``cov`` does
        not have shape ``(d, d)``, or is not symmetric or not positive definite.

    See Also
    --------
    Normal : The one-dimensional normal.
    Mixture : Mixtures of multivariate normals.
    gantheory.Affine : Linear maps of multivariate densities (with `gantheory.Pushforward`).

    Examples
    --------
    >>> import math
    >>> import gantheory as gt
    >>> p = gt.MultivariateNormal([0.0, 1.0], [[2.0, 0.5], [0.5, 1.0]])
    >>> lp = p.logpdf([[0.0, 1.0], [1.0, 1.0]])  # at the mean: -log(2 pi) - log(det cov) / 2
    >>> lp.shape, bool(abs(lp[0] - (-math.log(2 * math.pi) - 0.5 * math.log(1.75))) < 1e-15)
    ((2,), True)
    >>> p.sample(3, rng=0).shape
    (3, 2)
    >>> float(gt.MultivariateNormal([1.0], [[4.0]]).cdf(1.0))  # d = 1
    0.5
    """

    def __init__(self, mean, cov):
        mu = finite_array(mean, "mean")
        if mu.ndim != 1 or mu.shape[0] < 1:
            raise ValueError(f"mean must be a non-empty 1-D array, got shape {mu.shape}")
        d = mu.shape[0]
        s = finite_array(cov, "cov")
        if s.shape != (d, d):
            raise ValueError(f"cov must have shape ({d}, {d}) to match mean, got {s.shape}")
        if not np.array_equal(s, s.T):  # (most covariances are symmetric to the bit)
            if not np.all(np.abs(s - s.T) <= 1e-12 * np.abs(s.T)):
                raise ValueError("cov must be symmetric")
            s = 0.5 * (s + s.T)
        if d == 2:  # (in closed form: LAPACK's call overheads are most of a 2-D divergence on fresh objects)
            chol, chol_inv, kappa = _factor_2x2(s)
        else:
            try:
                chol = np.linalg.cholesky(s)
            except np.linalg.LinAlgError:
                raise ValueError("cov must be positive definite") from None
            # the inverse factor, applied by a matrix product: scipy's triangular solve goes through a
            # threaded BLAS that costs milliseconds per call on a busy machine
            chol_inv = np.linalg.inv(chol)
            sv = np.linalg.svd(chol, compute_uv=False)
            kappa = float(sv[0] / sv[-1]) ** 2 * d
        diag = np.diag(chol).tolist()
        if not min(diag) > 0 or min(diag) < 1e-150 * max(diag):
            raise ValueError("cov must be positive definite (it is numerically singular)")
        self.mean = mu
        self.cov = s
        self.dim = d
        self._chol = chol
        self._chol_inv = chol_inv
        self._lognorm = math.fsum(map(math.log, diag)) + 0.5 * d * _LOG_2PI
        # what relative error a quadratic form through the factor may carry, over eps: the factor's own
        # backward error (L Lᵀ = cov + E, |E| <= (d + 1) eps |L| |Lᵀ|) reaches eps cond(cov) = eps cond(L)²
        self._kappa = kappa

    def _params(self):
        return {"mean": self.mean.tolist(), "cov": self.cov.tolist()}

    def _white(self, x):
        if self.dim == 1:
            return (x - self.mean[0]) / self._chol[0, 0]
        flat = (x - self.mean).reshape(-1, self.dim)
        return (flat @ self._chol_inv.T).reshape(x.shape)

    def _logpdf(self, x):
        z = self._white(x)
        q = z * z if self.dim == 1 else np.sum(z * z, axis=-1)
        return -0.5 * q - self._lognorm

    def _logpdf_err(self, x, lp):
        # evaluated at the rounded coordinates (no anchored offsets): the gradient times their spacing
        flat = (x - self.mean).reshape(-1, self.dim)
        z = self._chol_inv @ flat.T
        grad = (self._chol_inv.T @ z).T
        spacing = np.spacing(np.abs(x)).reshape(-1, self.dim) + np.spacing(np.abs(self.mean))
        # and the triangular solve: |z|^2 carries a relative error of about eps times the factor's condition
        solve = _EPS * self._kappa * np.sum(z * z, axis=0) + 2.0 * _EPS * abs(self._lognorm)
        return (2.0 * np.sum(np.abs(grad) * spacing, axis=1) + solve).reshape(lp.shape)

    def _tails(self):
        return (Tail("exppow", 2.0, 0.5 / self._sd1() ** 2),) * 2 if self.dim == 1 else (None, None)

    def _sample(self, n, rng):
        z = rng.standard_normal((n, self.dim))
        out = self.mean + z @ self._chol.T
        return out[:, 0] if self.dim == 1 else out

    @property
    def _qmc_dims(self):
        return self.dim

    def _from_uniform(self, u):
        out = self.mean + special.ndtri(u[:, : self.dim]) @ self._chol.T
        return out[:, 0] if self.dim == 1 else out

    def _sd1(self):
        return float(self._chol[0, 0])

    def _cdf(self, x):
        return special.ndtr((x - self.mean[0]) / self._sd1())

    def _sf(self, x):
        return special.ndtr((self.mean[0] - x) / self._sd1())

    def _score(self, x):
        return (self.mean[0] - x) / self._sd1() ** 2

    def _landmarks(self):
        return self.mean[0] + self._sd1() * _NORMAL_Z if self.dim == 1 else np.empty(0)

    def _scale(self):
        return self._sd1()

    def _mean(self):
        return float(self.mean[0]) if self.dim == 1 else self.mean

    def _gaussian_parts(self):
        return [(self.mean, self.cov)]


class GridDensity(Density):
    """A tabulated one-dimensional density: linear interpolation of ``values`` on the nodes ``x``.

    The interpolant is normalised by its own quadrature (the trapezoid rule, exact for it), and is
    zero outside ``[x[0], x[-1]]``. Runs of zeros are allowed (the density vanishes there). Its `cdf`,
    `sf` and the quantiles behind `sample` are the interpolant's, in closed form; `score` is its slope
    over its value (at an interior node, the slope of the cell to the right).

    Parameters
    ----------
    x : array_like of float, shape (m,), m >= 2
        Nodes: finite, strictly increasing, within ``1e150`` in size, with cells ``x[i+1] - x[i]`` at
        least ``1e-150`` wide (as for a scale).
    values : array_like of float, shape (m,)
        Unnormalised density at the nodes: finite, non-negative, not all zero.

    Attributes
    ----------
    x : numpy.ndarray of float64, shape (m,)
        The nodes.
    values : numpy.ndarray of float64, shape (m,)
        The normalised density at the nodes (the interpolant integrates to 1).

    Raises
    ------
    TypeError
        If ``x`` or ``values`` is not real numbers.
    ValueError
        If ``x`` or ``values`` is not one-dimensional, their shapes differ, there are fewer than 2
        nodes, ``x`` is not finite, not strictly increasing, has a cell narrower than 1e-150 or a node
        beyond 1e150 in size, or ``values`` is not finite, has a negative entry or is all zero.

    See Also
    --------
    Uniform : The grid density of two nodes with equal values.
    kl_divergence : Divergences, which take grid densities like any other density.

    Examples
    --------
    >>> import gantheory as gt
    >>> g = gt.GridDensity([0.0, 1.0, 2.0], [0.0, 5.0, 0.0])  # a triangle, normalised
    >>> g.values.tolist(), float(g.pdf(0.5)), float(g.cdf(1.0))
    ([0.0, 1.0, 0.0], 0.5, 0.5)
    >>> g.pdf([-1.0, 3.0]).tolist(), g.support
    ([0.0, 0.0], (0.0, 2.0))
    >>> g.score([0.5, 1.5]).tolist()  # slope / value
    [2.0, -2.0]
    """

    def __init__(self, x, values):
        xs = finite_array(x, "x", ndim=1)
        v = real_array(values, "values", ndim=1)
        if xs.shape[0] < 2:
            raise ValueError(f"x must hold at least 2 nodes, got {xs.shape[0]}")
        if v.shape != xs.shape:
            raise ValueError(f"values has shape {v.shape} but x has shape {xs.shape}")
        h = np.diff(xs)
        if not np.all(h > 0):
            raise ValueError("x must be strictly increasing")
        if np.min(h) < _SCALE_MIN:  # as for a scale: narrower cells let the density's slope overflow
            raise ValueError(f"x must have cells at least {_SCALE_MIN:g} wide, got {float(np.min(h))!r}")
        if np.isnan(v).any() or np.isinf(v).any():
            raise ValueError("values must be finite (no NaN or inf)")
        if np.any(v < 0):
            raise ValueError("values must be non-negative")
        if np.max(np.abs(xs)) > _LOC_MAX:
            raise ValueError(f"x must lie within {_LOC_MAX:g} in size (like a location)")
        top = float(np.max(v))
        if not top > 0:
            raise ValueError("values must not be all zero (the density would not normalise)")
        v = v / top  # values are relative: scale them before the trapezoid sum so it cannot overflow
        cell = 0.5 * h * (v[:-1] + v[1:])
        total = float(np.sum(cell))
        if not total > 0:
            raise ValueError("values must not be all zero where they count (every cell has zero area)")
        self.x = xs
        self.values = v / total
        self._h = h
        self._slope = np.diff(self.values) / h
        self._cum = np.concatenate([[0.0], np.cumsum(cell / total)])
        self._rcum = np.concatenate([np.cumsum((cell / total)[::-1])[::-1], [0.0]])

    def _params(self):
        return {"x": f"<{self.x.size} nodes on [{self.x[0]:g}, {self.x[-1]:g}]>"}

    def _support(self):
        return (float(self.x[0]), float(self.x[-1]))

    def _cell(self, x):
        return np.clip(np.searchsorted(self.x, x, side="right") - 1, 0, self.x.size - 2)

    def _logpdf(self, x):
        inside = (x >= self.x[0]) & (x <= self.x[-1])
        with np.errstate(divide="ignore"):
            return np.where(inside, np.log(np.interp(x, self.x, self.values)), -np.inf)

    def _logpdf_split(self, x, x0, off):
        """The interpolant at ``x0 + off`` from its cell's left node: ``(x0 - x_k) + off`` keeps the digits
        that ``x`` itself rounds away when cells are narrow next to the nodes' size."""
        k = self._cell(x)
        t = (x0 - self.x[k]) + off
        inside = (x >= self.x[0]) & (x <= self.x[-1])
        t = np.clip(t, 0.0, self._h[k])
        with np.errstate(divide="ignore"):
            return np.where(inside, np.log(np.maximum(self.values[k] + self._slope[k] * t, 0.0)), -np.inf)

    def _singular(self):
        """Nodes where the interpolant reaches 0 from a positive cell: there ``log p`` falls like the log
        of the distance (an integrable singularity of KL's integrand), and rounding must not land a
        quadrature node on the zero itself, so those nodes are evaluated through their offsets."""
        v = self.values
        pos = v > 0
        left = np.concatenate([[False], pos[:-1]])
        right = np.concatenate([pos[1:], [False]])
        return self.x[(v == 0) & (left | right)]

    def _logpdf_offset(self, x0, off, loff=None):
        k = int(np.searchsorted(self.x, x0))
        if loff is None or k >= self.x.size or self.x[k] != x0 or self.values[k] != 0:
            return self._logpdf(x0 + off)
        # p(x0 + off) = |slope| |off| in the cell the offset points into (its sign survives underflow as ±0)
        up = ~np.signbit(off)
        last = self._slope.size - 1
        slope = np.where(up, self._slope[min(k, last)], -self._slope[max(k - 1, 0)])
        inside = np.where(up, k <= last, k > 0) & (np.abs(off) < np.where(up, self._h[min(k, last)],
                                                                           self._h[max(k - 1, 0)]))
        with np.errstate(divide="ignore"):
            out = np.log(np.maximum(slope, 0.0)) + loff
        # beyond the cell the offset form does not apply: evaluate directly (such offsets do not underflow)
        return out if inside.all() else np.where(inside, out, self._logpdf(x0 + off))

    def _within(self, x):
        k = self._cell(x)
        t = np.clip(x, self.x[0], self.x[-1]) - self.x[k]
        return k, t, self.values[k] * t + 0.5 * self._slope[k] * t * t

    def _cdf(self, x):
        k, _, part = self._within(x)
        return np.clip(self._cum[k] + part, 0.0, 1.0)

    def _sf(self, x):
        k, _, part = self._within(x)
        return np.clip(self._rcum[k] - part, 0.0, 1.0)

    def _score(self, x):
        k = self._cell(x)
        return self._slope[k] / np.interp(x, self.x, self.values)

    def _tails(self):
        return (COMPACT, COMPACT)

    def _sample(self, n, rng):
        return self._ppf(rng.random(n))

    def _ppf(self, u):
        k = np.clip(np.searchsorted(self._cum, u, side="right") - 1, 0, self.x.size - 2)
        r = u - self._cum[k]
        v, s = self.values[k], self._slope[k]
        # root of s t^2 / 2 + v t = r in its cancellation-free form
        disc = np.sqrt(np.maximum(v * v + 2.0 * s * r, 0.0))
        with np.errstate(divide="ignore", invalid="ignore"):
            t = np.where(v + disc > 0, 2.0 * r / (v + disc), 0.0)
        return np.clip(self.x[k] + np.minimum(t, self._h[k]), self.x[0], self.x[-1])

    #: Above this many cells the panel edges are a subset of the nodes (see ``_breaks``).
    _MAX_EDGES = 1 << 17

    def _breaks(self):
        """Interior nodes where the interpolant has a kink. A fine grid (beyond ``_MAX_EDGES`` cells) keeps
        every node next to a zero run and the largest kinks (relative slope changes), and an evenly spaced
        subset of the rest; the small kinks in between are the adaptive quadrature's to resolve."""
        inner = self.x[1:-1]
        if inner.size <= self._MAX_EDGES:
            return inner
        v = self.values
        zero = (v[1:-1] == 0) | (v[:-2] == 0) | (v[2:] == 0)
        jump = np.abs(np.diff(self._slope)) * self._h[:-1] / np.maximum(v[1:-1], 1e-300)
        big = np.argpartition(jump, -self._MAX_EDGES // 2)[-self._MAX_EDGES // 2:]
        keep = zero.copy()
        keep[big] = True
        keep[:: max(1, inner.size // (self._MAX_EDGES // 2))] = True
        return inner[keep]

    def _scale(self):
        return float(self.x[-1] - self.x[0]) / 4.0

    def _mean(self):
        # exact for the piecewise-linear interpolant
        x0, x1, v0, v1 = self.x[:-1], self.x[1:], self.values[:-1], self.values[1:]
        return float(np.sum((x1 - x0) * (v0 * (2 * x0 + x1) + v1 * (x0 + 2 * x1)) / 6.0))


class ScipyDensity(Density):
    """Adapter for a frozen continuous ``scipy.stats`` distribution (one-dimensional).

    `logpdf`, `cdf`, `sf`, `support` and `sample` are scipy's (so is their accuracy); `score` is not
    available. Nothing is known about its smoothness, so the quadrature treats its tails as heavy and
    its finite support ends as singular: slower than a native family.

    Parameters
    ----------
    frozen : scipy.stats.rv_continuous frozen distribution
        For example ``scipy.stats.gamma(2.0)``: a continuous distribution with its parameters fixed.
        Parameters scipy itself finds invalid (it then gives a NaN support) are refused.

    Attributes
    ----------
    frozen : scipy.stats.rv_continuous frozen distribution
        The wrapped distribution.

    Raises
    ------
    TypeError
        If ``frozen`` is not a frozen continuous ``scipy.stats`` distribution (a discrete one, an
        unfrozen one, anything else).
    ValueError
        If scipy finds the frozen parameters invalid (``scipy.stats.norm(0, -1)``).

    See Also
    --------
    as_density : Wraps frozen distributions automatically (the divergence functions call it).

    Examples
    --------
    >>> from scipy import stats
    >>> import gantheory as gt
    >>> p = gt.ScipyDensity(stats.gamma(2.0))  # x exp(-x) on x > 0
    >>> p
    ScipyDensity(frozen='gamma(2.0,)')
    >>> bool(abs(p.logpdf(1.0) + 1) < 1e-15), p.support
    (True, (0.0, inf))
    """

    _heavy = True

    def __init__(self, frozen):
        from scipy.stats import rv_continuous

        if not isinstance(getattr(frozen, "dist", None), rv_continuous) or not hasattr(frozen, "logpdf"):
            raise TypeError(f"frozen must be a frozen continuous scipy.stats distribution, got {type(frozen).__name__}")
        self.frozen = frozen
        lo, hi = frozen.support()
        self._lo, self._hi = float(lo), float(hi)
        if not self._lo < self._hi:  # scipy's answer to invalid parameters is a NaN support
            raise ValueError(f"ScipyDensity: the frozen distribution {self._params()['frozen']} has invalid "
                             f"parameters (scipy gives its support as ({lo}, {hi}))")
        q = frozen.ppf(np.array([0.02, 0.25, 0.5, 0.75, 0.98]))
        self._q = q[np.isfinite(q)]
        iqr = float(q[3] - q[1])
        self._iqr = iqr if iqr > 0 and math.isfinite(iqr) else 1.0

    def _params(self):
        return {"frozen": f"{self.frozen.dist.name}{self.frozen.args}"}

    def _support(self):
        return (self._lo, self._hi)

    def _logpdf(self, x):
        return self.frozen.logpdf(x)

    def _sample(self, n, rng):
        return np.asarray(self.frozen.rvs(size=n, random_state=rng), dtype=float)

    def _ppf(self, u):
        return self.frozen.ppf(u)

    def _cdf(self, x):
        return self.frozen.cdf(x)

    def _sf(self, x):
        return self.frozen.sf(x)

    def _score(self, x):
        raise TypeError(
            f"score is not available for the scipy adapter ({self.frozen.dist.name}); "
            "use a gantheory density"
        )

    def _landmarks(self):
        return self._q

    def _scale(self):
        return self._iqr

    def _singular(self):
        return np.array([e for e in (self._lo, self._hi) if math.isfinite(e)])

    def _mean(self):
        m = float(self.frozen.mean())
        return m if math.isfinite(m) else None


def as_density(obj, name="density"):
    """Return ``obj`` as a gantheory density.

    Densities pass through unchanged; frozen continuous ``scipy.stats`` distributions are wrapped in a
    `ScipyDensity`, and a frozen ``scipy.stats.multivariate_normal`` becomes a `MultivariateNormal`.
    The divergence, estimator and GAN functions call it on their density arguments.

    Parameters
    ----------
    obj : Density, frozen scipy.stats continuous distribution or frozen scipy.stats.multivariate_normal
        The object to convert.
    name : str, default "density"
        The parameter name that an error message gives (``"p"``, say).

    Returns
    -------
    Density
        ``obj`` itself if it is a `Density`, ``ScipyDensity(obj)`` for a frozen continuous
        distribution, ``MultivariateNormal(obj.mean, obj.cov)`` for a frozen multivariate normal.

    Raises
    ------
    TypeError
        If ``obj`` is none of these (a discrete ``scipy.stats`` distribution included); the message
        names ``name``.
    ValueError
        If a frozen multivariate normal's covariance is singular (``allow_singular=True``).

    See Also
    --------
    ScipyDensity : The adapter for one-dimensional scipy distributions.
    Density : The base class of every density.

    Examples
    --------
    >>> from scipy import stats
    >>> import gantheory as gt
    >>> p = gt.Normal()
    >>> gt.as_density(p) is p
    True
    >>> gt.as_density(stats.gumbel_r())
    ScipyDensity(frozen='gumbel_r()')
    >>> gt.as_density(stats.multivariate_normal([0, 1], [[2, 0.5], [0.5, 1]]))
    MultivariateNormal(mean=[0.0, 1.0], cov=[[2.0, 0.5], [0.5, 1.0]])
    >>> try:
    ...     gt.as_density(stats.poisson(2), "q")
    ... except TypeError as e:
    ...     print(e)
    q must be a gantheory density or a frozen scipy.stats continuous distribution, got rv_discrete_frozen
    """
    if isinstance(obj, Density):
        return obj
    dist = getattr(obj, "dist", None)
    try:
        from scipy.stats import rv_continuous
    except ImportError:  # pragma: no cover
        rv_continuous = ()
    if dist is not None and isinstance(dist, rv_continuous) and hasattr(obj, "logpdf"):
        return ScipyDensity(obj)
    if type(obj).__name__ == "multivariate_normal_frozen":
        return MultivariateNormal(obj.mean, obj.cov)
    raise TypeError(
        f"{name} must be a gantheory density or a frozen scipy.stats continuous distribution, "
        f"got {type(obj).__name__}"
    )


def _pair(p, q, names=("p", "q")):
    """Two densities of one dimension (TypeError / ValueError naming the parameter otherwise)."""
    p = as_density(p, names[0])
    q = as_density(q, names[1])
    if p.dim != q.dim:
        raise ValueError(f"{names[0]} and {names[1]} must have the same dimension, got {p.dim} and {q.dim}")
    return p, q


def _has_jumps(dens):
    """Whether a one-dimensional density is discontinuous somewhere: positive (or infinite) at a finite
    support end, or with one-sided values at a breakpoint that differ by more than a kink's slope over
    a few ulps allows (a kink next to a zero run included, where both sides are near 0)."""
    ends = np.array([e for e in dens.support if math.isfinite(e)])
    if ends.size and np.any(dens.logpdf(ends) > -np.inf):
        return True
    br = np.asarray(dens._breaks(), dtype=float)
    if not br.size:
        return False
    left, right = np.nextafter(br, -np.inf), np.nextafter(br, np.inf)
    with np.errstate(all="ignore"):
        pl, pr = np.exp(dens.logpdf(left)), np.exp(dens.logpdf(right))
        slope = np.abs(dens.score(left) * pl) + np.abs(dens.score(right) * pr)
        allowed = 8.0 * np.finfo(float).eps * np.maximum(pl, pr) + 4.0 * (right - left) * slope
        # NaN (an infinite side) counts as a jump, as does a slope that overflows (a near-jump)
        jump = ~(np.abs(pl - pr) <= allowed) | ~np.isfinite(allowed)
    return bool(np.any(jump))
