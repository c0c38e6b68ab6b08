"""Generator maps and the pushforward density they induce (change of variables, docs/theory.md S4).

For an invertible differentiable generator ``x = G(z)`` the density of ``G(z)``, ``z ~ p_z``, is
``p_g(x) = p_z(G^{-1}(x)) |det d G^{-1}(x) / dx|``. Each map knows its inverse and the log of that
Jacobian, so ``Pushforward.logpdf`` stays in log space.
"""

import math
from fractions import Fraction

import numpy as np
from scipy import linalg

from ._checks import finite_array, real_array, scalar
from .densities import _EPS, _TINY, COMPACT, Density, Tail, _has_jumps, _LocationScale, as_density

__all__ = ["Affine", "Exp", "Pushforward", "SinhArcsinh", "Transform"]


class Transform:
    r"""Base class of the generator maps ``x = G(z)``: invertible, differentiable, monotone in 1-D.

    A :class:`Pushforward` needs only the inverse and the log of the Jacobian determinant of the
    inverse, :math:`p_g(x) = p_z(G^{-1}(x))\,|\det \partial G^{-1}(x) / \partial x|`, so its
    log-density stays in log space. The concrete maps are :class:`Affine`, :class:`Exp` and
    :class:`SinhArcsinh`. A subclass implements the private hooks ``_forward``, ``_inverse`` and
    ``_logjac`` (the three public methods on validated float64 arrays) and ``_params`` (a dict, for
    ``repr``); ``Pushforward.score`` also needs ``_dlogjac``, the derivative of ``_logjac``.

    Attributes
    ----------
    dim : int or None
        Dimension of the points the map acts on, or None for an elementwise map of any dimension
        (a scalar :class:`Affine`). 1 unless a subclass says otherwise.
    affine : bool
        True for affine maps (only these may push forward a base of dimension ``d >= 2``).
    increasing : bool
        For maps of one variable, whether ``G`` is increasing (a decreasing map swaps the
        pushforward's ``cdf`` and ``sf``). True for matrix maps, where it has no meaning.

    See Also
    --------
    Pushforward : The density of ``G(z)``.
    Affine, Exp, SinhArcsinh : The concrete maps.

    Examples
    --------
    >>> import numpy as np
    >>> import gantheory as gt
    >>> g = gt.SinhArcsinh(skew=0.5, tailweight=2.0)
    >>> isinstance(g, gt.Transform), g.dim, g.affine, g.increasing
    (True, 1, False, True)
    >>> z = np.array([-1.0, 0.0, 2.0])
    >>> x = g.forward(z)
    >>> bool(np.allclose(g.inverse(x), z, rtol=1e-15, atol=1e-15))
    True

    ``log_abs_det_inverse`` is the log-slope of the inverse (here against central differences):

    >>> h = 1e-6
    >>> slope = (g.inverse(x + h) - g.inverse(x - h)) / (2 * h)
    >>> bool(np.allclose(g.log_abs_det_inverse(x), np.log(slope), rtol=0, atol=1e-7))
    True
    """

    #: Dimension the map acts on, or None for an elementwise map of any dimension.
    dim = 1
    #: True when the map is affine (the pushforward keeps base breakpoints' structure exactly).
    affine = False

    def forward(self, z):
        """Return the image ``G(z)`` of noise points ``z``.

        Parameters
        ----------
        z : array_like of float
            Points of any shape for a map of one variable or an elementwise map; shape ``(..., d)``
            for a map of dimension ``d``. Infinite and NaN entries are mapped, not refused.

        Returns
        -------
        numpy.ndarray or numpy.float64
            ``G(z)``, of the shape of ``z`` (broadcast against a vector ``shift``). Images beyond
            the float64 range are ``±inf`` (``Exp`` for ``z > 709.78``).

        Raises
        ------
        TypeError
            If ``z`` is not real numbers (strings, booleans, complex numbers, ragged lists).
        ValueError
            For a matrix :class:`Affine`, if the last axis of ``z`` does not have length ``d``.
        """
        return self._forward(real_array(z, "z"))

    def inverse(self, x):
        """Return the preimage ``G^{-1}(x)`` of data points ``x``.

        Parameters
        ----------
        x : array_like of float
            Points, shaped as for :meth:`forward`.

        Returns
        -------
        numpy.ndarray or numpy.float64
            ``G^{-1}(x)``, of the shape of ``x``; NaN outside the image of ``G`` (``Exp``: ``x <= 0``).

        Raises
        ------
        TypeError
            If ``x`` is not real numbers.
        ValueError
            For a matrix :class:`Affine`, if the last axis of ``x`` does not have length ``d``.
        """
        return self._inverse(real_array(x, "x"))

    def log_abs_det_inverse(self, x):
        """Return ``log |det dG^{-1}(x)/dx|``, the log-Jacobian term of the change of variables.

        Parameters
        ----------
        x : array_like of float
            Points, shaped as for :meth:`forward`.

        Returns
        -------
        numpy.ndarray or numpy.float64
            For a map of one variable or an elementwise map (a scalar ``scale``), ``log |dG^{-1}/dx|``
            per entry, of the shape of ``x``; for a matrix map, one value per point, of shape
            ``x.shape[:-1]``. ``-inf`` outside the image of ``G`` (``Exp``: ``x <= 0``).

        Raises
        ------
        TypeError
            If ``x`` is not real numbers.
        """
        return self._logjac(real_array(x, "x"))

    increasing = True

    def _dlogjac(self, x):
        """``d/dx log |d G^{-1}/dx|`` (one-dimensional maps, for scores)."""
        raise NotImplementedError

    def _djac(self, x):
        """``d G^{-1}(x) / dx`` (one-dimensional maps)."""
        return np.exp(self._logjac(x))

    def _dforward(self, z):
        """``dG(z) / dz`` (one-dimensional maps)."""
        raise NotImplementedError

    def _map_tails(self, tails):
        """The (left, right) tails of the pushforward, from the base's (None where unknown)."""
        return (None, None)


    def _offset(self, x0, off, deriv, inverse_or_forward):
        """``F(x0 + off) - F(x0)`` for a monotone map ``F`` with derivative ``deriv``: Simpson's rule
        on ``deriv`` near ``x0`` (relative error ~ off^4, where the difference would cancel), the
        difference itself further out."""
        small = np.abs(off) < 1e-3 * max(1.0, abs(x0))
        with np.errstate(invalid="ignore", over="ignore"):
            exact = inverse_or_forward(x0 + off) - inverse_or_forward(np.array(x0))
            simpson = off / 6.0 * (deriv(np.full_like(off, x0)) + 4.0 * deriv(x0 + 0.5 * off) + deriv(x0 + off))
        return np.where(small, simpson, exact)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self._params().items())
        return f"{type(self).__name__}({args})"


