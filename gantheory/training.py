"""GPU-free training on grids (THEORY.md S12 and beyond).

Function space (Goodfellow et al. 2014, Proposition 2): ``p_g`` is a density on a grid, ``D = D*``
at every step, and ``p_g`` takes gradient steps on ``C(G)``. On a grid with quadrature weights ``w``
the criterion is ``C(g) = sum_i w_i [p_i log(p_i/(p_i + g_i)) + g_i log(g_i/(p_i + g_i))]``; its
gradient in ``g`` (Danskin: the gradient of the max is the gradient of V at ``D*``) is
``w_i log(1 - D*_i)``. Mirror descent on the simplex with step ``η`` multiplies ``g`` by
``(1 - D*)^(-η)`` and renormalises: with ``η = 1`` that is exactly ``g <- (g + p)/2``.

Every run returns a :class:`History` of arrays and is deterministic.
"""

import math
from dataclasses import dataclass, field

import numpy as np

from . import _kernels as K
from ._checks import choice, finite_array, positive_int, scalar
from .densities import as_density

__all__ = ["History", "function_space", "grid_jsd"]

_LOG4 = math.log(4.0)


@dataclass
class History:
    """What a training run went through, one entry per step (step 0 is the start).

    ``jsd`` is JSD(p_data, p_g) (on the grid for grid runs, by quadrature for parametric ones) and
    ``c_plus_log4`` is ``C(G) + log 4 = 2 JSD``. ``params`` holds the generator's parameters per step
    (the grid density itself for function-space runs, final value only).
    """

    name: str
    steps: np.ndarray
    jsd: np.ndarray
    c_plus_log4: np.ndarray
    grad_norm: np.ndarray
    params: np.ndarray
    extra: dict = field(default_factory=dict)

    @property
    def final_jsd(self):
        return float(self.jsd[-1])

    def steps_to(self, threshold):
        """First step at which JSD falls below ``threshold`` (None if never)."""
        hit = np.flatnonzero(self.jsd < threshold)
        return int(self.steps[hit[0]]) if hit.size else None


def _trapezoid_weights(x):
    w = np.zeros_like(x)
    h = np.diff(x)
    w[:-1] += 0.5 * h
    w[1:] += 0.5 * h
    return w


def _grid_values(p, x, name):
    """Values of a density (or of a given non-negative array) on the grid, normalised there."""
    if hasattr(p, "logpdf") or hasattr(p, "dist"):
        p = as_density(p, name)
        if p.dim != 1:
            raise ValueError(f"{name} must be one-dimensional for a 1-D grid")
        logv = p._logpdf(x)
        v = np.exp(logv - np.max(logv))
    else:
        v = finite_array(p, name, ndim=1)
        if v.shape != x.shape:
            raise ValueError(f"{name} has shape {v.shape} but the grid has {x.shape}")
        if np.any(v < 0) or not np.any(v > 0):
            raise ValueError(f"{name} must be non-negative and not all zero")
    return v / np.dot(_trapezoid_weights(x), v)


def grid_jsd(p, g, w):
    """``sum_i w_i j(p_i, g_i)``: the JSD of two grid densities under the weights ``w``, in log space."""
    with np.errstate(divide="ignore"):
        lp, lg, lw = np.log(p), np.log(g), np.log(w)
    out, noise = np.empty_like(p), np.empty_like(p)
    z = np.zeros_like(p)
    K.terms(K.JSD, lp, lg, z, z, lw, out, noise)
    return min(max(math.fsum(out), 0.0), math.log(2.0))


def function_space(p_data, grid, *, steps=100, lr=1.0, p_g0=None, method="mirror", tol=0.0):
    """Gradient steps on ``C(G)`` over densities on ``grid`` with ``D = D*`` at every step.

    Parameters
    ----------
    p_data : density or array
        The data density (evaluated and normalised on the grid) or its values on the grid.
    grid : array
        Strictly increasing nodes; the trapezoid rule gives the weights.
    steps : int
        Maximum number of steps.
    lr : float
        Step size ``η`` in ``(0, 1]`` for ``method="mirror"`` (``η = 1``: ``g <- (g + p)/2``), any
        positive value for ``method="softmax"`` (plain gradient descent on the logits).
    p_g0 : density or array, optional
        The start; uniform on the grid by default.
    tol : float
        Stop once the grid JSD falls below ``tol``.
    """
    x = finite_array(grid, "grid", ndim=1)
    if x.size < 2 or not np.all(np.diff(x) > 0):
        raise ValueError("grid must hold at least 2 strictly increasing nodes")
    steps = positive_int(steps, "steps", minimum=0)
    choice(method, "method", ("mirror", "softmax"))
    lr = scalar(lr, "lr", positive=True, upper=1.0 if method == "mirror" else None)
    tol = scalar(tol, "tol", lower=0.0)
    w = _trapezoid_weights(x)
    p = _grid_values(p_data, x, "p_data")
    g = _grid_values(np.ones_like(x) if p_g0 is None else p_g0, x, "p_g0")
    if np.any((g == 0) & (p > 0)):
        raise ValueError("p_g0 must be positive wherever p_data is (a step cannot create mass there)")
    theta = np.log(g)
    jsd, gnorm = [grid_jsd(p, g, w)], []
    for _ in range(steps):
        with np.errstate(divide="ignore"):
            log1m_dstar = np.log(g) - np.logaddexp(np.log(p), np.log(g))  # log(1 - D*)
        grad = np.where(g > 0, log1m_dstar, 0.0)
        gnorm.append(float(np.sqrt(np.dot(w, g * (grad - np.dot(w, g * grad)) ** 2))))
        if method == "mirror":
            with np.errstate(divide="ignore"):
                lg = np.log(g) - lr * grad
        else:
            theta = theta - lr * g * (grad - np.dot(w, g * grad))
            lg = theta
        lg = lg - np.max(lg)
        g = np.exp(lg)
        g = g / np.dot(w, g)
        jsd.append(grid_jsd(p, g, w))
        if jsd[-1] < tol:
            break
    jsd = np.array(jsd)
    gnorm.append(math.nan)
    return History(f"function space ({method}, lr={lr:g})", np.arange(jsd.size), jsd, 2.0 * jsd,
                   np.array(gnorm), g[None, :], {"grid": x, "weights": w, "p_data": p})
