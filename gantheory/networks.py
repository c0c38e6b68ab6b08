"""Small neural networks with exact forward passes and gradients, and the exact density of a 1-D network
generator.

:class:`MLP` is a fully connected network of one to a few hidden layers (tanh, softplus or leaky ReLU)
whose forward pass, parameter gradients (hand-written backpropagation) and input derivatives are
computed in numpy. :class:`NetworkPushforward` is the density of ``x = G(z)`` for a network ``G`` from
one noise variable to one output: by the change of variables summed over the monotone branches of
``G``, ``p_g(x) = sum over z with G(z) = x of p_z(z) / |G'(z)|``, with the critical points of ``G``
located on a fine grid of ``z`` and refined by root finding. Where ``G``
is smooth, its critical values are fold points at which ``p_g`` has integrable inverse-square-root
singularities; they are declared to the quadrature as singular points and evaluated there through exact
differences ``G(c + δ) - G(c)``.

In two dimensions :class:`CouplingGenerator` is invertible by construction (affine coupling layers) and
:class:`CouplingPushforward` is its exact density through the inverse and the Jacobian determinant.
"""

import functools
import itertools
import math
from typing import NamedTuple

import numpy as np
from scipy import special

from . import _netkernels
from ._checks import choice, positive_int, real_array, scalar
from .densities import COMPACT, Density, Normal, Tail, as_density

__all__ = ["ACTIVATIONS", "MLP", "CouplingGenerator", "CouplingPushforward", "NetworkPushforward"]

#: The hidden-layer activations of :class:`MLP`.
ACTIVATIONS = ("tanh", "softplus", "leaky_relu")

_EPS = float(np.finfo(float).eps)
_LOG_2PI = math.log(2.0 * math.pi)
_RIM = 8.0  # (the noise's radius beyond which a 2-D standard normal has 1.3e-14 of its mass)
_BIG = 1e150  # |z| that stands for an infinite end of the noise (the images of linear tails stay finite)


def _act(name, u, slope):
    """The activation, its first and its second derivative at ``u``."""
    if name == "tanh":
        a = np.tanh(u)
        with np.errstate(over="ignore"):
            d1 = 1.0 / np.cosh(u) ** 2  # (not 1 - a², which is 0 once tanh rounds to ±1, at |u| > 19)
        return a, d1, -2.0 * a * d1
    if name == "softplus":
        s = special.expit(u)
        return np.logaddexp(0.0, u), s, s * (1.0 - s)
    pos = u > 0.0
    return np.where(pos, u, slope * u), np.where(pos, 1.0, slope), np.zeros_like(u)


def _value(name, u, slope):
    """The activation alone."""
    if name == "tanh":
        return np.tanh(u)
    if name == "softplus":
        return np.logaddexp(0.0, u)
    return np.where(u > 0.0, u, slope * u)


def _act_diff(name, u, du, slope):
    """``act(u + du) - act(u)``, accurate to a few ulps of itself however small ``du`` is."""
    v = u + du
    with np.errstate(over="ignore", invalid="ignore"):
        if name == "tanh":
            # tanh a - tanh b = tanh(a - b) (1 - tanh a tanh b), with 1 - |tanh| = 2 expit(-2 |.|) exact
            ta, tb = np.tanh(v), np.tanh(u)
            sa, sb = 2.0 * special.expit(-2.0 * np.abs(v)), 2.0 * special.expit(-2.0 * np.abs(u))
            return np.tanh(du) * np.where(ta * tb >= 0.0, sa + (1.0 - sa) * sb, 1.0 + np.abs(ta * tb))
        if name == "softplus":
            # log((1 + e^v) / (1 + e^u)) = log1p(expm1(du) expit(u))
            near = np.log1p(np.expm1(du) * special.expit(u))
            return np.where(np.abs(du) < 30.0, near, np.logaddexp(0.0, v) - np.logaddexp(0.0, u))
    same = (u > 0.0) == (v > 0.0)
    return np.where(same, np.where(u > 0.0, du, slope * du),
                    np.where(v > 0.0, v, slope * v) - np.where(u > 0.0, u, slope * u))


def _act_series(name, u, slope):
    """The activation of a power series ``u`` (coefficients along the first axis)."""
    n = u.shape[0]
    a = np.zeros_like(u)
    if name == "leaky_relu":
        d = np.where(u[0] > 0.0, 1.0, slope)
        a[0] = np.where(u[0] > 0.0, u[0], slope * u[0])
        a[1:] = d * u[1:]
        return a
    if name == "tanh":  # a' = (1 - a²) u'
        a[0] = np.tanh(u[0])
        d = np.zeros_like(u)
        with np.errstate(over="ignore"):
            d[0] = 1.0 / np.cosh(u[0]) ** 2
        for m in range(1, n):
            a[m] = sum(k * u[k] * d[m - k] for k in range(1, m + 1)) / m
            d[m] = -sum(a[i] * a[m - i] for i in range(m + 1))
        return a
    # softplus: f' = s u', s' = s (1 - s) u'
    s, q = np.zeros_like(u), np.zeros_like(u)
    a[0], s[0] = np.logaddexp(0.0, u[0]), special.expit(u[0])
    q[0] = s[0] * (1.0 - s[0])
    for m in range(1, n):
        a[m] = sum(k * u[k] * s[m - k] for k in range(1, m + 1)) / m
        s[m] = sum(k * u[k] * q[m - k] for k in range(1, m + 1)) / m
        q[m] = s[m] - sum(s[i] * s[m - i] for i in range(m + 1))
    return a


class _Parametrised:
    """What :class:`MLP` and :class:`CouplingGenerator` share: a copy with new parameters (``_with``)."""

    def with_params(self, flat):
        """Return a network of the same type and shape with the parameters ``flat`` (as from ``flat()``).

        Parameters
        ----------
        flat : array_like of float
            ``n_params`` finite values.

        Returns
        -------
        MLP or CouplingGenerator
            The new network, of the type of this one.

        Raises
        ------
        ValueError
            If `flat` does not have `n_params` entries, or one is not finite.
        """
        flat = np.asarray(flat, dtype=float)
        if flat.shape != (self.n_params,):
            raise ValueError(f"with_params needs {self.n_params} values, got shape {flat.shape}")
        if not np.isfinite(flat).all():
            raise ValueError("with_params needs finite values")
        return self._with(flat.copy())