class Affine(Transform):
    """Affine generator map ``x = scale * z + shift``, or ``x = scale @ z + shift`` for a matrix.

    The log-Jacobian of the inverse is the constant ``-log |det scale|``. A location-scale base
    (``Normal``, ``Laplace``, ``Cauchy``, ``StudentT``) through a scalar map is evaluated as that
    family, at the location ``scale * loc + shift`` held exactly as a sum of two floats.

    Parameters
    ----------
    scale : float or array_like of shape (d, d)
        A scalar with ``1e-150 <= |scale| <= 1e150`` and, with a scalar ``shift``,
        ``|scale| >= 1e-17 |shift|`` (below that the image is lost between neighbouring floats);
        negative values reverse the order. Or an invertible square matrix with entries at most
        ``1e150`` in size and condition number at most ``1e14``; a ``1 x 1`` matrix acts as its entry.
    shift : float or array_like of shape (d,), default 0.0
        Entries finite, at most ``1e150`` in size. A vector with a scalar ``scale`` makes an
        elementwise map of dimension ``d``; a one-element vector with a scalar ``scale`` is a scalar.

    Attributes
    ----------
    scale : float or numpy.ndarray of shape (d, d)
        The validated ``scale``.
    shift : float or numpy.ndarray of shape (d,)
        The validated ``shift``.
    dim : int or None
        ``d`` for a matrix ``scale`` or a vector ``shift``; None for a scalar map, which acts
        elementwise on points of any dimension.
    increasing : bool
        ``scale > 0`` for a scalar map; True for a matrix map.

    Raises
    ------
    TypeError
        If ``scale`` or ``shift`` is not real numbers.
    ValueError
        If an entry is not finite or exceeds ``1e150`` in size; if a scalar ``scale`` is 0, below
        ``1e-150`` or below ``1e-17 |shift|`` in size; if a matrix ``scale`` is singular or has a
        condition number above ``1e14``; if ``scale`` is neither a scalar nor a non-empty square
        matrix, ``shift`` neither a scalar nor a non-empty vector, or their sizes differ.

    See Also
    --------
    Pushforward : The density of ``G(z)``.
    Transform : The interface of every map.
    MultivariateNormal : What a multivariate normal base becomes under a matrix map.

    Examples
    --------
    >>> import math
    >>> import numpy as np
    >>> import gantheory as gt
    >>> g = gt.Affine(2.0, 1.0)
    >>> float(g.forward(3.0)), float(g.inverse(7.0))
    (7.0, 3.0)
    >>> bool(g.log_abs_det_inverse(0.0) == -math.log(2.0))
    True
    >>> p = gt.Pushforward(gt.Normal(), g)
    >>> bool(abs(p.logpdf(0.3) - gt.Normal(1.0, 2.0).logpdf(0.3)) < 1e-14)
    True

    A matrix map sends ``N(0, I)`` to ``N(shift, A A^T)``:

    >>> A = np.array([[2.0, 0.0], [1.0, 1.0]])
    >>> g = gt.Affine(A, [1.0, 0.0])
    >>> g.dim, g.forward([1.0, 1.0]).tolist()
    (2, [3.0, 2.0])
    >>> p = gt.Pushforward(gt.MultivariateNormal([0.0, 0.0], np.eye(2)), g)
    >>> q = gt.MultivariateNormal([1.0, 0.0], A @ A.T)
    >>> x = np.array([[0.5, -1.0], [3.0, 2.0]])
    >>> bool(np.allclose(p.logpdf(x), q.logpdf(x), rtol=1e-14, atol=0))
    True
    """

    affine = True

    def __init__(self, scale, shift=0.0):
        s = finite_array(scale, "scale")
        t = finite_array(shift, "shift")
        if np.any(np.abs(s) > 1e150):
            raise ValueError("scale entries must lie within 1e150 in size")
        if np.any(np.abs(t) > 1e150):
            raise ValueError("shift entries must lie within 1e150 in size")
        if s.shape == (1, 1):  # a 1 x 1 matrix acts on one-dimensional points as its entry
            s = s.reshape(())
        if s.ndim == 0:
            if s == 0.0:
                raise ValueError("scale must be non-zero: Affine(0, shift) is not invertible")
            if abs(s) < 1e-150:
                raise ValueError(f"scale must be at least 1e-150 in size, got {float(s)!r}")
            if t.ndim == 0 and abs(s) < 1e-17 * abs(t):
                raise ValueError(f"scale must be at least 1e-17 |shift| in size (below, the image sits between "
                                 f"neighbouring floats at shift), got scale={float(s)!r} at shift={float(t)!r}")
            self.scale = float(s)
            self._logdet = math.log(abs(self.scale))
            self.increasing = self.scale > 0
        elif s.ndim == 2 and s.shape[0] == s.shape[1] and s.shape[0] > 0:
            sign, logdet = np.linalg.slogdet(s)
            if sign == 0 or np.linalg.cond(s) > 1e14:
                raise ValueError("scale matrix must be invertible (it is singular or nearly so)")
            self.scale = s
            self._logdet = float(logdet)
            self._lu = linalg.lu_factor(s)
        else:
            raise ValueError(f"scale must be a scalar or a non-empty square matrix, got shape {s.shape}")
        if t.ndim > 1 or (t.ndim == 1 and t.size == 0):
            raise ValueError(f"shift must be a scalar or a non-empty vector, got shape {t.shape}")
        if s.ndim == 0 and t.ndim == 1 and t.size == 1:
            t = t.reshape(())  # a one-element shift with a scalar scale is a scalar shift
        d_s = s.shape[0] if s.ndim == 2 else None
        d_t = t.shape[0] if t.ndim == 1 else None
        if d_s is not None and d_t is not None and d_s != d_t:
            raise ValueError(f"shift has length {d_t} but scale is {d_s} x {d_s}")
        self.shift = float(t) if t.ndim == 0 else t
        self.dim = d_s or d_t

    def _params(self):
        return {k: (v.tolist() if isinstance(v, np.ndarray) else v)
                for k, v in (("scale", self.scale), ("shift", self.shift))}

    def _forward(self, z):
        if isinstance(self.scale, float):
            return self.scale * z + self.shift
        return z @ self.scale.T + self.shift

    def _inverse(self, x):
        if isinstance(self.scale, float):
            return (x - self.shift) / self.scale
        flat = (x - self.shift).reshape(-1, self.scale.shape[0])
        return linalg.lu_solve(self._lu, flat.T, check_finite=False).T.reshape(x.shape)

    def _logjac(self, x, dim=1):
        if isinstance(self.scale, float):
            return np.full(x.shape[:-1] if dim > 1 else x.shape, -dim * self._logdet)
        return np.full(x.shape[:-1], -self._logdet)

    def _dlogjac(self, x):
        return np.zeros_like(x)

    def _djac(self, x):
        return np.full_like(x, 1.0 / self.scale)

    def _dforward(self, z):
        return np.full_like(z, self.scale)

    def _map_tails(self, tails):
        a = abs(self.scale)
        out = [t if t is None or t.kind != "exppow" else Tail("exppow", t.k, t.c / a**t.k) for t in tails]
        return tuple(out) if self.increasing else tuple(out[::-1])


