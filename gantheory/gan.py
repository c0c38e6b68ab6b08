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
    """Base class of discriminators defined by their logit: ``D(x) = sigmoid(ℓ(x))``.

    A discriminator maps a point ``x`` to ``D(x)`` in ``[0, 1]``, the probability it gives to ``x`` being
    real (docs/theory.md S1). Defined by its logit ``ℓ = log D - log(1 - D)``, it gives ``log D`` and
    ``log(1 - D)`` as ``-softplus(-ℓ)`` and ``-softplus(ℓ)``, accurate where ``D`` itself rounds to 0 or 1:
    a plain callable returning ``D = expit(ℓ)`` has ``1 - D == 0`` once ``ℓ`` exceeds about 36.7, so
    ``log(1 - D) = -inf`` there. :func:`value_function` and :func:`generator_loss` also accept a plain
    callable; :func:`generator_gradient` needs a :class:`Discriminator` with a derivative (:meth:`dlogit`).

    A subclass implements ``_logit(x)``, which receives the points as a float64 array and returns one
    logit per point (``±inf`` allowed), and, for :meth:`dlogit` and :func:`generator_gradient`,
    ``_dlogit(x)``, the derivative of the logit in one dimension. The constructor takes no arguments.

    See Also
    --------
    OptimalDiscriminator : The optimal discriminator ``D*`` of two densities.
    LogitDiscriminator : A discriminator from a vectorised logit function.
    QuadraticDiscriminator : ``D(x) = sigmoid(a x² + b x + c)``, evaluated compensated.
    value_function : ``V(G, D)`` for any discriminator.
    gantheory.estimators.fit_logistic : A logistic-regression discriminator fitted to samples.

    Examples
    --------
    >>> import numpy as np
    >>> import gantheory as gt
    >>> class Shifted(gt.Discriminator):
    ...     def _logit(self, x):
    ...         return 2.0 * (x - 1.0)
    ...     def _dlogit(self, x):
    ...         return np.full_like(x, 2.0)
    >>> d = Shifted()
    >>> float(d(1.0)), float(d.logit(3.0)), float(d.dlogit(3.0))
    (0.5, 4.0, 2.0)
    >>> float(d(401.0)), float(d.log1m(401.0))  # D rounds to 1, log(1 - D) = -softplus(800) is exact
    (1.0, -800.0)
    """

    def __call__(self, x):
        """Return ``D(x) = sigmoid(logit(x))``, in ``[0, 1]``."""
        return special.expit(self.logit(x))

    def logit(self, x):
        """Return the logit ``ℓ(x) = log D(x) - log(1 - D(x))``.

        Parameters
        ----------
        x : array_like of float
            The points: a scalar or an array of one-dimensional points or, for a discriminator of
            dimension d >= 2, points as rows of d coordinates (shape ``(..., d)``).

        Returns
        -------
        float or numpy.ndarray
            ``ℓ`` at each point: the shape of `x` (without its last axis for rows of points); ``+inf``
            where ``D = 1`` and ``-inf`` where ``D = 0``.

        Raises
        ------
        TypeError
            If `x` is not real numbers (strings, booleans, complex numbers, ragged lists).
        ValueError
            If the logit does not return one value per point, or returns NaN.
        """
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
        """Return ``log D(x)``, computed as ``-softplus(-ℓ(x))`` from the logit.

        Parameters
        ----------
        x : array_like of float
            The points: a scalar or an array of one-dimensional points or, for a discriminator of
            dimension d >= 2, points as rows of d coordinates (shape ``(..., d)``).

        Returns
        -------
        float or numpy.ndarray
            ``log D`` at each point, in ``[-inf, 0]``, the shape of :meth:`logit`'s result; accurate
            also where ``D`` rounds to 1 (there ``log D`` is about ``-exp(-ℓ)``).

        Raises
        ------
        TypeError
            If `x` is not real numbers (strings, booleans, complex numbers, ragged lists).
        ValueError
            If the logit does not return one value per point, or returns NaN.
        """
        return -np.logaddexp(0.0, -self.logit(x))

    def log1m(self, x):
        """Return ``log(1 - D(x))``, computed as ``-softplus(ℓ(x))`` from the logit.

        Parameters
        ----------
        x : array_like of float
            The points: a scalar or an array of one-dimensional points or, for a discriminator of
            dimension d >= 2, points as rows of d coordinates (shape ``(..., d)``).

        Returns
        -------
        float or numpy.ndarray
            ``log(1 - D)`` at each point, in ``[-inf, 0]``, the shape of :meth:`logit`'s result; accurate
            also where ``D`` rounds to 1 (there ``log(1 - D)`` is about ``-ℓ``).

        Raises
        ------
        TypeError
            If `x` is not real numbers (strings, booleans, complex numbers, ragged lists).
        ValueError
            If the logit does not return one value per point, or returns NaN.
        """
        return -np.logaddexp(0.0, self.logit(x))

    def dlogit(self, x):
        """Return the derivative ``dℓ/dx`` of the logit (one-dimensional discriminators only).

        :func:`generator_gradient` uses it: the derivative of ``log(1 - D)`` is ``-D ℓ'``, that of
        ``log D`` is ``(1 - D) ℓ'``.

        Parameters
        ----------
        x : array_like of float
            One-dimensional points.

        Returns
        -------
        float or numpy.ndarray
            ``ℓ'(x)`` at each point, the shape of `x`.

        Raises
        ------
        TypeError
            If the discriminator has no derivative (a :class:`LogitDiscriminator` made without
            `dlogit`, or a subclass without ``_dlogit``), or if `x` is not real numbers.
        ValueError
            If the discriminator is the optimal one of densities in two or more dimensions.
        """
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
    """The optimal discriminator ``D*(x) = p_data(x) / (p_data(x) + p_g(x))`` of two densities.

    For a fixed generator ``D*`` maximises ``V(G, D)`` ([1]_, Proposition 1; docs/theory.md S6). Its
    logit ``log p_data - log p_g`` comes from the log-densities, so ``log D*`` and ``log(1 - D*)`` keep
    their accuracy where ``D*`` rounds to 0 or 1. Where the two log-densities are equal (both ``-inf``
    outside both supports, where ``D*`` is arbitrary, or both ``+inf``) the logit is 0 and ``D* = 1/2``.
    Its :meth:`dlogit` is the difference of the densities' scores (one dimension).

    Parameters
    ----------
    p_data : Density or frozen scipy.stats continuous distribution
        The data density (a frozen ``scipy.stats`` distribution is wrapped by
        :func:`~gantheory.as_density`).
    p_g : Density or frozen scipy.stats continuous distribution
        The generator's density, of the same dimension as `p_data`.

    Attributes
    ----------
    p_data, p_g : Density
        The two densities, as gantheory densities.
    dim : int
        Their dimension: a point is a row of `dim` coordinates when ``dim >= 2``.

    Raises
    ------
    TypeError
        If `p_data` or `p_g` is neither a gantheory density nor a frozen ``scipy.stats`` continuous
        distribution.
    ValueError
        If `p_data` and `p_g` differ in dimension.

    See Also
    --------
    optimal_discriminator : The same, as a function.
    virtual_criterion : ``C(G) = V(G, D*)``.
    value_function : ``V(G, D)``, which ``D*`` maximises.
    Discriminator : The base class and its methods.

    References
    ----------
    .. [1] I. Goodfellow, J. Pouget-Abadie, M. Mirza, B. Xu, D. Warde-Farley, S. Ozair, A. Courville and
       Y. Bengio, "Generative Adversarial Nets", NeurIPS, 2014.

    Examples
    --------
    >>> import gantheory as gt
    >>> d = gt.OptimalDiscriminator(gt.Normal(0, 1), gt.Normal(10, 1))
    >>> float(d(5.0))  # p_data = p_g halfway between the means
    0.5
    >>> float(d(-30.0)), round(float(d.log1m(-30.0)), 10)  # D* rounds to 1; log(1 - D*) = -350
    (1.0, -350.0)
    >>> float(d.dlogit(0.0))  # d/dx (log p_data - log p_g) = -x + (x - 10)
    -10.0
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
        if self.p_data.dim != 1:
            raise ValueError(f"dlogit: D* of {self.p_data.dim}-dimensional densities has a gradient, not a "
                             "derivative; dlogit takes one-dimensional discriminators only")
        return self.p_data._score(x) - self.p_g._score(x)


class LogitDiscriminator(Discriminator):
    """A discriminator ``D(x) = sigmoid(logit(x))`` given by a vectorised logit function.

    Parameters
    ----------
    logit : callable
        ``logit(x) -> ℓ(x)``: takes the points as a float64 array (shape ``(n,)`` in one dimension, one
        point per row, ``(n, d)``, in d) and returns one real value per point; ``+inf`` and ``-inf``
        mean ``D = 1`` and ``D = 0``. A wrong shape or NaN raises ValueError where it is evaluated.
    dlogit : callable or None, default None
        ``dlogit(x) -> dℓ/dx`` at one-dimensional points, one finite value per point; needed by
        :meth:`dlogit` and :func:`generator_gradient`. None: the discriminator has no derivative.

    Raises
    ------
    TypeError
        If `logit` is not callable, or `dlogit` is neither None nor callable.

    See Also
    --------
    QuadraticDiscriminator : A quadratic logit, evaluated compensated.
    Discriminator : The base class and its methods.
    gantheory.estimators.fit_logistic : Returns a fitted LogitDiscriminator.
    value_function : ``V(G, D)``.

    Examples
    --------
    >>> import numpy as np
    >>> import gantheory as gt
    >>> d = gt.LogitDiscriminator(lambda x: 3.0 * x, lambda x: np.full_like(x, 3.0))
    >>> float(d(0.0)), float(d.dlogit(2.0))
    (0.5, 3.0)
    >>> float(d.log1m(300.0))  # D rounds to 1; log(1 - D) = -softplus(900)
    -900.0
    >>> p = gt.Normal(0, 1)
    >>> v = gt.value_function(p, p, d)  # E[log D] + E[log(1 - D)] = E[-|ℓ| - 2 log(1 + exp(-|ℓ|))]
    >>> abs(v + 2.7881560863171993) < 1e-12  # that expectation by mpmath.quad: -2.78815608631719928
    True
    """

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
    """The one-dimensional discriminator ``D(x) = sigmoid(a x² + b x + c)``.

    Its family contains ``D*`` of two normals: for ``N(μ1, σ1²)`` data and an ``N(μ2, σ2²)`` generator,
    ``log p_data - log p_g`` has ``a = 1/(2σ2²) - 1/(2σ1²)``, ``b = μ1/σ1² - μ2/σ2²`` and
    ``c = μ2²/(2σ2²) - μ1²/(2σ1²) + log(σ2/σ1)``. The logit and its derivative are evaluated by the
    compensated Horner scheme of [1]_: as accurate as Horner's rule in twice the working precision,
    then rounded (relative error at most ``u + γ_4² cond``, with ``u = 2^-53``, ``γ_4 = 4u / (1 - 4u)``
    and the condition number ``cond = (|a| x² + |b x| + |c|) / |ℓ(x)|``, against ``γ_4 cond`` for plain
    Horner), so the logit keeps its relative accuracy where ``a x² + b x`` nearly cancels ``c``. Where
    an error-free product overflows (Veltkamp's split of a value beyond about 1.3e300), the plain
    Horner value is used.

    Parameters
    ----------
    a, b, c : float
        The coefficients of the logit; finite real numbers.

    Attributes
    ----------
    a, b, c : float
        The coefficients, as floats.

    Raises
    ------
    TypeError
        If a coefficient is not a real scalar (a string, a boolean, an array).
    ValueError
        If a coefficient is not finite.

    See Also
    --------
    LogitDiscriminator : Any vectorised logit.
    OptimalDiscriminator : ``D*`` itself, from the two densities.
    generator_gradient : Uses the exact derivative ``ℓ' = 2 a x + b``.
    Discriminator : The base class and its methods.

    References
    ----------
    .. [1] S. Graillat, Ph. Langlois and N. Louvet, "Compensated Horner Scheme", Research Report
       RR2005-04, Université de Perpignan Via Domitia, 2005.

    Examples
    --------
    >>> import math
    >>> import numpy as np
    >>> import gantheory as gt
    >>> d = gt.QuadraticDiscriminator(-0.375, -0.25, 0.125 + math.log(2.0))  # D* of N(0, 1) vs N(1, 2²)
    >>> d_star = gt.optimal_discriminator(gt.Normal(0, 1), gt.Normal(1, 2))
    >>> x = np.linspace(-5.0, 5.0, 11)
    >>> bool(np.max(np.abs(d.logit(x) - d_star.logit(x))) < 1e-14)
    True

    Near a double root the compensated logit keeps its digits, where plain Horner loses them:

    >>> from fractions import Fraction
    >>> d = gt.QuadraticDiscriminator(1.0, -2.0, 1.0)  # ℓ(x) = (x - 1)²
    >>> x = 1.00000001
    >>> exact = float((Fraction(x) - 1) ** 2)
    >>> float(d.logit(x)) == exact, (x - 2.0) * x + 1.0 == exact
    (True, False)
    """

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
    """Return the optimal discriminator ``D*(x) = p_data(x) / (p_data(x) + p_g(x))``.

    For a fixed generator, ``D*`` maximises ``V(G, D)`` ([1]_, Proposition 1; docs/theory.md S6).

    Parameters
    ----------
    p_data : Density or frozen scipy.stats continuous distribution
        The data density (a frozen ``scipy.stats`` distribution is wrapped by
        :func:`~gantheory.as_density`).
    p_g : Density or frozen scipy.stats continuous distribution
        The generator's density, of the same dimension as `p_data`.

    Returns
    -------
    OptimalDiscriminator
        ``D*`` as a callable :class:`Discriminator`, with ``log D*``, ``log(1 - D*)`` and the logit
        ``log p_data - log p_g`` (1/2 where both densities vanish).

    Raises
    ------
    TypeError
        If `p_data` or `p_g` is neither a gantheory density nor a frozen ``scipy.stats`` continuous
        distribution.
    ValueError
        If `p_data` and `p_g` differ in dimension.

    See Also
    --------
    OptimalDiscriminator : The class returned.
    value_function : ``V(G, D)``, which ``D*`` maximises.
    virtual_criterion : ``C(G) = V(G, D*)``.
    pointwise_argmax : The pointwise lemma behind ``D*``.

    References
    ----------
    .. [1] I. Goodfellow, J. Pouget-Abadie, M. Mirza, B. Xu, D. Warde-Farley, S. Ozair, A. Courville and
       Y. Bengio, "Generative Adversarial Nets", NeurIPS, 2014.

    Examples
    --------
    >>> import gantheory as gt
    >>> d = gt.optimal_discriminator(gt.Normal(0, 1), gt.Normal(0, 1))
    >>> float(d(0.3))
    0.5
    >>> d = gt.optimal_discriminator(gt.Uniform(0, 1), gt.Uniform(0.5, 2))
    >>> [round(float(v), 12) for v in d([0.25, 0.75, 1.5, 3.0])]  # 1, 1/(1 + 2/3), 0, 1/2 outside both
    [1.0, 0.6, 0.0, 0.5]
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
    r"""Compute the GAN value function ``V(G, D) = E_{p_data}[log D] + E_{p_g}[log(1 - D)]`` by quadrature.

    The objective of the two-player game of [1]_ (eq. 1; docs/theory.md S1, S4), integrated over x as
    ``∫ p_data(x) log D(x) + p_g(x) log(1 - D(x)) dx``. It is at most 0, and at most
    ``C(G) = V(G, D*)`` (:func:`virtual_criterion`) for every ``D``.

    Parameters
    ----------
    p_data : Density or frozen scipy.stats continuous distribution
        The data density (a frozen ``scipy.stats`` distribution is wrapped by
        :func:`~gantheory.as_density`).
    p_g : Density or frozen scipy.stats continuous distribution
        The generator's density, of the same dimension as `p_data`.
        With ``space="z"``, a :class:`~gantheory.Pushforward` (a generator ``G`` applied to noise).
    d : callable or Discriminator
        ``x -> D(x)`` in ``[0, 1]`` (one value per point; points of a d-dimensional pair are rows).
        A plain callable computing ``D = expit(ℓ)`` has ``1 - D == 0`` where ``ℓ`` exceeds about 36.7,
        giving ``log(1 - D) = -inf``; an infinite value counts where the node's weight (its density
        times the quadrature weight) exceeds ``exp(-745)``, the float64 underflow. A
        :class:`Discriminator` (defined by its logit) keeps ``log D`` and ``log(1 - D)`` accurate
        everywhere.
    space : {"x", "z"}, default "x"
        ``"x"`` integrates ``p_data log D + p_g log(1 - D)`` over x. ``"z"`` integrates the second term
        over the noise, ``∫ p_z(z) log(1 - D(G(z))) dz`` (the law of the unconscious statistician).
        There ``D`` (``D*`` too) is read at the images ``G(z)`` rounded to floats, and the error bar
        carries what that rounding, and ``D*``'s jumps at support ends that are not floats, can cost.
    rtol : float, >= 0, default 1e-12
        Relative tolerance of the quadrature (in one dimension relative to the integral of the
        integrand's absolute value, so a total that cancels is not asked for more than its parts allow).
    atol : float, >= 0, default 0.0
        Absolute tolerance; `rtol` and `atol` must not both be 0.
    **options
        Quadrature options: ``max_panels`` (int >= 1; default ``max(20000, 4 × number of segments)``),
        ``max_rounds`` (int >= 1, default 80), ``max_nodes`` (float > 0, default 3e7: the tensor grid in
        d >= 2), ``breaks`` (1-D array of finite points, one dimension only: extra panel edges where `d`
        has kinks or jumps that the densities do not know of), ``rule`` (``"tensor"`` or ``"sparse"``, d >= 2;
        default: sparse from d = 3 where the Gaussian parts share a covariance or the tensor grid would not fit in
        ``max_nodes``, else tensor).

    Returns
    -------
    Estimate
        ``V`` as a float, with ``error`` (a bound on the absolute error: the quadrature's error
        estimate plus the propagated round-off, including that of `d` across one float spacing of
        each node), ``neval``, ``method="quad"`` and ``converged``. ``-inf`` (with error 0) when ``D = 0``
        on data mass or ``D = 1`` on generator mass. ``converged=False``, with an
        :class:`~gantheory.AccuracyWarning`, when the tolerance was not met; `error` is then the
        accuracy reached.

    Raises
    ------
    TypeError
        If `p_data` or `p_g` is neither a gantheory density nor a frozen ``scipy.stats`` continuous
        distribution, or if `d` is not callable, `space` is not a string, ``space="z"`` is given a
        `p_g` that is not a :class:`~gantheory.Pushforward`, an option is unknown, or a tolerance or
        option is of the wrong type.
    ValueError
        If `p_data` and `p_g` differ in dimension, `space` is neither "x" nor "z", `d` returns values
        outside ``[0, 1]``, NaN or not one value per point, a tolerance or option is out of range, or
        the integrand is ``+inf`` at some points and ``-inf`` at others (an undefined integral).

    See Also
    --------
    virtual_criterion : ``C(G) = max_D V(G, D) = V(G, D*)``.
    optimal_discriminator : The ``D*`` that maximises ``V`` for a fixed generator.
    generator_loss : The part of ``V`` the generator minimises, and the non-saturating loss.
    pointwise_objective : The integrand's form ``a log y + b log(1 - y)`` at one point.
    gantheory.quadrature.expectation : ``E_p[g(X)]`` of any function by the same quadrature.

    References
    ----------
    .. [1] I. Goodfellow, J. Pouget-Abadie, M. Mirza, B. Xu, D. Warde-Farley, S. Ozair, A. Courville and
       Y. Bengio, "Generative Adversarial Nets", NeurIPS, 2014.

    Examples
    --------
    >>> import math
    >>> import gantheory as gt
    >>> p = gt.Normal(0, 1)
    >>> float(gt.value_function(p, p, lambda x: 0.5 + 0 * x)) == -math.log(4)
    True
    >>> p_g = gt.Pushforward(gt.Normal(0, 1), gt.Affine(1.0, 1.3))  # G(z) = z + 1.3
    >>> d_star = gt.optimal_discriminator(p, p_g)
    >>> v = gt.value_function(p, p_g, d_star)  # = C(G); by mpmath.quad, -1.03553224941409027
    >>> abs(v + 1.0355322494140903) < 1e-12, v.converged
    (True, True)
    >>> abs(v - gt.value_function(p, p_g, d_star, space="z")) < 1e-13  # over the noise
    True
    >>> float(gt.value_function(p, p_g, lambda x: 0.0 * x))  # D = 0 on real mass
    -inf
    """
    check_options("value_function", options, _KW_V)
    p_data, p_g = _pair(p_data, p_g, ("p_data", "p_g"))
    _check_disc(d)
    choice(space, "space", ("x", "z"))
    reads_x = not isinstance(d, OptimalDiscriminator)  # (a discriminator of the rounded x: see _end_slivers)
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
            return _integrate_pair((p_data, p_g), K.LINEAR, evaluate, rtol=rtol, atol=atol,
                                   window=(lambda nodes: _disc_logs(d, nodes)) if reads_x else None, **options)
        # a logit that bends where neither density has a landmark: each term over its own density, with
        # the bends as hints (one integral's panels, made for the larger term, can step over the other's)
        real = expect_nodes(p_data, lambda nodes: _disc_logs(d, nodes)[0], hints=(p_g, *bends), rtol=rtol,
                            atol=atol, noise=lambda nodes: _disc_spread(d, nodes.x, 0), reads_x=reads_x, **options)
        fake = expect_nodes(p_g, lambda nodes: _disc_logs(d, nodes)[1], hints=(p_data, *bends), rtol=rtol,
                            atol=atol, noise=lambda nodes: _disc_spread(d, nodes.x, 1), reads_x=reads_x, **options)
        return _summed(real, fake)
    if not isinstance(p_g, Pushforward):
        raise TypeError(f"space='z' needs p_g to be a Pushforward (a generator), got {type(p_g).__name__}")
    bends = _bends(d, p_data, p_g)
    real = expect_nodes(p_data, lambda nodes: _disc_logs(d, nodes)[0], hints=(p_g, *bends), rtol=rtol, atol=atol,
                        noise=lambda nodes: _disc_spread(d, nodes.x, 0), reads_x=reads_x, **options)
    fake = expect_nodes(p_g.base, lambda nodes: _fake_logs(d, p_g, nodes),
                        hints=_pulled_back((p_data, *bends), p_g.transform), rtol=rtol, atol=atol,
                        noise=lambda nodes: _disc_spread(d, nodes.mapped(p_g.transform).x, 1, rounded=True),
                        reads_x=reads_x, **options)
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
    r"""Compute the virtual training criterion ``C(G) = max_D V(G, D) = -log 4 + 2 JSD(p_data || p_g)``.

    ``C(G) = V(G, D*)`` ([1]_, Section 4.1 and Theorem 1; docs/theory.md S7-S10), computed from the
    JSD integral of :func:`~gantheory.js_divergence`: with ``method="quad"``, the bound
    ``C(G) >= -log 4`` of Theorem 1 (attained at ``p_g = p_data``) holds exactly in floating point, and
    ``C(G) = 0`` exactly for disjoint supports.

    Parameters
    ----------
    p_data : Density or frozen scipy.stats continuous distribution
        The data density (a frozen ``scipy.stats`` distribution is wrapped by
        :func:`~gantheory.as_density`).
    p_g : Density or frozen scipy.stats continuous distribution
        The generator's density, of the same dimension as `p_data`.
    base : None or float, > 1, default None
        The base of the logarithm: None (or ``math.e``) for nats, 2 for bits, where
        ``C(G) = -2 + 2 JSD`` with JSD in bits.
    **options
        The options of :func:`~gantheory.js_divergence`: ``method`` (``"quad"``, the default, or the
        estimators ``"mc"``, ``"qmc"``, ``"knn"`` and ``"discriminator"``, the last an estimate of a
        lower bound of the JSD), ``rtol`` (float >= 0, default 1e-12) and ``atol`` (float >= 0, default
        0; not both 0), then the quadrature options ``max_panels``, ``max_rounds``, ``max_nodes`` and
        ``breaks`` (see :func:`value_function`), or the options of the chosen estimator (``n``, ``rng``
        and its own: see
        :func:`gantheory.estimators.monte_carlo`, :func:`gantheory.estimators.quasi_monte_carlo`,
        :func:`gantheory.estimators.knn_jsd`, :func:`gantheory.estimators.discriminator_jsd`).

    Returns
    -------
    Estimate
        ``C(G)`` in the unit of `base`, in ``[-log 4, 0]`` with ``method="quad"``. ``error`` is
        twice the JSD's (plus rounding): a bound on the absolute error for quadrature, the standard
        error for a sampled estimate; ``neval`` and ``method`` are the JSD's. ``converged=False``, with an
        :class:`~gantheory.AccuracyWarning`, when the quadrature did not meet the tolerance.

    Raises
    ------
    TypeError
        If `p_data` or `p_g` is neither a gantheory density nor a frozen ``scipy.stats`` continuous
        distribution, or if `base` is not a real number, an option is unknown for the chosen method,
        or an option is of the wrong type.
    ValueError
        If `p_data` and `p_g` differ in dimension, `base` is not finite and greater than 1, the method
        is unknown, or a tolerance or option is out of range.

    See Also
    --------
    value_function : ``V(G, D)`` for any discriminator; ``V(G, D*)`` equals ``C(G)``.
    optimal_discriminator : The maximiser ``D*``.
    gantheory.js_divergence : The Jensen-Shannon divergence ``C(G)`` is computed from.

    References
    ----------
    .. [1] I. Goodfellow, J. Pouget-Abadie, M. Mirza, B. Xu, D. Warde-Farley, S. Ozair, A. Courville and
       Y. Bengio, "Generative Adversarial Nets", NeurIPS, 2014.

    Examples
    --------
    >>> import gantheory as gt
    >>> float(gt.virtual_criterion(gt.Uniform(0, 1), gt.Uniform(2, 3)))  # disjoint supports
    0.0
    >>> float(gt.virtual_criterion(gt.Normal(0, 1), gt.Normal(0, 1), base=2))  # -log2(4)
    -2.0
    >>> p, q = gt.Normal(0, 1), gt.Normal(1, 1)
    >>> c = gt.virtual_criterion(p, q)
    >>> v = gt.value_function(p, q, gt.optimal_discriminator(p, q))  # V(G, D*): its own integral
    >>> exact = -1.1634513967504183  # -log 4 + 2 JSD by mpmath.quad at 40 digits: -1.16345139675041825940
    >>> round(float(c), 12), abs(c - v) < 1e-12, abs(c - exact) < 1e-12
    (-1.16345139675, True, True)
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
    r"""Compute the generator's loss at a fixed discriminator (``D*`` by default).

    The generator minimises, over its parameters,

    - ``loss="minimax"``: ``E_{p_g}[log(1 - D(x))]``, the part of ``V(G, D)`` that depends on G
      ([1]_, eq. 1; docs/theory.md S2). At ``D = D*`` it equals ``KL(p_g || m) - log 2`` with
      ``m = (p_data + p_g)/2``, in ``[-log 2, 0]``.
    - ``loss="non_saturating"``: ``-E_{p_g}[log D(x)]``, the alternative [1]_ recommends (Section 3),
      whose gradient does not vanish where ``D`` rejects the generator's samples (S3).

    Parameters
    ----------
    p_data : Density or frozen scipy.stats continuous distribution
        The data density: it defines the default ``D*``, and its breakpoints (where ``D*`` jumps) shape
        the panels.
    p_g : Density or frozen scipy.stats continuous distribution
        The generator's density, of the same dimension as `p_data`: the expectation is over it.
    d : callable, Discriminator or None, default None
        ``x -> D(x)`` in ``[0, 1]`` (one value per point), as in :func:`value_function`; None:
        ``optimal_discriminator(p_data, p_g)``.
    loss : {"minimax", "non_saturating"}, default "minimax"
        Which loss.
    rtol : float, >= 0, default 1e-12
        Relative tolerance of the quadrature (in one dimension relative to the integral of the
        integrand's absolute value, so a total that cancels is not asked for more than its parts allow).
    atol : float, >= 0, default 0.0
        Absolute tolerance; `rtol` and `atol` must not both be 0.
    **options
        Quadrature options: ``max_panels`` (int >= 1; default ``max(20000, 4 × number of segments)``),
        ``max_rounds`` (int >= 1, default 80), ``max_nodes`` (float > 0, default 3e7: the tensor grid in
        d >= 2), ``breaks`` (1-D array of finite points, one dimension only: extra panel edges where `d`
        has kinks or jumps that the densities do not know of), ``rule`` (``"tensor"`` or ``"sparse"``, d >= 2;
        default: sparse from d = 3 where the Gaussian parts share a covariance or the tensor grid would not fit in
        ``max_nodes``, else tensor).

    Returns
    -------
    Estimate
        The loss, with ``error`` (a bound on the absolute error: the quadrature's error estimate plus
        propagated round-off), ``neval``, ``method="quad"`` and ``converged``. The minimax loss is
        ``-inf`` where ``D = 1`` on generator mass, the non-saturating one ``+inf`` where ``D = 0`` on
        generator mass (at ``D*``: where the generator puts mass and the data have none).
        ``converged=False``, with an :class:`~gantheory.AccuracyWarning`, when the tolerance was not
        met; `error` is then the accuracy reached.

    Raises
    ------
    TypeError
        If `p_data` or `p_g` is neither a gantheory density nor a frozen ``scipy.stats`` continuous
        distribution, or if `d` is not callable, `loss` is not a string, an option is unknown, or a
        tolerance or option is of the wrong type.
    ValueError
        If `p_data` and `p_g` differ in dimension, `loss` is unknown, `d` returns values outside
        ``[0, 1]``, NaN or not one value per point, or a tolerance or option is out of range.

    See Also
    --------
    generator_gradient : The gradient of this loss for an affine generator.
    value_function : ``V(G, D)``, whose second term is the minimax loss.
    virtual_criterion : ``C(G)``, whose gradient the minimax gradient at ``D*`` is.

    References
    ----------
    .. [1] I. Goodfellow, J. Pouget-Abadie, M. Mirza, B. Xu, D. Warde-Farley, S. Ozair, A. Courville and
       Y. Bengio, "Generative Adversarial Nets", NeurIPS, 2014.

    Examples
    --------
    >>> import math
    >>> import gantheory as gt
    >>> p = gt.Normal(0, 1)
    >>> abs(gt.generator_loss(p, p) + math.log(2)) < 1e-15  # D* = 1/2: log(1/2)
    True
    >>> abs(gt.generator_loss(p, p, loss="non_saturating") - math.log(2)) < 1e-15
    True
    >>> float(gt.generator_loss(gt.Uniform(0, 1), p, loss="non_saturating"))  # D* = 0 outside [0, 1]
    inf
    """
    check_options("generator_loss", options, _KW_LOSS)
    p_data, p_g = _pair(p_data, p_g, ("p_data", "p_g"))
    choice(loss, "loss", LOSSES)
    d = optimal_discriminator(p_data, p_g) if d is None else d
    _check_disc(d)
    est = expect_nodes(p_g, lambda nodes: _loss_integrand(loss, *_disc_logs(d, nodes)),
                       hints=_loss_hints(p_data, p_g, d), rtol=rtol, atol=atol,
                       reads_x=not isinstance(d, OptimalDiscriminator), **options)
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
    r"""Compute the gradient of :func:`generator_loss` with respect to an affine generator's parameters.

    The generator is ``p_g = Pushforward(p_z, Affine(scale, shift))``, ``x = G(z) = scale z + shift``.
    The gradient of the minimax or non-saturating loss of [1]_ is taken with respect to
    ``θ = (scale, shift)`` at a fixed discriminator ``d``: by default ``D*`` of the current ``p_data``
    and ``p_g``, where (Danskin's theorem) the minimax gradient is the gradient of ``C(G)``
    (docs/theory.md S12). With ``h`` the loss density and ``ℓ`` the logit of ``D``, by reparametrisation
    ``∂/∂θ E_z[h(G_θ(z))] = E_{p_g}[h'(x) ∂x/∂θ]`` with ``∂x/∂scale = z = (x - shift)/scale``,
    ``∂x/∂shift = 1``, and ``h' = -D ℓ'`` (minimax) or ``h' = -(1 - D) ℓ'`` (non-saturating). The
    minimax factor ``D`` vanishes where ``D`` rejects the fakes: the saturation of S3.

    Where ``D*`` jumps inside the support of ``p_g`` (``p_data`` with a support end or a jump there,
    such as uniform or beta data), the reparametrised integrand misses the mass that crosses the jump
    (and diverges where ``p_data`` does). There the gradient is computed in score-function form,
    ``E_z[(h(G(z)) - L) ∂/∂θ log p_g(G(z))]`` with ``L`` the loss, ``∂ log p_g/∂shift = -ψ(z)/scale``
    and ``∂ log p_g/∂scale = -(1 + z ψ(z))/scale`` (``ψ`` the score of ``p_z``), which holds whatever
    ``h`` does (integrated over the noise, where ``z`` keeps its digits, when ``|scale|`` is below 1e-4
    of ``|shift|`` or of the data's scale).

    Parameters
    ----------
    p_data : Density or frozen scipy.stats continuous distribution
        The data density, one-dimensional.
    p_g : Pushforward
        The generator: a one-dimensional ``Pushforward(p_z, Affine(scale, shift))``.
    d : Discriminator or None, default None
        A :class:`Discriminator` with a derivative (:meth:`Discriminator.dlogit`): an
        :class:`OptimalDiscriminator`, a :class:`QuadraticDiscriminator`, or a
        :class:`LogitDiscriminator` made with `dlogit` (one finite value per point). None:
        ``optimal_discriminator(p_data, p_g)``.
    loss : {"minimax", "non_saturating"}, default "minimax"
        The loss differentiated (see :func:`generator_loss`).
    rtol : float, >= 0, default 1e-12
        Relative tolerance of each integral (in one dimension relative to the integral of the
        integrand's absolute value, so a total that cancels is not asked for more than its parts allow).
    atol : float, >= 0, default 0.0
        Absolute tolerance; `rtol` and `atol` must not both be 0.
    **options
        Quadrature options: ``max_panels`` (int >= 1; default ``max(20000, 4 × number of segments)``),
        ``max_rounds`` (int >= 1, default 80), ``max_nodes`` (float > 0, default 3e7: the tensor grid in
        d >= 2), ``breaks`` (1-D array of finite points, one dimension only: extra panel edges where `d`
        has kinks or jumps that the densities do not know of), ``rule`` (``"tensor"`` or ``"sparse"``, d >= 2;
        default: sparse from d = 3 where the Gaussian parts share a covariance or the tensor grid would not fit in
        ``max_nodes``, else tensor).

    Returns
    -------
    EstimateArray
        ``[dL/dscale, dL/dshift]``: two floats with ``error`` (each component's bound on the absolute
        error: the quadrature's error estimate plus propagated round-off), ``neval`` (of both
        integrals), ``method="quad"`` and ``converged``: False, with an
        :class:`~gantheory.AccuracyWarning`, when either integral stopped short of the tolerance.

    Raises
    ------
    TypeError
        If `p_g` is not a one-dimensional ``Pushforward`` of an ``Affine`` map, `d` is not a
        :class:`Discriminator` or has no derivative, `p_data` is not a density, `loss` is not a string,
        an option is unknown, or a tolerance or option is of the wrong type.
    ValueError
        Where the gradient does not exist: the loss is infinite (``p_g`` has mass where ``D`` is 0 or 1);
        ``D = D*`` of this `p_g` and ``p_g`` has a bounded support or a base density with jumps (``D*``
        then jumps at points that move with the parameters); ``D*`` jumps inside the support of ``p_g``
        and ``p_g`` has a bounded support or a base with jumps; or the scale leaves the jumps of ``D*``
        too close together in float64 to integrate. Also if `p_data` and `p_g` differ in dimension,
        `loss` is unknown, `dlogit` returns non-finite values or not one value per point, or a
        tolerance or option is out of range.

    See Also
    --------
    generator_loss : The loss differentiated.
    virtual_criterion : ``C(G)``: at ``D*`` the minimax gradient is its gradient.
    QuadraticDiscriminator : A smooth discriminator with an exact derivative.
    gantheory.training.parametric : Training runs of affine and sinh-arcsinh generators.

    References
    ----------
    .. [1] I. Goodfellow, J. Pouget-Abadie, M. Mirza, B. Xu, D. Warde-Farley, S. Ozair, A. Courville and
       Y. Bengio, "Generative Adversarial Nets", NeurIPS, 2014.

    Examples
    --------
    >>> import gantheory as gt
    >>> p_data = gt.Normal(0, 1)
    >>> def p_g(scale, shift):
    ...     return gt.Pushforward(gt.Normal(0, 1), gt.Affine(scale, shift))
    >>> g = gt.generator_gradient(p_data, p_g(1.0, 1.3))  # mpmath (diff of quad): -0.29185643866, 0.44900990564
    >>> [round(float(v), 10) for v in g], g.converged
    ([-0.2918564387, 0.4490099056], True)

    At ``D*`` the minimax gradient is that of ``C(G)`` (Danskin): compare central differences.

    >>> def c(scale, shift):
    ...     return float(gt.virtual_criterion(p_data, p_g(scale, shift)))
    >>> h = 1e-5
    >>> fd = [(c(1 + h, 1.3) - c(1 - h, 1.3)) / (2 * h), (c(1, 1.3 + h) - c(1, 1.3 - h)) / (2 * h)]
    >>> bool(abs(g[0] - fd[0]) < 1e-7 and abs(g[1] - fd[1]) < 1e-7)
    True
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
    r"""Return the maximiser ``y* = a / (a + b)`` of ``y -> a log y + b log(1 - y)`` on ``[0, 1]``.

    The pointwise lemma behind ``D*`` (docs/theory.md S5; [1]_, proof of Proposition 1): with
    ``a = p_data(x)`` and ``b = p_g(x)`` it gives ``D*(x)``. The maximiser is unique. Computed as the
    ratio of ``a`` and ``b`` scaled by ``max(a, b)``, so ``a + b`` cannot overflow.

    Parameters
    ----------
    a : array_like of float, >= 0
        The weight of ``log y``; finite.
    b : array_like of float, >= 0
        The weight of ``log(1 - y)``; finite, broadcast with `a`; not zero where `a` is.

    Returns
    -------
    float or numpy.ndarray
        ``y*`` in ``[0, 1]``, of the broadcast shape of `a` and `b` (a float for scalars).

    Raises
    ------
    TypeError
        If `a` or `b` is not real numbers (strings, booleans, complex numbers).
    ValueError
        If `a` or `b` is not finite or is negative, they do not broadcast together, or both are zero at
        some position (every ``y`` is then a maximiser).

    See Also
    --------
    pointwise_objective : The objective maximised.
    optimal_discriminator : The lemma applied at every ``x``.

    References
    ----------
    .. [1] I. Goodfellow, J. Pouget-Abadie, M. Mirza, B. Xu, D. Warde-Farley, S. Ozair, A. Courville and
       Y. Bengio, "Generative Adversarial Nets", NeurIPS, 2014.

    Examples
    --------
    >>> import gantheory as gt
    >>> float(gt.pointwise_argmax(1.0, 3.0))
    0.25
    >>> gt.pointwise_argmax([1.0, 0.0, 2.0], [1.0, 1.0, 0.0]).tolist()
    [0.5, 0.0, 1.0]
    >>> float(gt.pointwise_argmax(1e308, 1e308))  # a + b would overflow
    0.5
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
    """Return ``a log y + b log(1 - y)``, with ``0 log 0 = 0``.

    The integrand of ``V(G, D)`` at one point (``a = p_data(x)``, ``b = p_g(x)``, ``y = D(x)``;
    docs/theory.md S5), maximised at ``y = a / (a + b)`` (:func:`pointwise_argmax`).

    Parameters
    ----------
    y : array_like of float, in [0, 1]
        The points.
    a : array_like of float, >= 0
        The weight of ``log y``; finite.
    b : array_like of float, >= 0
        The weight of ``log(1 - y)``; finite. `y`, `a` and `b` broadcast together.

    Returns
    -------
    float or numpy.ndarray
        The objective, at most 0, of the broadcast shape (a float for scalars); ``-inf`` where a
        positive weight meets ``log 0``, or where the value lies below the float64 range.

    Raises
    ------
    TypeError
        If `y`, `a` or `b` is not real numbers (strings, booleans, complex numbers).
    ValueError
        If `y` is not finite or lies outside ``[0, 1]``, `a` or `b` is not finite or is negative, or
        the three do not broadcast together.

    See Also
    --------
    pointwise_argmax : Its maximiser.
    value_function : Its integral over x.

    Examples
    --------
    >>> import math
    >>> import gantheory as gt
    >>> v = gt.pointwise_objective(0.25, 1.0, 3.0)  # log(1/4) + 3 log(3/4), the maximum
    >>> bool(abs(v - (math.log(0.25) + 3 * math.log(0.75))) < 1e-15)
    True
    >>> bool(gt.pointwise_objective(0.3, 1.0, 3.0) < v)
    True
    >>> float(gt.pointwise_objective(0.0, 0.0, 2.0)), float(gt.pointwise_objective(0.0, 1.0, 0.0))
    (0.0, -inf)
    """
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