class MLP(_Parametrised):
    """A fully connected network ``R^n_in -> R^n_out`` with exact forward pass and gradients.

    ``h_0 = x``, ``h_k = act(W_k h_(k-1) + b_k)`` for the hidden layers, and a linear output layer
    ``W_L h_(L-1) + b_L``. Small enough (one or two hidden layers of a few to a few dozen units) that
    numpy evaluates it exactly to float64 and backpropagation is written out by hand. A network is
    immutable: training makes new ones (:meth:`with_params`).

    Parameters
    ----------
    widths : sequence of int, each >= 1
        ``(n_in, hidden_1, ..., n_out)``: at least one hidden layer.
    activation : {"tanh", "softplus", "leaky_relu"}, default "tanh"
        The hidden layers' activation.
    rng : None, int or numpy.random.Generator, optional
        Seeds the initial parameters: ``W_k`` normal with variance ``1 / fan_in`` (Glorot-LeCun), biases
        normal with standard deviation 0.5, so the units' kinks spread over the unit interval of the
        input. Ignored when `params` is given.
    params : sequence of arrays, optional
        ``[W_1, b_1, ..., W_L, b_L]``, ``W_k`` of shape ``(widths[k], widths[k - 1])``.
    slope : float, in [0, 1), default 0.01
        The negative-side slope of the leaky ReLU.

    Attributes
    ----------
    widths : tuple of int
        The layer widths.
    activation : str
        The activation.
    params : tuple of numpy.ndarray
        ``(W_1, b_1, ..., W_L, b_L)`` (read-only arrays).
    n_params : int
        The number of scalar parameters.

    Raises
    ------
    TypeError
        If a width is not an integer, or `params` is not a sequence of arrays.
    ValueError
        If there are fewer than three widths, a width is below 1, `activation` is unknown, `slope` is
        outside ``[0, 1)``, or `params` do not match the widths or are not finite.

    See Also
    --------
    NetworkPushforward : The exact density of ``G(z)`` for a network ``G: R -> R``.
    gantheory.adversarial.train : Minibatch GAN training of two such networks.

    Examples
    --------
    >>> import numpy as np
    >>> from gantheory.networks import MLP
    >>> net = MLP((1, 8, 1), rng=0)
    >>> net.forward(np.array([0.0, 1.0])).shape
    (2,)
    >>> net.n_params
    25
    """

    def __init__(self, widths, activation="tanh", *, rng=None, params=None, slope=0.01):
        if isinstance(widths, (str, bytes)) or not hasattr(widths, "__len__"):
            raise TypeError(f"MLP widths must be a sequence of int, got {type(widths).__name__}")
        self.widths = tuple(positive_int(w, "widths") for w in widths)
        if len(self.widths) < 3:
            raise ValueError(f"MLP needs (n_in, hidden..., n_out) with at least one hidden layer, got {self.widths}")
        self.activation = choice(activation, "activation", ACTIVATIONS)
        self.slope = scalar(slope, "slope", lower=0.0)
        if not self.slope < 1.0:
            raise ValueError(f"slope must be in [0, 1), got {self.slope!r}")
        shapes = []
        for k in range(1, len(self.widths)):
            shapes += [(self.widths[k], self.widths[k - 1]), (self.widths[k],)]
        if params is None:
            gen = np.random.default_rng(rng)
            params = []
            for k in range(1, len(self.widths)):
                params.append(gen.normal(size=shapes[2 * k - 2]) / math.sqrt(self.widths[k - 1]))
                params.append(gen.normal(scale=0.5, size=shapes[2 * k - 1]))
        if isinstance(params, (str, bytes)) or not hasattr(params, "__len__"):
            raise TypeError(f"MLP params must be a sequence of arrays, got {type(params).__name__}")
        if len(params) != len(shapes):
            raise ValueError(f"MLP params must be {len(shapes)} arrays (W, b per layer), got {len(params)}")
        out = []
        for k, (arr, shape) in enumerate(zip(params, shapes)):
            a = np.array(arr, dtype=float)
            if a.shape != shape:
                raise ValueError(f"MLP params[{k}] must have shape {shape}, got {a.shape}")
            if not np.isfinite(a).all():
                raise ValueError(f"MLP params[{k}] must be finite")
            a.flags.writeable = False
            out.append(a)
        self.params = tuple(out)
        self.n_params = int(sum(a.size for a in out))

    def __repr__(self):
        return f"MLP(widths={self.widths}, activation={self.activation!r})"

    # ------------------------------------------------------------------ parameters
    def flat(self):
        """Return the parameters as one vector (``W_1, b_1, ...`` in order, row-major).

        Returns
        -------
        numpy.ndarray
            A new vector of length `n_params`.
        """
        return np.concatenate([a.ravel() for a in self.params])

    def _with(self, flat):
        """:meth:`with_params` without the checks (``flat``: a finite vector of the right length, owned)."""
        out, i = [], 0
        for a in self.params:
            v = flat[i:i + a.size].reshape(a.shape)
            v.flags.writeable = False
            out.append(v)
            i += a.size
        net = object.__new__(MLP)
        net.widths, net.activation, net.slope = self.widths, self.activation, self.slope
        net.params, net.n_params = tuple(out), self.n_params
        return net

    # ------------------------------------------------------------------ evaluation
    def _inputs(self, x):
        x = np.asarray(x, dtype=float)
        flat_in = self.widths[0] == 1 and x.ndim <= 1
        h = x.reshape(-1, 1) if flat_in else x
        if h.ndim != 2 or h.shape[1] != self.widths[0]:
            raise ValueError(f"MLP input must have shape (n, {self.widths[0]}), got {x.shape}")
        return h

    def forward(self, x, *, keep=False):
        """Evaluate the network at the points ``x``.

        Parameters
        ----------
        x : array_like of float
            Shape ``(n, n_in)``, or ``(n,)`` when ``n_in == 1``.
        keep : bool, default False
            Also return what :meth:`backward` needs.

        Returns
        -------
        numpy.ndarray
            Shape ``(n, n_out)``, or ``(n,)`` when ``n_out == 1``.
        cache : tuple, only with ``keep=True``
            The layers' inputs and activation derivatives.

        Raises
        ------
        ValueError
            If `x` has the wrong shape.
        """
        h = self._inputs(x)
        if not keep and h.shape[0] > 1 << 16:  # (in chunks: the hidden layers of 10^7 points would be GBs)
            step = 1 << 16
            return np.concatenate([self.forward(h[i:i + step]) for i in range(0, h.shape[0], step)])
        hs, ders = [h], []
        last = len(self.params) // 2 - 1
        for k in range(last + 1):
            u = h @ self.params[2 * k].T + self.params[2 * k + 1]
            if k < last:
                if keep:
                    h, d1, _ = _act(self.activation, u, self.slope)
                    hs.append(h)
                    ders.append(d1)
                else:
                    h = _value(self.activation, u, self.slope)
            else:
                h = u
        out = h[:, 0] if self.widths[-1] == 1 else h
        return (out, (hs, ders)) if keep else out

    __call__ = forward

    def backward(self, cache, grad_out):
        """Backpropagate ``grad_out`` (the gradient of a scalar loss with respect to the outputs).

        Parameters
        ----------
        cache : tuple
            From ``forward(x, keep=True)``.
        grad_out : array_like of float
            Shape of the output of :meth:`forward`.

        Returns
        -------
        grads : numpy.ndarray
            The gradient with respect to the parameters, as a vector in the order of :meth:`flat`.
        grad_in : numpy.ndarray
            The gradient with respect to the inputs, shaped like the rows of ``x`` (``(n,)`` when
            ``n_in == 1``).
        """
        hs, ders = cache
        g = np.asarray(grad_out, dtype=float).reshape(hs[0].shape[0], self.widths[-1])
        grads = [None] * len(self.params)
        for k in range(len(self.params) // 2 - 1, -1, -1):
            grads[2 * k] = g.T @ hs[k]
            grads[2 * k + 1] = g.sum(axis=0)
            g = g @ self.params[2 * k]
            if k > 0:
                g = g * ders[k - 1]
        grad_in = g[:, 0] if self.widths[0] == 1 else g
        return np.concatenate([a.ravel() for a in grads]), grad_in

    def slope_backward(self, x, weights):
        """Return the slopes ``ℓ'(x)`` of a one-hidden-layer network ``R -> R`` and a gradient of them.

        The gradient is that of ``sum_i weights_i ℓ'(x_i)`` with respect to the parameters (for gradient
        penalties such as R1, ``(γ/2) E[ℓ'(x)²]``).

        Parameters
        ----------
        x : array_like of float
            Points, shape ``(n,)``.
        weights : array_like of float, or callable
            Shape ``(n,)``; a callable is given the slopes and returns them (R1's weights are the
            slopes themselves, scaled: ``lambda s: gamma * s / n``).

        Returns
        -------
        slopes : numpy.ndarray
            ``ℓ'(x)``, shape ``(n,)``.
        grads : numpy.ndarray
            The gradient, in the order of :meth:`flat`.

        Raises
        ------
        ValueError
            If the network is not ``R -> R`` with one hidden layer.
        """
        self._need_scalar("slope_backward")
        if len(self.widths) != 3:
            raise ValueError(f"MLP.slope_backward needs one hidden layer, got widths {self.widths}")
        x = np.asarray(x, dtype=float).reshape(-1, 1)
        w, b, v = self.params[0][:, 0], self.params[1], self.params[2][0]
        _, d1, d2 = _act(self.activation, x * w + b, self.slope)
        slopes = (d1 * w) @ v
        c = np.asarray(weights(slopes) if callable(weights) else weights, dtype=float).reshape(-1, 1)
        g_w = (c * v * (d2 * x * w + d1)).sum(axis=0)
        g_b = (c * v * d2 * w).sum(axis=0)
        g_v = (c * d1 * w).sum(axis=0)
        return slopes, np.concatenate([g_w, g_b, g_v, [0.0]])

    def jet(self, z):
        """``(G, G', G'')`` at the points ``z`` of a network from one input to one output.

        Parameters
        ----------
        z : array_like of float
            Points, shape ``(n,)``.

        Returns
        -------
        tuple of numpy.ndarray
            The value, first and second derivative, each of shape ``(n,)``.

        Raises
        ------
        ValueError
            If the network is not ``R -> R``.
        """
        self._need_scalar("jet")
        h = np.asarray(z, dtype=float).reshape(-1, 1)
        t1, t2 = np.ones_like(h), np.zeros_like(h)  # dh/dz, d²h/dz²
        last = len(self.params) // 2 - 1
        for k in range(last + 1):
            w, b = self.params[2 * k], self.params[2 * k + 1]
            u, u1, u2 = h @ w.T + b, t1 @ w.T, t2 @ w.T
            if k < last:
                h, d1, d2 = _act(self.activation, u, self.slope)
                t1, t2 = d1 * u1, d2 * u1 * u1 + d1 * u2
            else:
                h, t1, t2 = u, u1, u2
        return h[:, 0], t1[:, 0], t2[:, 0]

    def difference(self, z, dz):
        """Return ``G(z + dz) - G(z)`` for a network ``R -> R``, accurate where ``dz`` is tiny.

        Each layer's difference comes from exact identities, never as the difference of two rounded values.

        Parameters
        ----------
        z, dz : array_like of float
            Broadcast together.

        Returns
        -------
        numpy.ndarray
            The differences.
        """
        self._need_scalar("difference")
        z, dz = np.broadcast_arrays(np.asarray(z, dtype=float), np.asarray(dz, dtype=float))
        h, dh = z.reshape(-1, 1), dz.reshape(-1, 1)
        last = len(self.params) // 2 - 1
        for k in range(last + 1):
            w, b = self.params[2 * k], self.params[2 * k + 1]
            u, du = h @ w.T + b, dh @ w.T
            if k < last:
                dh = _act_diff(self.activation, u, du, self.slope)
                h = _act(self.activation, u, self.slope)[0]
            else:
                dh = du
        return dh[:, 0].reshape(z.shape)

    def taylor(self, z0, order=10):
        """Return the Taylor coefficients of ``G(z0 + t) = sum_n g_n t^n`` for a network ``R -> R``.

        Taylor-mode differentiation through the layers: exact to float64, and free of the cancellation
        that makes ``G(z0 + t) - G(z0)`` lose its digits next to a critical point.

        Parameters
        ----------
        z0 : float
            The expansion point.
        order : int, >= 1, default 10
            The highest power.

        Returns
        -------
        numpy.ndarray
            ``(g_0, ..., g_order)``.
        """
        self._need_scalar("taylor")
        n = positive_int(order, "order") + 1
        h = np.zeros((n, 1))
        h[0, 0], h[min(1, n - 1), 0] = float(z0), 1.0
        last = len(self.params) // 2 - 1
        for k in range(last + 1):
            w, b = self.params[2 * k], self.params[2 * k + 1]
            u = h @ w.T
            u[0] += b
            h = u if k == last else _act_series(self.activation, u, self.slope)
        return h[:, 0]

    def _limit(self, side):
        """``G(side * inf)`` for a network ``R -> R`` whose units all saturate on that side (tanh; softplus
        units going to 0), else None; with what :meth:`_from_limit` needs."""
        self._need_scalar("limit")
        w, b = self.params[0][:, 0], self.params[1]
        direction = np.sign(w) * side
        if self.activation == "tanh":
            h = np.where(direction != 0.0, direction, np.tanh(b))
        elif self.activation == "softplus" and not np.any(direction > 0.0):
            h = np.where(direction < 0.0, 0.0, np.logaddexp(0.0, b))
        elif not np.any(direction != 0.0):
            h = _act(self.activation, b, self.slope)[0]
        else:
            return None
        lims = [(h, direction)]
        last = len(self.params) // 2 - 1
        for k in range(1, last + 1):
            u = self.params[2 * k] @ h + self.params[2 * k + 1]
            h = u if k == last else _act(self.activation, u, self.slope)[0]
            lims.append((u, None))
        return float(h[0]), lims

    def _from_limit(self, z, lim):
        """``G(z) - G(side * inf)`` accurately, for ``lim`` from :meth:`_limit`."""
        _, lims = lim
        z = np.asarray(z, dtype=float).reshape(-1, 1)
        u = z @ self.params[0].T + self.params[1]
        _, direction = lims[0]
        if self.activation == "tanh":  # tanh(u) - s = -2 s expit(-2 s u)
            dh = np.where(direction != 0.0, -2.0 * direction * special.expit(-2.0 * direction * u), 0.0)
        elif self.activation == "softplus":
            dh = np.where(direction < 0.0, np.logaddexp(0.0, u), 0.0)
        else:
            dh = np.zeros_like(u)
        last = len(self.params) // 2 - 1
        for k in range(1, last + 1):
            du = dh @ self.params[2 * k].T
            dh = du if k == last else _act_diff(self.activation, lims[k][0], du, self.slope)
        return dh[:, 0]

    def _need_scalar(self, what):
        if self.widths[0] != 1 or self.widths[-1] != 1:
            raise ValueError(f"MLP.{what} needs a network from one input to one output, got widths {self.widths}")


def _bracket_newton(f, fprime, target, lo, hi, z0, increasing, iters=100):
    """Solve ``f(z) = target`` for ``z`` in ``[lo, hi]`` (vectors), ``f`` monotone there (increasing or
    not): Newton steps from ``z0``, bisection where a step leaves the bracket, each point until its step
    or its bracket is within 4 ulps."""
    z = np.clip(np.asarray(z0, dtype=float), lo, hi).copy()
    lo, hi, target = lo.astype(float).copy(), hi.astype(float).copy(), np.asarray(target, dtype=float)
    sign = 1.0 if increasing else -1.0
    todo = np.arange(z.size)
    for _ in range(iters):
        zt, tt = z[todo], target[todo]
        val, der = f(zt), fprime(zt)
        r = sign * (val - tt)
        lo[todo] = np.where(r <= 0.0, zt, lo[todo])
        hi[todo] = np.where(r >= 0.0, zt, hi[todo])
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            step = zt - (val - tt) / der
        lt, ht = lo[todo], hi[todo]
        bad = ~np.isfinite(step) | (step < lt) | (step > ht)
        new = np.where(r == 0.0, zt, np.where(bad, 0.5 * (lt + ht), step))
        # a point is done when its step or bracket is within 4 ulps of z, or its residual is at the
        # rounding level of f (where the steps only chase that rounding; a looser stop would leave the
        # preimage off by residual / f', far beyond the error the density reports where f' is tiny)
        tiny = 4.0 * _EPS * np.maximum(np.maximum(np.abs(zt), np.abs(new)), 1e-300)
        flat = np.abs(val - tt) <= 2.0 * _EPS * (np.abs(val) + np.abs(tt))
        z[todo] = np.where(flat, zt, new)
        done = (np.abs(new - zt) <= tiny) | (ht - lt <= tiny) | flat
        todo = todo[~done]
        if todo.size == 0:
            break
    return z


def _noise_range(base):
    """``(lo, hi)``: the noise's support, infinite ends standing as ``±_BIG`` (the branches reach them;
    the density of the noise there is 0 in float64, its log is finite)."""
    try:
        base._ppf(np.array([0.5]))
    except NotImplementedError:
        raise ValueError("NetworkPushforward needs noise with a quantile function") from None
    lo, hi = base._support()
    return max(lo, -_BIG), min(hi, _BIG)


def _mass_range(base):
    """Where the noise's density is above ``e^-745`` (up to its support's ends), from its median outwards
    in doubling steps of its scale (kept with the noise, which does not change)."""
    got = base.__dict__.get("_mass_range_cache")
    if got is None:
        got = base.__dict__["_mass_range_cache"] = _find_mass_range(base)
    return got


def _find_mass_range(base):
    mid, scale = float(base._ppf(np.array([0.5]))[0]), float(base._scale())
    out = []
    for sign, end in zip((-1.0, 1.0), base._support()):
        room = abs(end - mid)  # (inf for an infinite end)
        t = scale
        while t < min(room, _BIG) and base._logpdf(np.array([mid + sign * t]))[0] > -745.0:
            t *= 2.0
        out.append(float(end) if t >= room else mid + sign * min(t, _BIG))
    return out[0], out[1]


class _Branch(NamedTuple):
    """A monotone branch of ``G`` on ``[a, b]``: ``value(z)`` is ``G(z) - shift`` (``shift``: ``G``'s limit at
    an infinite end of the branch, where that limit exists, so values next to it keep their digits; else
    0), ``table``/``vals``: points of ``z`` and their values, ascending in value, that bracket the inverse."""

    a: float
    b: float
    increasing: bool
    lo: float  # image ends (in x)
    hi: float
    shift: float
    value: object
    table: np.ndarray
    vals: np.ndarray


class NetworkPushforward(Density):
    r"""Density of ``x = G(z)`` for a network ``G: R -> R`` (:class:`MLP`) and one-dimensional noise.

    By the change of variables over every monotone branch of ``G``,
    :math:`p_g(x) = \sum_{z: G(z) = x} p_z(z) / |G'(z)|`. The critical points of ``G`` (where ``G'``
    changes sign) are found on a grid of ``z`` fine enough for the first layer's slopes, where ``G'`` or
    ``G''`` changes sign, and refined by root finding; between them ``G`` is monotone and is inverted by
    safeguarded Newton steps to the last ulp. For tanh and softplus networks the critical values are
    fold points where two branches meet and ``p_g`` has an integrable inverse-square-root singularity:
    they are the density's singular points, next to which the quadrature evaluates it through exact
    differences ``G(c + δ) - G(c)`` (:meth:`MLP.difference`); for a leaky ReLU network they are jumps.
    ``sample`` draws ``G(z)`` exactly; ``cdf`` and ``sf`` sum the noise's mass over the branches.

    Parameters
    ----------
    base : Density or frozen scipy.stats continuous distribution
        The one-dimensional noise ``p_z`` (a normal, typically), with a quantile function.
    net : MLP
        The generator, of widths ``(1, ..., 1)``.

    Attributes
    ----------
    base : Density
        The noise.
    net : MLP
        The generator.
    critical : numpy.ndarray
        The critical points of ``G`` in the noise's range, ascending.
    dim : int
        1.

    Raises
    ------
    TypeError
        If `base` is not a density or `net` is not an :class:`MLP`.
    ValueError
        If `base` is not one-dimensional or has no quantile function, or `net` is not ``R -> R``.

    See Also
    --------
    gantheory.Pushforward : The density of an invertible map of the noise.
    gantheory.adversarial.train : Records the JSD of this density while two networks train.

    Examples
    --------
    >>> import numpy as np
    >>> import gantheory as gt
    >>> from gantheory.networks import MLP, NetworkPushforward
    >>> net = MLP((1, 2, 1), params=[[[3.0], [3.0]], [1.0, -1.0], [[1.0, -1.0]], [0.0]])
    >>> g = NetworkPushforward(gt.Normal(0, 1), net)  # G(z) = tanh(3z + 1) - tanh(3z - 1): one fold
    >>> g.critical.round(12).tolist()
    [0.0]
    >>> total = gt.quadrature.expectation(g, lambda x: np.ones_like(x))
    >>> bool(abs(total - 1) <= total.error < 1e-10)
    True
    """

    dim = 1

    def __init__(self, base, net):
        self.base = as_density(base, "base")
        if self.base.dim != 1:
            raise ValueError(f"NetworkPushforward needs one-dimensional noise, got dim={self.base.dim}")
        if not isinstance(net, MLP):
            raise TypeError(f"net must be an MLP, got {type(net).__name__}")
        if net.widths[0] != 1 or net.widths[-1] != 1:
            raise ValueError(f"net must map R -> R (widths (1, ..., 1)), got {net.widths}")
        self.net = net
        self._zlo, self._zhi = _noise_range(self.base)
        self._zmass = _mass_range(self.base)
        w_scale = np.abs(net.params[0]).max()
        for k in range(2, len(net.params) // 2):
            w_scale *= max(1.0, float(np.abs(net.params[2 * k]).sum(axis=1).max()))
        # the Taylor series at a critical point converges within about pi / (2 w) (tanh's poles); within
        # 1/50 of that 13 terms leave 1e-20 of the difference
        self._radius = 0.02 / max(float(w_scale), 1e-300)
        self._series = {}
        self._grid_vals = None  # (the search points and G on them, for the branches' tables)
        self._grid_z = self._grid()  # (see _grid and _search)
        self._search_z = self._search(self._grid_z)
        self._net_args = None  # (w, b, v, c, activation, slope) of a one-hidden-layer G, for the kernels
        if len(net.widths) == 3:
            self._net_args = (np.ascontiguousarray(net.params[0][:, 0]), np.ascontiguousarray(net.params[1]),
                              np.ascontiguousarray(net.params[2][0]), float(net.params[3][0]),
                              ACTIVATIONS.index(net.activation), float(net.slope))
        self.critical = self._find_critical()
        self._pieces()
        self._kern = self._kernel_data()
        self._err_at = (None, None)  # (nodes, error of their log-density): the quadrature asks for both

    def _params(self):
        return {"base": self.base, "net": self.net}

    def __repr__(self):
        return f"NetworkPushforward({self.base!r}, {self.net!r})"

    # ------------------------------------------------------------------ branches
    def _search(self, grid):
        """The grid of :meth:`_grid` and, beyond its ends, geometric steps (200 a side) out to where every
        first-layer unit is saturated to underflow or to the noise's support: a critical point out there
        holds no mass, but it splits a branch (a slow unit can turn ``G`` thousands of scales out)."""
        w, b = np.abs(self.net.params[0][:, 0]), np.abs(self.net.params[1])
        live = w > 0.0
        reach = float(np.max((400.0 + b[live]) / w[live])) if live.any() else 0.0
        step = grid[1] - grid[0] if grid.size > 1 else 1.0
        parts = [grid]
        for end, start in ((self._zlo, grid[0]), (self._zhi, grid[-1])):
            span = min(abs(end - start), reach + abs(start))
            if span > step:
                parts.append(start + math.copysign(1.0, end - start) * np.geomspace(step, span, 200))
        return np.unique(np.concatenate(parts))

    def _grid(self):
        """A grid of ``z`` over the range where the first layer's units are not saturated (beyond it
        ``G`` is constant or linear to float precision), with a step of 1/16 of the narrowest unit."""
        w, b = self.net.params[0][:, 0], self.net.params[1]
        scale = np.abs(w)
        for k in range(2, len(self.net.params) // 2):  # (deeper layers sharpen the transitions)
            scale = scale * max(1.0, float(np.abs(self.net.params[2 * k]).sum(axis=1).max()))
        live = np.abs(w) > 0.0
        if not live.any():
            return np.array([self._zlo, self._zhi])
        centre = -b[live] / w[live]
        margin = 40.0 / np.abs(w[live])
        # no further than where the noise keeps mass (a fold beyond holds less than 1e-300 of it)
        lo = max(self._zlo, float(np.min(centre - margin)), self._zmass[0])
        hi = min(self._zhi, float(np.max(centre + margin)), self._zmass[1])
        if not lo < hi:
            return np.array([self._zlo, self._zhi])
        n = int(min(2**17, max(257, math.ceil((hi - lo) * 16.0 * float(scale.max())))))
        return np.linspace(lo, hi, n)

    def _find_critical(self):
        """The points where ``G'`` changes sign, ascending: sign changes of ``G'`` on the grid, and pairs
        of them hidden in one step (an extremum of ``G'`` across zero, where ``G''`` changes sign)."""
        z = self._search_z
        self._bends = []  # the extrema of G' (where p_g peaks without a fold): panel edges at their images
        if self.net.activation == "leaky_relu":
            # G' is constant between kinks: the critical points are the kinks where it changes sign
            kinks = np.unique(_kinks(self.net, z))
            kinks = kinks[(kinks > self._zlo) & (kinks < self._zhi)]
            if kinks.size == 0:
                return kinks
            mids = np.concatenate([[kinks[0] - 1.0], 0.5 * (kinks[:-1] + kinks[1:]), [kinks[-1] + 1.0]])
            s = np.sign(self.net.jet(mids)[1])
            return kinks[s[:-1] * s[1:] < 0.0]
        g, d1, d2 = self._jet(z)
        self._grid_vals = (z, g)
        brackets = []
        s1 = np.sign(d1)
        for k in np.flatnonzero(s1[:-1] * s1[1:] < 0.0):
            brackets.append((z[k], z[k + 1]))
        s2 = np.sign(d2)
        ks = np.flatnonzero((s2[:-1] * s2[1:] < 0.0) & (s1[:-1] * s1[1:] > 0.0))
        floor = 1e-3 * _EPS * self._radius  # (a root next to 0 to 1e-19 of the units' widths)
        ext = self._roots(2, z[ks], z[ks + 1], floor)
        crossing = np.sign(self.net.jet(ext)[1]) == -s1[ks] if ks.size else np.zeros(0, bool)
        for k, e, cross in zip(ks, ext, crossing):
            if cross:
                brackets += [(z[k], e), (e, z[k + 1])]
            else:
                self._bends.append(float(e))
        pairs = np.array(brackets, dtype=float).reshape(-1, 2)
        return np.sort(self._roots(1, pairs[:, 0], pairs[:, 1], floor))

    def _jet(self, z):
        """``(G, G', G'')`` at the points ``z`` (compiled for one hidden layer)."""
        if self._net_args is None:
            return self.net.jet(z)
        z = np.ascontiguousarray(z, dtype=float)
        out = np.empty((3, *z.shape))
        _netkernels.jets(z, *self._net_args, out[0], out[1], out[2])
        return out[0], out[1], out[2]

    def _taylor(self, c):
        """The Taylor coefficients of ``G(c + t)`` to ``t^12`` (:meth:`MLP.taylor`; compiled for one hidden
        layer)."""
        if self._net_args is None:
            return self.net.taylor(c, 12)
        out = np.empty(13)
        _netkernels.taylor(float(c), 12, *self._net_args, out)
        return out

    def _values(self, z, lim):
        """``G(z)``, or ``G(z) - G(±inf)`` with ``lim`` from :meth:`MLP.limit`, at the table points ``z``
        (compiled for one hidden layer, the plain values from the grid's where ``z`` is on it)."""
        if self._net_args is None:
            return self.net.forward(z) if lim is None else self.net._from_limit(z, lim)
        out = np.empty(z.shape)
        if self._grid_vals is None:
            grid = self._search_z
            self._grid_vals = (grid, self._jet(grid)[0])
        grid, vals = self._grid_vals
        k = np.minimum(np.searchsorted(grid, z), grid.size - 1)
        hit = grid[k] == z
        out[hit] = vals[k[hit]]
        if lim is not None:
            # G(z) - G(±inf) from G(z) (a tanh network: within a few eps of |c| + sum |v_j| + |G(±inf)|) where
            # that leaves it 1e-12 relative or better (the tables bracket Newton's steps: they must be right),
            # else from the units' distances to their limits
            out[hit] -= lim[0]
            if self.net.activation == "tanh":
                size = abs(lim[0]) + abs(self._net_args[3]) + float(np.sum(np.abs(self._net_args[2])))
                hit &= np.abs(out) >= 1e-3 * size
            else:
                hit[:] = False
            rest = np.ascontiguousarray(z[~hit], dtype=float)
            part = np.empty(rest.shape)
            _netkernels.limit_values(rest, np.asarray(lim[1][0][1], dtype=float), *self._net_args, part)
            out[~hit] = part
            return out
        out[~hit] = self._jet(z[~hit])[0]
        return out

    def _roots(self, order, a, b, floor):
        """Sign changes of ``G'`` (``order`` 1) or ``G''`` (2) in the brackets ``[a_i, b_i]``: see :func:`_bisect`."""
        if self._net_args is None:
            return _bisect(lambda t: self.net.jet(t)[order], a, b, floor)
        a, b = np.array(a, dtype=float, ndmin=1), np.array(b, dtype=float, ndmin=1)
        out = np.empty(a.shape)
        _netkernels.roots(order, a, b, float(floor), *self._net_args, out)
        return out

    def _pieces(self):
        """The monotone branches between the critical points (see :class:`_Branch`), and the folds."""
        ends = np.concatenate([[self._zlo], self.critical, [self._zhi]])
        grid = self._grid_z
        scale = 1.0 + float(np.max(np.abs(grid)))
        # G at the critical points, evaluated once (a product of another shape may round differently)
        gvals, _, curv = self.net.jet(self.critical) if self.critical.size else (np.empty(0),) * 3
        gcrit = dict(zip(self.critical.tolist(), gvals.tolist()))
        self._pz = []
        reach, count = math.inf, 400
        if self.net.activation == "tanh":  # (beyond this every unit's distance to ±1 underflows to 0)
            w, bias = np.abs(self.net.params[0][:, 0]), np.abs(self.net.params[1])
            live = w > 0.0
            reach = float(np.max((400.0 + bias[live]) / w[live])) if live.any() else 0.0
            count = 100
        for a, b in itertools.pairwise(ends):
            inner = grid[(grid > a) & (grid < b)]
            far = []
            for end, start in ((a, grid[0]), (b, grid[-1])):  # geometric steps from the grid to far ends
                if abs(end) > 1e3 * scale:
                    span = max(min(abs(end - start), reach), 2.0)
                    far.append(start + np.sign(end - start) * np.geomspace(1.0, span, count))
            table = np.unique(np.concatenate([[a, b], inner, *far]))
            table = table[(table >= a) & (table <= b)]
            shift, value, lim = 0.0, self.net.forward, None
            if abs(a) >= _BIG or abs(b) >= _BIG:
                lim = self.net._limit(-1.0 if abs(a) >= _BIG else 1.0)
            if lim is not None:
                shift, value = lim[0], (lambda z, lim=lim: self.net._from_limit(z, lim))
            vals = self._values(table, lim)
            inc = bool(vals[-1] > vals[0])
            if vals[-1] == vals[0]:
                inc = bool(self.net.jet(np.array([0.5 * a + 0.5 * b]))[1][0] >= 0.0)
            if not inc:
                table, vals = table[::-1], vals[::-1]
            vals = np.maximum.accumulate(vals)  # (monotone in exact arithmetic; rounding may wobble)
            lo, hi = float(vals[0]) + shift, float(vals[-1]) + shift
            if lim is not None:  # the limit itself is approached, not reached
                lo, hi = (shift, hi) if (abs(a) >= _BIG) == inc else (lo, shift)
            for end, at_high in ((a, not inc), (b, inc)):  # a fold's value as the folds see it: G(c)
                if end in gcrit:
                    lo, hi = (lo, gcrit[end]) if at_high else (gcrit[end], hi)
            self._pz.append(_Branch(float(a), float(b), inc, lo, hi, shift, value, table, vals))
        self._lo = min(p.lo for p in self._pz)
        self._hi = max(p.hi for p in self._pz)
        self._folds, self._fold_at = {}, {}  # fold value -> (c, G''(c)); c -> (fold value, G''(c))
        if self.net.activation != "leaky_relu":
            self._folds = {float(v): (float(c), float(s)) for v, c, s in zip(gvals, self.critical, curv)}
            self._fold_at = {c: (v, s) for v, (c, s) in self._folds.items()}

    def _kernel_data(self):
        """The arguments of the compiled kernels (:mod:`gantheory._netkernels`) for one hidden layer and
        normal noise, else None (the numpy path)."""
        if self._net_args is None or not isinstance(self.base, Normal):
            return None
        pz, n = self._pz, len(self._pz)
        lim_dirs = {}
        for side in (-1.0, 1.0):
            lim = self.net._limit(side)
            lim_dirs[side] = None if lim is None else np.asarray(lim[1][0][1], dtype=float)
        dirs = np.zeros((n, self.net.widths[1]))
        mode = np.zeros(n, dtype=np.int64)
        for i, p in enumerate(pz):  # (as _pieces: a branch to an infinite end is valued from G's limit there)
            side = -1.0 if abs(p.a) >= _BIG else 1.0
            if (abs(p.a) >= _BIG or abs(p.b) >= _BIG) and lim_dirs[side] is not None:
                dirs[i], mode[i] = lim_dirs[side], 1
        folds = sorted(self._fold_at)
        fold_c = np.full((n, 2), -1, dtype=np.int64)
        for i, p in enumerate(pz):
            for end, c in enumerate((p.a, p.b)):
                if c in self._fold_at:
                    fold_c[i, end] = folds.index(c)
        coef = np.zeros((max(len(folds), 1), 13))
        for f, c in enumerate(folds):
            coef[f] = self._series.get(c) if c in self._series else self._taylor(c)
            self._series[c] = coef[f]
        units = np.zeros((coef.shape[0], 2, self.net.widths[1]))  # the units at the folds (see _netkernels._value)
        for f, c in enumerate(folds):
            u = c * self.net.params[0][:, 0] + self.net.params[1]
            if self.net.activation == "tanh":
                units[f] = np.tanh(u), 2.0 * special.expit(-2.0 * np.abs(u))
            else:
                units[f, 0] = special.expit(u)
        start = np.concatenate([[0], np.cumsum([p.table.size for p in pz])]).astype(np.int64)
        return (np.array([p.lo for p in pz]), np.array([p.hi for p in pz]), np.array([p.a for p in pz]),
                np.array([p.b for p in pz]), np.array([p.increasing for p in pz], dtype=np.int64),
                np.array([p.shift for p in pz]), mode, dirs, start,
                np.concatenate([p.table for p in pz]), np.concatenate([p.vals for p in pz]), fold_c,
                np.array([self._fold_at[c][0] for c in folds]), np.array([self._fold_at[c][1] for c in folds]),
                coef, units, *self._net_args, float(self._radius), float(self.base.loc), float(self.base.scale),
                float(self.base._lognorm))

    def _branch(self, piece, x, slope=False):
        """The preimages of ``x`` (inside the branch's image) on one branch (and ``G'`` there, with
        ``slope``). Next to a fold ``x0 = G(c)`` at an end of the branch, where ``G(z) = x`` is
        ill-conditioned, the preimage ``c + δ`` solves ``G(c + δ) - G(c) = x - x0`` instead
        (:meth:`_from_fold`)."""
        if self._kern is not None:
            z, d1 = np.empty(x.shape), np.empty(x.shape)
            i = next(i for i, p in enumerate(self._pz) if p is piece)
            _netkernels.preimages(i, np.ascontiguousarray(x, dtype=float), *self._kern[2:23], z, d1)
            return (z, d1) if slope else z
        z = self._branch_plain(piece, x)
        d1 = self.net.jet(z)[1] if slope else None
        for c in (piece.a, piece.b):
            fold = self._fold_at.get(c)
            if fold is None:
                continue
            x0, curv = fold
            off = x - x0
            with np.errstate(divide="ignore", invalid="ignore"):
                close = np.sqrt(2.0 * np.abs(off) / abs(curv)) < self._radius
            if close.any():
                d, s = self._from_fold(piece, c, curv, off[close])
                z[close] = c + d
                if slope:
                    d1[close] = s
        return (z, d1) if slope else z

    def _from_fold(self, piece, c, curv, off):
        """``(δ, G'(c + δ))`` with ``G(c + δ) - G(c) = off`` on ``piece``, one of the two branches that meet
        at the fold ``c`` (``G''(c) = curv``); ``off`` must be on the side of the fold's image."""
        right = piece.a == c
        span = (piece.b - c) if right else (piece.a - c)
        with np.errstate(invalid="ignore"):
            d0 = np.nan_to_num(np.sqrt(2.0 * off / curv)) * (1.0 if right else -1.0)
        lo = np.full(off.shape, 0.0 if right else span)
        hi = np.full(off.shape, span if right else 0.0)
        diff, slope = self._near(c)
        d = _bracket_newton(diff, slope, off, lo, hi, d0, piece.increasing)
        return d, slope(d)

    def _branch_plain(self, piece, x):
        """The preimages of ``x`` on one branch by Newton's method from the branch's table."""
        target = x - piece.shift
        k = np.clip(np.searchsorted(piece.vals, target), 1, len(piece.vals) - 1)
        za, zb = piece.table[k - 1], piece.table[k]
        va, vb = piece.vals[k - 1], piece.vals[k]
        with np.errstate(divide="ignore", invalid="ignore"):  # (the secant through the table's bracket)
            z0 = np.where(vb > va, za + (target - va) * (zb - za) / (vb - va), 0.5 * (za + zb))
        lo, hi = np.minimum(za, zb), np.maximum(za, zb)
        return _bracket_newton(piece.value, lambda t: self.net.jet(t)[1], target, lo, hi, z0, piece.increasing)

    def _terms(self, x, skip=()):
        """Per branch, ``log p_z(z) - log |G'(z)|`` at the preimages of ``x`` (``-inf`` off its image)."""
        out = []
        for i, piece in enumerate(self._pz):
            t = np.full(x.shape, -np.inf)
            inside = (x >= piece.lo) & (x <= piece.hi)
            if i not in skip and inside.any():
                z, d1 = self._branch(piece, x[inside], slope=True)
                lpz = self.base._logpdf(z)
                with np.errstate(divide="ignore", invalid="ignore"):
                    term = lpz - np.log(np.abs(d1))
                # where G' underflows to 0 as p_z does (far along a saturated branch) the density is that of
                # the branch's end: none to speak of
                t[inside] = np.where((lpz < -745.0) & ~np.isfinite(term), -np.inf, term)
            out.append(t)
        return out

    def _logpdf(self, x):
        x = np.asarray(x, dtype=float)
        flat = x.ravel()
        if self._kern is not None:
            flat = np.ascontiguousarray(flat)
            out, err = np.empty(flat.shape), np.empty(flat.shape)
            _netkernels.logpdf(flat, *self._kern, out, err)
            self._err_at = (flat.copy(), err)
            return out.reshape(x.shape)
        terms = self._terms(flat)
        with np.errstate(divide="ignore"):
            return special.logsumexp(np.stack(terms), axis=0).reshape(x.shape) if terms else np.full(x.shape, -np.inf)

    def _logpdf_offset(self, x0, off, loff=None):
        """``log p_g(x0 + off)`` next to a fold ``x0 = G(c)``: on the two branches that meet at ``c`` the
        preimage ``c + δ`` solves ``G(c + δ) - G(c) = off`` through exact differences."""
        fold = self._folds.get(float(x0))
        off = np.asarray(off, dtype=float)
        if fold is None:
            return self._logpdf(x0 + off)
        c, curv = fold
        if self._kern is not None:
            flat = np.ascontiguousarray(off, dtype=float).ravel()
            out = np.empty(flat.shape)
            adjacent = np.array([p.a == c or p.b == c for p in self._pz])
            lf = np.zeros(flat.shape) if loff is None else np.broadcast_to(loff, off.shape).astype(float).ravel()
            _netkernels.logpdf_offset(float(x0), flat, lf, loff is not None, sorted(self._fold_at).index(c), adjacent,
                                      *self._kern, out)
            return out.reshape(off.shape)
        adjacent = [i for i, p in enumerate(self._pz) if p[0] == c or p[1] == c]
        terms = self._terms(x0 + off, skip=adjacent)
        for i in adjacent:
            t = np.full(off.shape, -np.inf)
            # a maximum (G'' < 0) has preimages below x0 only, a minimum above
            ok = (off < 0.0) if curv < 0.0 else (off > 0.0)
            lo_img, hi_img = self._pz[i][3] - x0, self._pz[i][4] - x0
            ok &= (off >= lo_img) & (off <= hi_img)
            # within 1e-8 of the series' radius the fold is G(c) + G''(c) δ² / 2 to 1e-8 relative (and a
            # float c cannot resolve it more finely): the asymptotic form, through log |off| where it underflows
            with np.errstate(divide="ignore"):
                lo_all = np.log(np.abs(off)) if loff is None else np.where(off == 0.0, loff, np.log(np.abs(off)))
            tiny = ok & (0.5 * (math.log(2.0) + lo_all - math.log(abs(curv))) < math.log(1e-8 * self._radius))
            reg = ok & ~tiny
            if reg.any():
                d, s = self._from_fold(self._pz[i], c, curv, off[reg])
                with np.errstate(divide="ignore"):
                    t[reg] = self.base._logpdf(c + d) - np.log(np.abs(s))
            if tiny.any():  # |G'(c + δ)| = |G''| δ with δ = sqrt(2 |off| / |G''|)
                t[tiny] = self.base._logpdf(np.array([c]))[0] - 0.5 * (math.log(2.0 * abs(curv)) + lo_all[tiny])
            terms.append(t)
        with np.errstate(divide="ignore"):
            return special.logsumexp(np.stack(terms), axis=0)

    def _near(self, c):
        """``(δ -> G(c + δ) - G(c), δ -> G'(c + δ))`` next to a critical point ``c``: from the Taylor series
        at ``c`` within ``_radius`` (where the exact differences of the layers would cancel to the
        digits of ``G'(c) = 0``), from :meth:`MLP.difference` and :meth:`MLP.jet` beyond."""
        coef = self._series.get(c)
        if coef is None:
            coef = self._series[c] = self._taylor(c)
        powers = np.arange(1, coef.size)

        def diff(u):
            near = np.abs(u) <= self._radius
            series = np.polynomial.polynomial.polyval(np.where(near, u, 0.0), np.concatenate([[0.0], coef[1:]]))
            return np.where(near, series, self.net.difference(np.full(u.shape, c), u))

        def slope(u):
            near = np.abs(u) <= self._radius
            series = np.polynomial.polynomial.polyval(np.where(near, u, 0.0), powers * coef[1:])
            return np.where(near, series, self.net.jet(c + u)[1])

        return diff, slope

    def _mass(self, x, below):
        """The noise's mass on ``{z: G(z) <= x}`` (``below``) or ``{z: G(z) > x}``, each branch's part as a
        difference of the noise's cdf or of its sf, whichever keeps the digits of a tail."""
        x = np.asarray(x, dtype=float)
        flat = x.ravel()
        total = np.zeros(flat.shape)
        for piece in self._pz:
            a, b, inc, lo, hi = piece[:5]
            full = float(self._between(np.array([a]), np.array([b]))[0])
            inside = (flat > lo) & (flat < hi)
            part = np.where(flat >= hi, full, 0.0) if below else np.where(flat <= lo, full, 0.0)
            if inside.any():
                z = self._branch(piece, flat[inside])
                # {G <= x} is [a, z] on an increasing branch, [z, b] on a decreasing one
                left = inc == below
                part[inside] = self._between(np.where(left, a, z), np.where(left, z, b))
            total += part
        return np.clip(total, 0.0, 1.0).reshape(x.shape)

    def _between(self, lo, hi):
        """The noise's mass on ``[lo, hi]``: ``cdf(hi) - cdf(lo)`` in the lower half, ``sf(lo) - sf(hi)``
        in the upper (no cancellation against 1 in either tail)."""
        lo, hi = np.asarray(lo, dtype=float), np.asarray(hi, dtype=float)
        c_hi = self.base._cdf(hi)
        return np.where(c_hi <= 0.5, c_hi - self.base._cdf(lo), self.base._sf(lo) - self.base._sf(hi))

    def _cdf(self, x):
        return self._mass(x, True)

    def _sf(self, x):
        return self._mass(x, False)

    def _sample(self, n, rng):
        return self.net.forward(self.base._sample(n, rng))

    @property
    def _qmc_dims(self):
        return self.base._qmc_dims

    def _from_uniform(self, u):
        return self.net.forward(self.base._from_uniform(u))

    def _on_branches(self, flat):
        """Per branch whose image holds some of the points ``flat``: ``(which, z, G'(z), G''(z))``."""
        for piece in self._pz:
            inside = (flat >= piece.lo) & (flat <= piece.hi)
            if inside.any():
                z, d1 = self._branch(piece, flat[inside], slope=True)
                yield inside, z, d1, self.net.jet(z)[2]

    def _score(self, x):
        x = np.asarray(x, dtype=float)
        flat = x.ravel()
        num, den = np.zeros(flat.shape), np.zeros(flat.shape)
        for inside, z, d1, d2 in self._on_branches(flat):
            with np.errstate(all="ignore"):
                t = np.exp(self.base._logpdf(z) - np.log(np.abs(d1)))
                num[inside] += t * (self.base._score(z) - d2 / d1) / d1
            den[inside] += t
        with np.errstate(all="ignore"):
            return (num / den).reshape(x.shape)

    def _logpdf_err(self, x, lp):
        # the rounding of x moves a branch's term by |d term / dx| ulp(x) / 2, the rounding of G's value
        # (a few eps of the sizes of its terms, each layer's: counted as 4 eps per layer, twice for G(c) next
        # to a fold) by |d term / dx| times that, and the preimage (to 2 ulps of z) by |d term / dz| 2 ulp(z)
        flat = np.asarray(x, dtype=float).ravel()
        seen, err = self._err_at
        if seen is not None and seen.shape == flat.shape and np.array_equal(seen, flat):
            return err.reshape(np.shape(x))
        err = np.zeros(flat.shape)
        for inside, z, d1, d2 in self._on_branches(flat):
            with np.errstate(all="ignore"):
                dz = np.abs(self.base._score(z) - d2 / d1)
                rounding = 0.5 * np.spacing(np.abs(flat[inside])) + 8.0 * _EPS * self._sizes(z)
                e = dz * (rounding / np.abs(d1) + 2.0 * np.spacing(np.abs(z)))
            err[inside] = np.maximum(err[inside], np.where(np.isfinite(e), e, np.inf))
        return err.reshape(np.shape(x))

    def _sizes(self, z):
        """The sizes of the terms of ``G(z)``: ``|b_L| + |W_L| |h_(L-1)|``, once per layer."""
        _, (hs, _) = self.net.forward(z, keep=True)
        w, b = self.net.params[-2], self.net.params[-1]
        return (np.abs(hs[-1]) @ np.abs(w[0]) + abs(float(b[0]))) * (len(self.net.params) // 2)

    # ------------------------------------------------------------------ quadrature hints
    def _support(self):
        lo = -math.inf if self._lo < -1e100 else self._lo
        hi = math.inf if self._hi > 1e100 else self._hi
        return (lo, hi)

    def _singular(self):
        return np.array(sorted(self._folds))

    def _breaks(self):
        if self.net.activation != "leaky_relu":
            return np.empty(0)
        return self.net.forward(_kinks(self.net, self._search_z))

    def _landmarks(self):
        edges = self.base._hints().edges
        pts = np.concatenate([edges[np.isfinite(edges)], self._bends])
        if self.net.activation == "leaky_relu":
            pts = np.concatenate([pts, self.critical])
        vals = self.net.forward(pts) if pts.size else np.empty(0)
        vals = vals[np.isfinite(vals) & (np.abs(vals) < 1e100)]
        # the fold values as declared (G(c) evaluated again, in another batch, can round an ulp or two away
        # and leave a panel of two ulps next to the singular point); other images that close are dropped
        folds = self._singular()
        if folds.size:
            near = np.abs(vals[:, None] - folds[None, :]) <= 8.0 * np.spacing(np.abs(folds))[None, :]
            vals = np.concatenate([vals[~near.any(axis=1)], folds])
        return vals

    def _scale(self):
        q = self.net.forward(self.base._ppf(np.array([0.1, 0.25, 0.75, 0.9])))
        s = float(np.max(q) - np.min(q)) / 2.56
        if s > 0.0 and math.isfinite(s):
            return s
        return max(abs(float(self.net.jet(self.base._ppf(np.array([0.5])))[1][0])) * float(self.base._scale()), 1e-300)

    def _tails(self):
        out = []
        base_tails = self.base._tails()
        ends = ((self._pz[0], 0, self._zlo), (self._pz[-1], 1, self._zhi))  # the branches to z -> -inf, +inf
        for side, end in ((0, self._lo), (1, self._hi)):
            if abs(end) < 1e100:
                out.append(COMPACT)
                continue
            # each linear branch that reaches this end stretches the noise's tail by its slope: the heaviest
            cands = []
            for piece, zside, z_far in ends:
                if (piece.lo if side == 0 else piece.hi) == end or abs(piece.lo if side == 0 else piece.hi) > 1e100:
                    slope = abs(float(self.net.jet(np.array([z_far]))[1][0]))
                    t = base_tails[zside]
                    if t is not None and t.kind == "exppow" and slope > 0.0:
                        t = Tail("exppow", t.k, t.c / slope**t.k)
                    cands.append(t)
            out.append(None if not cands or None in cands else max(cands, key=Tail.heaviness))
        return tuple(out)


def _bisect(f, a, b, floor=0.0, iters=1100):
    """Sign changes of ``f`` (a vectorised function) in the brackets ``[a_i, b_i]``, all at once, each to
    the last ulp or to ``floor`` (an absolute width, below which a root next to 0 needs no more digits)."""
    a, b = np.array(a, dtype=float, ndmin=1), np.array(b, dtype=float, ndmin=1)
    if a.size == 0:
        return a
    fa = f(a)
    for _ in range(iters):
        m = 0.5 * (a + b)
        live = (m > a) & (m < b) & (b - a > floor)
        if not live.any():
            break
        fm = f(m)
        left = (fm < 0.0) == (fa < 0.0)
        a, fa = np.where(live & left & (fm != 0.0), m, a), np.where(live & left & (fm != 0.0), fm, fa)
        b = np.where(live & (~left | (fm == 0.0)), m, b)
        a = np.where(live & (fm == 0.0), m, a)
    return 0.5 * (a + b)


def _kinks(net, grid):
    """The points where a leaky ReLU network's units change side: the first layer's ``-b/w`` exactly,
    deeper layers' sign changes on the grid refined by bisection."""
    w, b = net.params[0][:, 0], net.params[1]
    pts = list((-b[w != 0.0] / w[w != 0.0]).tolist())
    h = grid.reshape(-1, 1)
    last = len(net.params) // 2 - 1
    for k in range(last):
        u = h @ net.params[2 * k].T + net.params[2 * k + 1]
        if k > 0:
            for j in range(u.shape[1]):
                s = np.sign(u[:, j])
                i = np.flatnonzero(s[:-1] * s[1:] < 0.0)
                pts += _bisect(lambda t, k=k, j=j: _pre(net, t, k)[:, j], grid[i], grid[i + 1]).tolist()
        h = _act(net.activation, u, net.slope)[0]
    return np.array(sorted(pts))


def _pre(net, z, layer):
    """The pre-activations of hidden layer ``layer`` at the points ``z``."""
    h = np.asarray(z, dtype=float).reshape(-1, 1)
    for k in range(layer + 1):
        u = h @ net.params[2 * k].T + net.params[2 * k + 1]
        h = _act(net.activation, u, net.slope)[0]
    return u


class CouplingGenerator(_Parametrised):
    """An invertible generator ``R² -> R²``: affine coupling layers with exact inverses and Jacobians.

    Layer ``i`` keeps the coordinate ``c = i mod 2`` and maps the other, ``o``, to
    ``u_o exp(s_i(u_c)) + t_i(u_c)``, where ``s_i`` and ``t_i`` are one-hidden-layer :class:`MLP` networks
    ``R -> R`` (Dinh, Sohl-Dickstein and Bengio 2017). The map is invertible for any parameters, with
    ``log |det dG/dz| = sum_i s_i``, so the density of ``x = G(z)`` for normal noise is exact
    (:class:`CouplingPushforward`). It has the training interface of :class:`MLP` (``forward``/``backward`` on
    ``(n, 2)`` points, ``flat``/``with_params``).

    Parameters
    ----------
    hidden : int, >= 1, default 8
        Hidden units of each ``s_i`` and ``t_i``.
    layers : int, >= 1, default 4
        Coupling layers (alternating the kept coordinate).
    activation : {"tanh", "softplus", "leaky_relu"}, default "tanh"
        The activation of the ``s_i`` and ``t_i`` networks (tanh keeps ``s_i`` bounded).
    rng : None, int or numpy.random.Generator, optional
        Seeds the initial parameters (each network as :class:`MLP`, its output layer scaled by 0.1 so
        that the map starts near the identity).

    Attributes
    ----------
    nets : tuple of (MLP, MLP)
        ``(s_i, t_i)`` per layer.
    n_params : int
        The number of scalar parameters.
    widths : tuple of int
        ``(2, 2)``: the input and output dimensions (as the ends of :attr:`MLP.widths`).

    Raises
    ------
    ValueError
        If `hidden` or `layers` is below 1 or `activation` is unknown.

    See Also
    --------
    MLP : The networks inside, and a general generator ``R² -> R²`` (no exact density).
    CouplingPushforward : The exact density of ``G(z)``.
    gantheory.adversarial.train : Trains it on 2-D data, recording the exact JSD.

    Examples
    --------
    >>> import numpy as np
    >>> from gantheory.networks import CouplingGenerator
    >>> gen = CouplingGenerator(rng=0)
    >>> z = np.random.default_rng(1).standard_normal((5, 2))
    >>> x = gen.forward(z)
    >>> back, _ = gen.inverse(x)
    >>> bool(np.allclose(back, z, rtol=1e-13, atol=1e-14))
    True
    """

    def __init__(self, hidden=8, layers=4, activation="tanh", *, rng=None):
        hidden, layers = positive_int(hidden, "hidden"), positive_int(layers, "layers")
        choice(activation, "activation", ACTIVATIONS)
        gen = np.random.default_rng(rng)
        nets = []
        for _ in range(layers):
            pair = []
            for _ in range(2):
                w1, b1, w2, b2 = MLP((1, hidden, 1), activation, rng=gen).params
                pair.append(MLP((1, hidden, 1), activation, params=[w1, b1, 0.1 * w2, 0.1 * b2]))
            nets.append(tuple(pair))
        self.nets = tuple(nets)
        self.n_params = sum(s.n_params + t.n_params for s, t in self.nets)
        self.widths = (2, 2)

    def __repr__(self):
        return f"CouplingGenerator(layers={len(self.nets)}, hidden={self.nets[0][0].widths[1]})"

    def flat(self):
        """Return the parameters as one vector (``s_1, t_1, s_2, ...``, each as :meth:`MLP.flat`).

        Returns
        -------
        numpy.ndarray
            A new vector of length `n_params`.
        """
        return np.concatenate([net.flat() for pair in self.nets for net in pair])

    def _with(self, flat):
        out, i = [], 0
        for s, t in self.nets:
            pair = []
            for net in (s, t):
                pair.append(net._with(flat[i:i + net.n_params]))
                i += net.n_params
            out.append(tuple(pair))
        gen = object.__new__(CouplingGenerator)
        gen.nets, gen.n_params, gen.widths = tuple(out), self.n_params, self.widths
        return gen

    def _points(self, z, what):
        z = real_array(z, f"CouplingGenerator.{what}'s points")
        if z.ndim != 2 or z.shape[1] != 2:
            raise ValueError(f"CouplingGenerator.{what} needs points of shape (n, 2), got {z.shape}")
        if np.isnan(z).any():
            raise ValueError(f"CouplingGenerator.{what} needs points without NaN")
        return z

    def forward(self, z, *, keep=False):
        """Map noise points ``z`` to ``x = G(z)``.

        Parameters
        ----------
        z : array_like of float
            Shape ``(n, 2)``.
        keep : bool, default False
            Also return what :meth:`backward` needs.

        Returns
        -------
        numpy.ndarray
            Shape ``(n, 2)``.
        cache : list, only with ``keep=True``
            Each layer's inputs and its networks' caches.

        Raises
        ------
        TypeError
            If `z` is not real numbers.
        ValueError
            If `z` is not of shape ``(n, 2)`` or contains NaN.
        """
        u = self._points(z, "forward").copy()
        cache = []
        for i, (s_net, t_net) in enumerate(self.nets):
            c, o = i % 2, 1 - i % 2
            if keep:
                kept = u[:, c].copy()  # (the caches hold their inputs; u changes in place below)
                (s, cs), (t, ct) = s_net.forward(kept, keep=True), t_net.forward(kept, keep=True)
                cache.append((u[:, o].copy(), s, cs, ct))
            else:
                s, t = s_net.forward(u[:, c]), t_net.forward(u[:, c])
            u[:, o] = u[:, o] * np.exp(s) + t
        return (u, cache) if keep else u

    __call__ = forward

    def backward(self, cache, grad_out):
        """Backpropagate ``grad_out`` (the gradient of a scalar loss with respect to the outputs).

        Parameters
        ----------
        cache : list
            From ``forward(z, keep=True)``.
        grad_out : array_like of float
            Shape ``(n, 2)``.

        Returns
        -------
        grads : numpy.ndarray
            The gradient with respect to the parameters, in the order of :meth:`flat`.
        grad_in : numpy.ndarray
            The gradient with respect to ``z``, shape ``(n, 2)``.
        """
        g = np.array(grad_out, dtype=float).reshape(-1, 2)
        parts = []
        for i in range(len(self.nets) - 1, -1, -1):
            s_net, t_net = self.nets[i]
            c, o = i % 2, 1 - i % 2
            u_o, s, cs, ct = cache[i]
            es = np.exp(s)
            gs, gs_in = s_net.backward(cs, g[:, o] * u_o * es)
            gt, gt_in = t_net.backward(ct, g[:, o])
            g[:, c] = g[:, c] + gs_in + gt_in
            g[:, o] = g[:, o] * es
            parts.append(np.concatenate([gs, gt]))
        return np.concatenate(parts[::-1]), g

    def inverse(self, x):
        """Return ``z = G^-1(x)`` and ``log |det dG/dz|`` at that ``z``.

        Parameters
        ----------
        x : array_like of float
            Shape ``(n, 2)``.

        Returns
        -------
        z : numpy.ndarray
            Shape ``(n, 2)``.
        logdet : numpy.ndarray
            ``sum_i s_i``, shape ``(n,)``.

        Raises
        ------
        TypeError
            If `x` is not real numbers.
        ValueError
            If `x` is not of shape ``(n, 2)`` or contains NaN.
        """
        u = self._points(x, "inverse").copy()
        logdet = np.zeros(u.shape[0])
        for i in range(len(self.nets) - 1, -1, -1):
            s_net, t_net = self.nets[i]
            c, o = i % 2, 1 - i % 2
            s, t = s_net.forward(u[:, c]), t_net.forward(u[:, c])
            u[:, o] = (u[:, o] - t) * np.exp(-s)
            logdet += s
        return u, logdet


class CouplingPushforward(Density):
    r"""The exact density of ``x = G(z)``, ``G`` a :class:`CouplingGenerator` and ``z ~ N(0, I)`` in 2-D.

    By the change of variables through the exact inverse,
    :math:`\log p_g(x) = \log \varphi(G^{-1}(x)) - \sum_i s_i`, with :math:`\varphi` the 2-D standard
    normal density. ``sample`` draws ``G(z)`` exactly, and the quasi-Monte Carlo estimators push scrambled
    Sobol points through ``G`` (``gt.js_divergence(p, q, method="qmc")``). The quadrature's tensor rule
    takes its frame from the mean and covariance of ``G(z)`` (computed by a Gauss-Hermite rule over the
    noise, widened where ``G`` stretches its tails beyond it until it holds the image of the noise's disc of
    radius 8);
    a ``G`` that folds its mass into thin ridges needs many nodes there, and QMC is the practical route.
    The sparse rule (``rule="sparse"``) is refused: its error model assumes Gaussian-like densities.

    Parameters
    ----------
    generator : CouplingGenerator
        The map ``G``.

    Attributes
    ----------
    generator : CouplingGenerator
        As given.
    dim : int
        2.

    Raises
    ------
    TypeError
        If `generator` is not a :class:`CouplingGenerator`.

    See Also
    --------
    NetworkPushforward : The density of a 1-D network generator (a sum over branches).
    gantheory.estimators.quasi_monte_carlo : Divergences at scrambled Sobol points, with a standard error.

    Examples
    --------
    The density of ``G(z)`` at ``G(z0)`` is the noise's density at ``z0`` over the Jacobian determinant:

    >>> import numpy as np
    >>> from gantheory.networks import CouplingGenerator, CouplingPushforward
    >>> gen = CouplingGenerator(rng=0)
    >>> p_g = CouplingPushforward(gen)
    >>> z0 = np.array([[0.3, -1.2]])
    >>> _, logdet = gen.inverse(gen.forward(z0))
    >>> lp = -0.5 * np.sum(z0**2) - np.log(2 * np.pi) - logdet
    >>> bool(np.allclose(p_g.logpdf(gen.forward(z0)), lp, rtol=1e-14))
    True
    """

    _qmc_dims = 2
    #: Its Gaussian parts only frame the tensor rule; the sparse rule's error model would read them as the
    #: density's shape.
    _frame_only = True

    def __init__(self, generator):
        if not isinstance(generator, CouplingGenerator):
            raise TypeError(f"CouplingPushforward needs a CouplingGenerator, got {type(generator).__name__}")
        self.generator = generator
        self.dim = 2

    def _params(self):
        return {"generator": self.generator}

    def __repr__(self):
        return f"CouplingPushforward({self.generator!r})"

    def _logpdf(self, x):
        flat = x.reshape(-1, 2)
        with np.errstate(over="ignore", invalid="ignore"):
            z, logdet = self.generator.inverse(flat)
            lp = -0.5 * np.sum(z * z, axis=1) - _LOG_2PI - logdet
        lp = np.where(np.isnan(lp), -np.inf, lp)  # (beyond the float range of the map's scales)
        return lp.reshape(x.shape[:-1])

    def _sample(self, n, rng):
        return self.generator.forward(rng.standard_normal((n, 2)))

    def _from_uniform(self, u):
        return self.generator.forward(special.ndtri(u[:, :2]))

    def _gaussian_parts(self):
        return self._frame

    @functools.cached_property
    def _frame(self):
        """The Gaussian part of the quadrature's frame: the mean and covariance of ``G(z)`` (by a 20-point
        Gauss-Hermite rule in each noise coordinate), widened where the image of the circle ``|z| = 8``
        leaves its 9-standard-deviation ellipse until the ellipse holds that image (``G`` is a
        homeomorphism, so the image of the disc, which holds all but 1.3e-14 of the noise's mass, lies
        inside)."""
        t, w = np.polynomial.hermite_e.hermegauss(20)
        z = np.stack(np.meshgrid(t, t, indexing="ij"), axis=-1).reshape(-1, 2)
        wz = np.outer(w, w).ravel()
        angle = np.linspace(0.0, 2.0 * np.pi, 1441)
        with np.errstate(over="ignore", invalid="ignore"):
            x = self.generator.forward(z)
            rim = self.generator.forward(_RIM * np.column_stack([np.cos(angle), np.sin(angle)]))
        ok = np.isfinite(x).all(axis=1) & (np.abs(x).max(axis=1) < 1e150)
        rim = rim[np.isfinite(rim).all(axis=1) & (np.abs(rim).max(axis=1) < 1e150)]
        if not ok.any() or rim.shape[0] == 0:
            raise ValueError("CouplingPushforward: the generator's images overflow on the noise's bulk; its "
                             "density has no usable quadrature frame (method='qmc' still applies)")
        wz = wz[ok] / wz[ok].sum()
        mean = wz @ x[ok]
        dev = x[ok] - mean
        cov = (dev * wz[:, None]).T @ dev
        cov += np.diag(1e-12 * np.diag(cov).max() + 1e-300 * np.ones(2))  # (a degenerate bulk stays definite)
        dev = rim - mean
        reach = 1.02 * math.sqrt(float(np.max(np.einsum("ni,ij,nj->n", dev, np.linalg.inv(cov), dev))))
        # (2% of margin: the rim's points bound its image from inside; the mass the box still misses is
        # measured and charged by the quadrature itself)
        return [(mean, cov * max(1.0, reach / 9.0) ** 2)]