class Exp(Transform):
    """Exponential generator map ``x = exp(z)``, from the real line onto ``(0, inf)``.

    A normal base gives a log-normal: ``Pushforward(Normal(mu, s), Exp())`` is
    ``scipy.stats.lognorm(s, scale=exp(mu))``. The inverse is ``log x`` and the log-Jacobian of the
    inverse ``-log x``; outside the image (``x <= 0``) they are NaN and ``-inf``. ``forward``
    overflows to ``inf`` for ``z > 709.78``. It acts on one-dimensional bases only (``dim == 1``).

    See Also
    --------
    Pushforward : The density of ``G(z)``.
    Transform : The interface of every map.
    SinhArcsinh : A smooth map of the real line onto itself.

    Examples
    --------
    >>> import math
    >>> import gantheory as gt
    >>> p = gt.Pushforward(gt.Normal(0.0, 0.5), gt.Exp())
    >>> p.support
    (0.0, inf)

    Against the log-normal density ``exp(-(log x)^2 / (2 s^2)) / (x s sqrt(2 pi))``, ``s = 0.5``:

    >>> lognormal = math.exp(-math.log(2.0) ** 2 / 0.5) / (2.0 * 0.5 * math.sqrt(2.0 * math.pi))
    >>> bool(abs(p.pdf(2.0) - lognormal) < 1e-15)
    True
    >>> float(p.cdf(1.0))
    0.5
    >>> gt.Exp().inverse([-1.0, 1.0]).tolist()
    [nan, 0.0]
    """

    def _params(self):
        return {}

    def _forward(self, z):
        with np.errstate(over="ignore"):  # z > 709.8: the image lies beyond float64, at inf
            return np.exp(z)

    def _inverse(self, x):
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(x > 0, np.log(np.where(x > 0, x, 1.0)), np.nan)

    def _logjac(self, x):
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(x > 0, -np.log(np.where(x > 0, x, 1.0)), -np.inf)

    def _dlogjac(self, x):
        return -1.0 / x

    def _dforward(self, z):
        return np.exp(z)

    def _map_tails(self, tails):
        # the left tail lands on the support end 0; a Laplace-like right tail exp(-c z) becomes the
        # power tail x^-(c+1); other right tails (log-normal and heavier) are left unknown
        right = tails[1]
        if right is not None and right.kind == "exppow" and right.k == 1.0:
            return (COMPACT, Tail("power", right.c))
        return (COMPACT, right if right is not None and right.kind == "compact" else None)


class SinhArcsinh(Transform):
    r"""Sinh-arcsinh generator map ``x = sinh(tailweight * arcsinh(z) + skew)`` of the real line.

    A smooth increasing map with ``G(0) = sinh(skew)`` (the median of the pushforward of a base with
    median 0). Far out ``|x| ~ (2|z|)^tailweight exp(±skew) / 2`` for ``z -> ±inf``: ``tailweight > 1``
    fattens the tails, ``tailweight < 1`` thins them, ``skew > 0`` moves mass to the right.
    ``SinhArcsinh(0, 1)`` is the identity. With a normal base this is the sinh-arcsinh family of
    Jones and Pewsey [1]_, ``X = sinh((arcsinh(Z) + ε) / δ)``, with ``δ = 1 / tailweight`` and
    ``ε = skew / tailweight``.

    Parameters
    ----------
    skew : float, in [-10, 10], default 0.0
        Additive shift inside the ``sinh``.
    tailweight : float, in [0.1, 10], default 1.0
        Power the map raises ``|z|`` to far out. The bounds keep images of moderate noise within
        float64 (``tailweight = 10`` already sends ``z = 1e30`` to ``5.1e302``).

    Attributes
    ----------
    skew : float
        The validated ``skew``.
    tailweight : float
        The validated ``tailweight``.

    Raises
    ------
    TypeError
        If ``skew`` or ``tailweight`` is not a real scalar.
    ValueError
        If either is not finite or lies outside its range.

    See Also
    --------
    Pushforward : The density of ``G(z)``.
    Transform : The interface of every map.
    Exp : The map onto the positive half-line.

    References
    ----------
    .. [1] M. C. Jones and A. Pewsey, "Sinh-arcsinh distributions", Biometrika 96(4), 761-780, 2009.

    Examples
    --------
    >>> import math
    >>> import numpy as np
    >>> import gantheory as gt
    >>> p = gt.Pushforward(gt.Normal(), gt.SinhArcsinh(skew=0.5, tailweight=2.0))
    >>> float(p.cdf(math.sinh(0.5)))
    0.5

    Against Jones and Pewsey's density with ``δ = 1/2``, ``ε = 1/4``:

    >>> x = np.array([-3.0, 0.2, 7.0])
    >>> s = np.sinh(0.5 * np.arcsinh(x) - 0.25)
    >>> jp = 0.5 * np.sqrt(1 + s**2) / np.sqrt(1 + x**2) * np.exp(-s**2 / 2) / math.sqrt(2 * math.pi)
    >>> bool(np.allclose(p.pdf(x), jp, rtol=1e-14, atol=0))
    True
    """

    def __init__(self, skew=0.0, tailweight=1.0):
        self.skew = scalar(skew, "skew", lower=-10.0, upper=10.0)
        self.tailweight = scalar(tailweight, "tailweight")
        if not self.tailweight > 0:
            raise ValueError(
                f"tailweight must be positive (otherwise the map is not invertible), got {self.tailweight!r}"
            )
        if not 0.1 <= self.tailweight <= 10.0:
            raise ValueError(f"tailweight must lie in [0.1, 10], got {self.tailweight!r}")

    def _params(self):
        return {"skew": self.skew, "tailweight": self.tailweight}

    def _forward(self, z):
        with np.errstate(over="ignore"):  # (beyond the float64 range: ±inf, as for Exp)
            return np.sinh(self.tailweight * np.arcsinh(z) + self.skew)

    def _w(self, x):
        return (np.arcsinh(x) - self.skew) / self.tailweight

    def _inverse(self, x):
        with np.errstate(over="ignore"):
            return np.sinh(self._w(x))

    def _logjac(self, x):
        w = self._w(x)
        ax = np.abs(x)
        # log cosh w - log δ - log sqrt(1 + x^2), each without overflow
        log_cosh = np.logaddexp(w, -w) - math.log(2.0)
        big = np.maximum(ax, 1e150)
        half_log = np.where(ax < 1e150, 0.5 * np.log1p(np.minimum(ax, 1e150) ** 2), np.log(big))
        return log_cosh - math.log(self.tailweight) - half_log

    def _dlogjac(self, x):
        return np.tanh(self._w(x)) / (self.tailweight * np.sqrt(1.0 + x * x)) - x / (1.0 + x * x)

    def _dforward(self, z):
        return self.tailweight * np.cosh(self.tailweight * np.arcsinh(z) + self.skew) / np.sqrt(1.0 + z * z)

    def _map_tails(self, tails):
        # far out z ~ ±(2|x|)^(1/δ) e^(∓ε/δ) / 2: exp-power tails keep their kind with k/δ, power tails
        # get the index α/δ
        d, e = self.tailweight, self.skew
        out = []
        for t, sign in zip(tails, (1.0, -1.0)):
            if t is None or t.kind == "compact":
                out.append(t)
            elif t.kind == "power":
                out.append(Tail("power", t.k / d))
            else:
                out.append(Tail("exppow", t.k / d, t.c * 2.0 ** (t.k / d - t.k) * math.exp(sign * t.k * e / d)))
        return tuple(out)


class Pushforward(Density):
    r"""Density ``p_g`` of ``x = G(z)`` for ``z ~ base``, by the change of variables.

    :math:`p_g(x) = p_z(G^{-1}(x))\,|\det \partial G^{-1}(x) / \partial x|`, evaluated in log space
    (``-inf`` outside the image of ``G``). ``cdf``, ``sf`` and ``sample`` go through the base (a
    decreasing map swaps ``cdf`` and ``sf``); ``score`` needs the map's derivative, which the built-in
    maps provide. The quadrature hints are the images of the base's breakpoints, landmarks and
    singular ends; the tails of a non-affine map's pushforward are integrated as heavy tails.

    Parameters
    ----------
    base : Density or frozen scipy.stats continuous distribution
        The noise distribution ``p_z``, of any dimension ``d`` (scipy distributions are wrapped by
        :func:`as_density`).
    transform : Transform
        The generator map ``G``. Its ``dim`` must be None or ``d``; for ``d >= 2`` it must be affine.

    Attributes
    ----------
    base : Density
        The base density (wrapped).
    transform : Transform
        The map.
    dim : int
        The dimension, that of ``base``.

    Raises
    ------
    TypeError
        If ``base`` is neither a gantheory density nor a frozen scipy.stats continuous distribution,
        or ``transform`` is not a :class:`Transform`.
    ValueError
        If ``transform.dim`` is not None and differs from ``base.dim``; if ``base.dim >= 2`` and the
        map is not affine; if the map gives the pushforward power-law tails of index below 0.1
        (``StudentT(0.5)`` through ``SinhArcsinh(tailweight=10)``: index 0.05), which would put
        mass beyond the float64 range.

    See Also
    --------
    Transform : The interface of the maps.
    Affine, Exp, SinhArcsinh : The built-in maps.
    as_density : How ``base`` is converted.
    Density : The methods a pushforward inherits.

    Examples
    --------
    >>> import numpy as np
    >>> import gantheory as gt
    >>> p = gt.Pushforward(gt.Normal(0.0, 0.5), gt.Exp())
    >>> p
    Pushforward(base=Normal(loc=0.0, scale=0.5), transform=Exp())
    >>> p.dim, p.support
    (1, (0.0, inf))

    The density is ``p_z(log x) / x``, and zero off the image:

    >>> x = np.array([0.5, 1.0, 3.0])
    >>> bool(np.allclose(p.logpdf(x), gt.Normal(0.0, 0.5).logpdf(np.log(x)) - np.log(x), rtol=1e-15, atol=0))
    True
    >>> float(p.pdf(-1.0)), float(p.cdf(1.0))
    (0.0, 0.5)
    >>> bool(np.all(p.sample(5, rng=0) > 0))
    True
    """

    def __init__(self, base, transform):
        self.base = as_density(base, "base")
        if not isinstance(transform, Transform):
            raise TypeError(f"transform must be a gantheory Transform, got {type(transform).__name__}")
        if transform.dim is not None and transform.dim != self.base.dim:
            raise ValueError(f"transform acts in dimension {transform.dim} but base has dim={self.base.dim}")
        if self.base.dim > 1 and not transform.affine:
            raise ValueError("only Affine maps are supported for multivariate bases")
        self.transform = transform
        self.dim = self.base.dim
        # A location-scale base through a scalar affine map is again location-scale, at loc' = scale loc +
        # shift: kept exactly as a sum of two floats, so that x - loc' keeps the digits that rounding
        # (x - shift) / scale - loc would lose for a narrow base far from its origin
        self._loc2 = None
        if isinstance(getattr(transform, "scale", None), float) and isinstance(self.base, _LocationScale):
            exact = Fraction(transform.scale) * Fraction(self.base.loc) + Fraction(transform.shift)
            hi = float(exact)
            self._loc2 = (hi, float(exact - Fraction(hi)))
        self._heavy = self.base._heavy or not transform.affine
        if self.dim == 1:
            for t in transform._map_tails(self.base._tails()):
                if t is not None and t.kind == "power" and t.k < 0.1:
                    raise ValueError(
                        f"transform gives the pushforward power tails of index {t.k:.3g} < 0.1: a fraction "
                        "1e308^-index of its mass would lie beyond the float64 range")
        if self.dim == 1:
            lo, hi = self.base._support()
            ends = np.sort(transform._forward(np.array([lo, hi])))
            self._lohi = (float(ends[0]), float(ends[1]))
            # finite ends of the image with their preimages (offsets near them are mapped exactly),
            # and which of them are singular: the base's singular ends, and finite images of
            # infinite base ends (Exp sends -inf to 0, where the density flattens out completely)
            image = {float(z): float(transform._forward(np.array(z))) for z in (lo, hi, *self.base._singular())}
            self._ends = {x: z for z, x in image.items() if math.isfinite(x)}
            sing = [image[float(z)] for z in self.base._singular()]
            sing += [x for z, x in image.items() if math.isinf(z) and math.isfinite(x)]
            self._sing = np.array(sorted(sing))

    def _params(self):
        return {"base": self.base, "transform": self.transform}

    def _logjac(self, x):
        if isinstance(self.transform, Affine):
            return self.transform._logjac(x, self.dim)
        return self.transform._logjac(x)

    def _logpdf(self, x):
        if self._loc2 is not None:
            hi, lo = self._loc2
            return self.base._logpdf_d(((x - hi) - lo) / self.transform.scale) - self.transform._logdet
        z = self.transform._inverse(x)
        if self.transform.affine:
            return self._near_ends(x, z, self.base._logpdf(z) + self._logjac(x))
        # x outside the image of the map (Exp: x <= 0), or a preimage beyond the float64 range
        outside = ~np.isfinite(z)
        lz = self.base._logpdf(np.where(outside, 0.0, z))
        with np.errstate(invalid="ignore"):
            out = lz + self._logjac(np.where(outside, 0.0, x))
        return self._near_ends(x, z, np.where(outside, -np.inf, out))

    def _near_ends(self, x, z, out):
        """``out`` where the preimage ``z`` rounded onto a finite end of the base's support from a point
        ``x`` strictly inside the image: there the density is taken through the offset from the end's
        image (exact for nearby floats), not at the end itself (where a Beta, say, is 0 or infinite)."""
        for xe, ze in getattr(self, "_ends", {}).items():
            if not math.isfinite(ze):
                continue
            hit = (z == ze) & (x != xe) & np.isfinite(x)
            if np.any(hit):
                out = np.array(out, dtype=float, copy=True)
                out[hit] = self._logpdf_offset(xe, np.asarray(x, dtype=float)[hit] - xe)
        return out

    def _logpdf_err(self, x, lp):
        # What the base itself reports. The rounding of z = G^{-1}(x) is a change of the node's position,
        # common to p and q; it is charged separately, by the bounded integrands only (_logpdf_moved)
        if self.dim != 1:
            return None
        return self.base._logpdf_err(self.transform._inverse(x), lp)

    def _logpdf_moved(self, x):
        """The error of log p from the rounding of ``z = G^{-1}(x)`` through a sinh-arcsinh map: the base's
        score times that rounding (None for other maps, whose inverse is exact to a few ulps of z)."""
        tr = self.transform
        if self.dim != 1 or not isinstance(tr, SinhArcsinh):
            return None
        z = tr._inverse(x)
        w = tr._w(x)
        dz = 2.0 * _EPS * (np.cosh(w) * ((np.abs(np.arcsinh(x)) + abs(tr.skew) + 1.0) / tr.tailweight + np.abs(w))
                           + np.abs(z))
        try:
            with np.errstate(all="ignore"):
                out = np.abs(self.base._score(z)) * dz
        except (TypeError, NotImplementedError):
            return None
        return np.where(np.isfinite(out), out, 0.0)

    def _logpdf_offset(self, x0, off, loff=None):
        z0 = self._ends.get(float(x0))
        tr = self.transform
        if z0 is not None and math.isinf(z0) and isinstance(tr, Exp) and loff is not None:
            # the end x0 = 0 of a log-normal-like law: z = log x = loff exactly, p(x) = p_z(z) / x; nothing
            # below 0 (an offset's sign survives its underflow as -0)
            return np.where(np.signbit(off), -np.inf, self.base._logpdf(loff) - loff)
        if z0 is None or not math.isfinite(z0):
            return self._logpdf(x0 + off)
        if tr.affine:
            zl = None if loff is None else loff - tr._logdet
            return self.base._logpdf_offset(z0, off / tr.scale, zl) - tr._logdet
        # a nonlinear map: the base offset G^{-1}(x0 + off) - G^{-1}(x0) without cancellation
        x = x0 + off
        zoff = tr._offset(x0, off, tr._djac, tr._inverse)
        with np.errstate(divide="ignore"):
            # where the offsets underflow, the map is linear: log |zoff| = loff + log |dG^{-1}/dx (x0)|
            zl = np.log(np.abs(zoff))
            if loff is not None:
                zl = np.where(np.abs(off) < _TINY, loff + np.log(np.abs(tr._djac(np.array(x0)))), zl)
            return self.base._logpdf_offset(z0, zoff, zl) + self._logjac(x)

    def _logpdf_split(self, x, x0, off):
        tr = self.transform
        if not isinstance(getattr(tr, "scale", None), float):  # scalar affine maps only
            return self._logpdf(x)
        if self._loc2 is not None:  # (x - loc') / scale with loc' = scale loc + shift in two floats
            hi, lo = self._loc2
            return self.base._logpdf_d((((x0 - hi) - lo) + off) / tr.scale) - tr._logdet
        return self.base._logpdf_split(tr._inverse(x), (x0 - tr.shift) / tr.scale, off / tr.scale) - tr._logdet

    def _score_split(self, x, x0, off):
        tr = self.transform
        if not isinstance(getattr(tr, "scale", None), float):
            return self._score(x)
        return self.base._score_split(tr._inverse(x), (x0 - tr.shift) / tr.scale, off / tr.scale) / tr.scale

    def _sample(self, n, rng):
        x = self.transform._forward(self.base._sample(n, rng))
        if not np.all(np.isfinite(x)):
            raise FloatingPointError("a sample of the pushforward overflowed float64 (its tails reach beyond)")
        return x

    @property
    def _qmc_dims(self):
        return self.base._qmc_dims

    def _from_uniform(self, u):
        # a decreasing 1-D map reverses the order: its quantile at u is G(base quantile at 1 - u)
        flip = self.dim == 1 and not self.transform.increasing
        return self.transform._forward(self.base._from_uniform(1.0 - u if flip else u))

    def _cdf(self, x):
        return self._tail(x, lower=True)

    def _sf(self, x):
        return self._tail(x, lower=False)

    def _tail(self, x, lower):
        """CDF (``lower``) or survival function; at or beyond a finite end of the support (where the
        inverse map may be undefined, as log at 0) the answer is 0 or 1."""
        z = self.transform._inverse(x)
        with np.errstate(invalid="ignore"):
            out = self.base._cdf(z) if lower == self.transform.increasing else self.base._sf(z)
        if self.dim != 1:
            return out
        lo, hi = self._lohi
        out = np.where(x <= lo, 0.0 if lower else 1.0, out)
        return np.where(x >= hi, 1.0 if lower else 0.0, out)

    def _score(self, x):
        z = self.transform._inverse(x)
        return self.base._score(z) * self.transform._djac(x) + self.transform._dlogjac(x)

    def _score_offset(self, x0, off):
        z0 = self._ends.get(float(x0))
        if z0 is None or not math.isfinite(z0) or not self.transform.affine:
            return self._score(x0 + off)
        return self.base._score_offset(z0, off / self.transform.scale) / self.transform.scale

    def _support(self):
        return self._lohi

    def _map(self, pts):
        return np.asarray(self.transform._forward(np.asarray(pts, dtype=float)), dtype=float)

    def _breaks(self):
        if self._loc2 is not None and self.base._breaks().size:  # a kink at loc, mapped exactly
            return np.array([self._loc2[0]])
        return self._map(self.base._breaks())

    def _exact_breaks(self):
        if self._loc2 is not None and self.base._breaks().size and self._loc2[1] != 0.0:
            return {self._loc2[0]: self._loc2[1]}
        return {}

    def _landmarks(self):
        pts = self._map(self.base._landmarks())
        return pts[np.isfinite(pts)]

    def _singular(self):
        return self._sing

    def _scale(self):
        if self.transform.affine:
            return abs(self.transform.scale) * self.base._scale()
        pts = self._landmarks()
        spread = float(np.ptp(pts)) / 4.0 if pts.size > 1 else 0.0
        return spread if spread > 0 else 1.0

    def _mean(self):
        m = self.base._mean()
        if m is None or not self.transform.affine:
            return None
        return self.transform._forward(np.asarray(m))

    def _tails(self):
        base = self.base._tails()
        return self.transform._map_tails(base) if self.dim == 1 else (None, None)

    def _gaussian_parts(self):
        t = self.transform
        a = t.scale * np.eye(self.dim) if isinstance(t.scale, float) else t.scale
        return [(t._forward(np.asarray(m)), a @ c @ a.T) for m, c in self.base._gaussian_parts()]


def _rounded_ends(dens):
    """Whether the support ends and jumps of ``dens`` may be rounded images of points that are not floats
    (a pushforward's, unless a scalar affine map takes each of them exactly onto a float)."""
    if isinstance(dens, Pushforward):
        tr, base = dens.transform, dens.base
        if dens.dim != 1 or not isinstance(tr, Affine) or _rounded_ends(base):
            return True
        a, b = Fraction(float(tr.scale)), Fraction(float(tr.shift))
        return any(float(a * Fraction(e) + b) != a * Fraction(e) + b for e in _jump_points(base))
    comps = getattr(dens, "components", None)
    return bool(comps) and any(_rounded_ends(c) for c in comps)


def _jump_points(dens):
    """The finite support ends and the jumps of a 1-D density, where ``D*`` of a pair holding it jumps."""
    pts = [e for e in dens._support() if math.isfinite(e)]
    return pts + [float(b) for b in np.ravel(dens._breaks())] if _has_jumps(dens) else pts


def _exact_ends(dens):
    """The support of a 1-D density as exact numbers (rationals, or ±inf) where it is known exactly: a
    density's own float ends, a scalar affine map's exact images of them, a mixture's outermost; None
    where an end is the rounded image through a nonlinear map."""
    if isinstance(dens, Pushforward):
        tr, base = dens.transform, _exact_ends(dens.base)
        if dens.dim != 1 or not isinstance(tr, Affine) or base is None:
            return None
        a, b = Fraction(float(tr.scale)), Fraction(float(tr.shift))
        ends = [a * e + b if math.isfinite(e) else math.copysign(math.inf, float(tr.scale) * e) for e in base]
        return min(ends), max(ends)
    parts = [_exact_ends(c) for c in getattr(dens, "components", ())]
    if any(e is None for e in parts):
        return None
    if parts:
        return min(lo for lo, _ in parts), max(hi for _, hi in parts)
    return tuple(Fraction(e) if math.isfinite(e) else e for e in dens._support())
