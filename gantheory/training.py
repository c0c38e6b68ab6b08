"""GPU-free training: function space on grids, Algorithm 1, parametric generators, the Dirac-GAN.

Function space (Goodfellow et al. 2014, Proposition 2; docs/theory.md S12)
    ``p_g`` is a density on a grid with quadrature weights ``w``; with ``D = D*`` the criterion
    ``C(g) = sum_i w_i [p_i log(p_i/(p_i + g_i)) + g_i log(g_i/(p_i + g_i))]`` has the gradient
    ``w_i log(1 - D*_i)`` in ``g`` (Danskin: the gradient of the max is the gradient of V at D*).
    Mirror descent on the simplex with step ``η`` multiplies ``g`` by ``(1 - D*)^(-η)`` and
    renormalises; ``η = 1`` gives exactly ``g <- (g + p)/2``.
Algorithm 1 (Goodfellow et al. 2014)
    The same grid generator against a grid discriminator ``d = sigmoid(ψ)``: ``k`` gradient-ascent
    steps on ``V`` in ``ψ`` per generator step, the generator descending the minimax loss
    ``E_g[log(1 - d)]`` or the non-saturating ``-E_g[log d]``.
Parametric generators
    ``x = shift + scale z`` (``"affine"``) or ``x = shift + scale sinh(tailweight asinh z + skew)``
    (``"sinh_arcsinh"``) of ``z ~ N(0, 1)``, against ``D*`` or the parametric discriminator
    ``sigmoid(a x² + b x + c)`` (which contains D* for two normals). Gradients are exact
    expectations by quadrature: a 2401-node trapezoid rule over ``z`` in [-12, 12] (geometric
    convergence for these smooth integrands; the tests check it against adaptive quadrature), and the
    data density's own grid for the discriminator's ascent.
Dirac-GAN (Mescheder, Geiger, Nowozin 2018; docs/theory.md B4)
    ``p_data = δ_0``, generator ``δ_θ``, ``D_ψ(x) = ψ x``, ``L = f(θψ) + f(0)`` with
    ``f(t) = -log(1 + e^-t)``: simultaneous or alternating gradient steps, optionally with the R1
    penalty ``(γ/2) ψ²``, and the Jacobian of the gradient field at the equilibrium.

Every run returns a :class:`History` of arrays and is deterministic; the grid and parametric runs show a
progress bar (tqdm, if installed) when stderr is a terminal. ``steps`` is at most ``MAX_STEPS`` (10^6): a
History keeps every step, and a longer run is a request for hours, better made as several runs from the
last state. A grid run of more than ``MAX_GRID_WORK`` (10^10) units of work, ``steps`` times the grid
nodes (times ``k + 1`` for ``algorithm1``), is refused up front with an estimate of its time (0.1 to
0.6 us per unit). Measured on a 2-core machine with a 10^5-node grid, ``function_space`` took
about 0.6 us per node and step and ``algorithm1`` about 0.65 to 0.76 us with ``k = 1`` and 0.94 to
1.1 us with ``k = 10`` (0.38 and 0.09 us per unit), so 10^10 units take from about 15 minutes to two
hours; ``parametric`` took 0.3 to 0.8 ms per step (the JSD recorded at every step is about half of
that).
"""

import math
import sys
from dataclasses import dataclass, field

import numpy as np
from scipy import special

from . import _kernels as K
from ._checks import choice, finite_array, positive_int, scalar
from .densities import Normal, _has_jumps, as_density
from .divergences import js_divergence
from .transforms import Affine, Pushforward, SinhArcsinh

__all__ = [
    "MAX_GRID_WORK",
    "MAX_STEPS",
    "History",
    "algorithm1",
    "dirac_gan",
    "dirac_jacobian",
    "function_space",
    "grid_jsd",
    "parametric",
]


#: Largest ``steps`` a training run accepts.
MAX_STEPS = 10**6
#: Largest ``steps x grid nodes (x (k + 1) for algorithm1)`` a grid training run accepts.
MAX_GRID_WORK = 10**10


def _affordable(name, steps, nodes, per_step=1):
    """ValueError, with the estimate, for a grid run beyond :data:`MAX_GRID_WORK` node-steps."""
    work = steps * nodes * per_step
    if work > MAX_GRID_WORK:
        lo, hi = work * 1e-7 / 3600.0, work * 6e-7 / 3600.0  # (0.1 to 0.6 us a unit, measured on 2 cores)
        raise ValueError(f"{name}: {steps} steps on a grid of {nodes} nodes is {work:.3g} units of work, "
                         f"{lo:.2g} to {hi:.2g} hours at 0.1 to 0.6 us each; at most {MAX_GRID_WORK:.0e} (fewer "
                         "steps, or a coarser grid; a long run is better made as several runs from the last state)")


@dataclass
class History:
    """Record of a training run, one entry per recorded step (step 0 is the start).

    The trainers build it; its fields are the constructor's parameters, as attributes of the same names.

    Parameters
    ----------
    name : str
        What was run, with its main settings (``"function space (mirror, lr=1)"``, say).
    steps : numpy.ndarray of int, shape (r,)
        The recorded step numbers, increasing from 0: every step for grid and Dirac-GAN runs; every
        ``record_every``-th step and the last one for :func:`parametric`.
    jsd : numpy.ndarray of float, shape (r,)
        JSD(p_data, p_g) in nats at those steps: on the grid (:func:`grid_jsd`) for grid runs, by adaptive
        quadrature for parametric ones, ``log 2`` or 0 (at ``θ = 0``) for the Dirac-GAN.
    c_plus_log4 : numpy.ndarray of float, shape (r,)
        ``C(G) + log 4 = 2 JSD``.
    grad_norm : numpy.ndarray of float, shape (s,)
        The norm of the update direction of each of the ``s`` steps taken (for grid and Dirac-GAN runs
        ``s = r - 1``; for parametric runs one entry per step, recorded or not).
    params : numpy.ndarray of float, shape (r, p) or (1, nodes)
        The generator's parameters at each recorded step; for grid runs one row, the final density's
        values at the grid nodes.
    extra : dict, default {}
        Run-specific data: ``"grid"`` (the list of axes), ``"weights"`` and ``"p_data"`` (normalised, at
        the nodes) for grid runs, ``"d"`` (the final discriminator at the nodes) for :func:`algorithm1`,
        ``"param_names"`` and ``"discriminator"`` (``(a, b, c)`` at each record) for :func:`parametric`,
        ``"radius"`` (``sqrt(θ² + ψ²)`` at every step) for :func:`dirac_gan`.

    See Also
    --------
    function_space, algorithm1, parametric, dirac_gan : The runs that return it.

    Examples
    --------
    >>> import numpy as np
    >>> import gantheory as gt
    >>> from gantheory.training import function_space
    >>> h = function_space(gt.Normal(), np.linspace(-6.0, 6.0, 241), steps=20)
    >>> h.name, int(h.steps[-1]), h.params.shape, sorted(h.extra)
    ('function space (mirror, lr=1)', 20, (1, 241), ['grid', 'p_data', 'weights'])
    >>> p = h.extra["p_data"]  # lr = 1: g_n = p + 2^-n (g_0 - p), from the uniform g_0 = 1/12 on the grid
    >>> bool(np.allclose(h.params[0], p + 2.0**-20 * (1.0 / 12.0 - p), rtol=1e-12, atol=0)), h.steps_to(1e-3)
    (True, 7)
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
        """JSD (nats) at the last recorded step, as a float."""
        return float(self.jsd[-1])

    def steps_to(self, threshold):
        """Return the first recorded step at which JSD is below ``threshold``.

        Parameters
        ----------
        threshold : float
            The level, in nats; the comparison is strict (``jsd < threshold``).

        Returns
        -------
        int or None
            The step number (an entry of ``steps``), or None if no recorded JSD is below ``threshold``.
        """
        hit = np.flatnonzero(self.jsd < threshold)
        return int(self.steps[hit[0]]) if hit.size else None


def _progress(total, desc):
    """A tqdm bar on stderr when attached to a terminal (and tqdm is installed), else nothing."""
    if not sys.stderr.isatty():
        return None
    try:
        from tqdm import tqdm
    except ImportError:  # pragma: no cover - the report extra installs it
        return None
    return tqdm(total=total, desc=desc, leave=False)


# ------------------------------------------------------------------------------------ grids
def _trapezoid_weights(x):
    w = np.zeros_like(x)
    h = np.diff(x)
    w[:-1] += 0.5 * h
    w[1:] += 0.5 * h
    return w


_MAX_GRID = 10**7  # nodes of a training grid (each step touches every node a few times)


def _grid(grid):
    """Nodes (n,) or (n, d), trapezoid weights (n,), and the axes, from one axis or a tuple of axes."""
    axes = list(grid) if isinstance(grid, (tuple, list)) else [grid]
    if not axes:
        raise ValueError("grid must hold at least one axis")
    axes = [finite_array(a, "grid", ndim=1) for a in axes]
    for a in axes:
        if a.size < 2 or not np.all(np.diff(a) > 0):
            raise ValueError("grid axes must hold at least 2 strictly increasing nodes")
        if np.max(np.abs(a)) > 1e150:
            raise ValueError("grid nodes must lie within 1e150 in size (like a location)")
    if math.prod(a.size for a in axes) > _MAX_GRID:
        raise ValueError(f"grid must have at most {_MAX_GRID:g} nodes in all, got {math.prod(a.size for a in axes)}")
    if len(axes) == 1:
        return axes[0], _trapezoid_weights(axes[0]), axes
    mesh = np.meshgrid(*axes, indexing="ij")
    w = _trapezoid_weights(axes[0])
    for a in axes[1:]:
        w = np.multiply.outer(w, _trapezoid_weights(a))
    return np.stack([m.ravel() for m in mesh], axis=-1), w.ravel(), axes


def _grid_values(p, x, w, name):
    """Values of a density (or of a given non-negative array) on the grid, normalised there."""
    if hasattr(p, "logpdf") or hasattr(p, "dist"):
        p = as_density(p, name)
        dim = 1 if x.ndim == 1 else x.shape[1]
        if p.dim != dim:
            raise ValueError(f"{name} has dim={p.dim} but the grid is {dim}-dimensional")
        with np.errstate(divide="ignore", over="ignore"):
            logv = p._logpdf(x)
        if np.any(logv == np.inf):
            raise ValueError(f"{name} is unbounded at a grid node (a singular end of its support): keep the "
                             "grid off it")
        if not np.any(np.isfinite(logv)):
            raise ValueError(f"{name} vanishes at every grid node")
        v = np.exp(logv - np.max(logv))
    else:
        v = finite_array(p, name).ravel()
        if v.size != w.size:
            raise ValueError(f"{name} has {v.size} values but the grid has {w.size} nodes")
        if np.any(v < 0) or not np.any(v > 0):
            raise ValueError(f"{name} must be non-negative and not all zero")
        v = v / np.max(v)  # relative values: the normalising sum cannot overflow
    return v / np.dot(w, v)


def grid_jsd(p, g, w):
    """Compute the JSD of two densities given by their values on a grid with quadrature weights.

    ``JSD = Σ_i w_i j(p_i, g_i)`` with ``j(p, g) = [p log(2p/(p + g)) + g log(2g/(p + g))]/2`` and
    ``0 log 0 = 0``, formed from the logarithms of ``p``, ``g`` and ``w``, summed, then clipped to
    ``[0, log 2]``, which only removes rounding.

    Parameters
    ----------
    p, g : array_like of float
        The two densities' values at the nodes, finite and >= 0, each normalised under ``w``
        (``Σ w p = Σ w g = 1`` to within 1e-9).
    w : array_like of float
        The quadrature weights, finite and >= 0. The three arrays are flattened and must have one size.

    Returns
    -------
    float
        The JSD in nats, in ``[0, log 2]``.

    Raises
    ------
    TypeError
        If ``p``, ``g`` or ``w`` is not an array of real numbers.
    ValueError
        If one of them holds a non-finite or negative value, their sizes differ, or ``p`` or ``g`` is not
        normalised under ``w``.

    See Also
    --------
    function_space : Records this JSD at every step.
    gantheory.js_divergence : JSD of two densities by adaptive quadrature.

    Examples
    --------
    >>> import math
    >>> import numpy as np
    >>> from gantheory.training import grid_jsd
    >>> w = np.full(4, 0.5)
    >>> abs(grid_jsd([1, 1, 0, 0], [0, 0, 1, 1], w) - math.log(2)) < 1e-15  # disjoint supports
    True
    >>> abs(grid_jsd([1, 1, 0, 0], [0.5, 0.5, 0.5, 0.5], w) - 0.75 * math.log(4 / 3)) < 1e-15
    True

    Two normals one apart on a trapezoid grid, against scipy's ``rel_entr`` on the same arrays:

    >>> from scipy.special import rel_entr
    >>> x = np.linspace(-8.0, 9.0, 341)
    >>> w = np.full(x.size, x[1] - x[0])
    >>> w[[0, -1]] /= 2
    >>> p, g = np.exp(-0.5 * x**2), np.exp(-0.5 * (x - 1.0) ** 2)
    >>> p, g = p / np.dot(w, p), g / np.dot(w, g)
    >>> m = (p + g) / 2
    >>> jsd = grid_jsd(p, g, w)
    >>> bool(abs(jsd - 0.5 * np.dot(w, rel_entr(p, m) + rel_entr(g, m))) < 1e-15), round(jsd, 10)
    (True, 0.1114214822)

    (The trapezoid rule is spectrally accurate here: the continuous JSD is 0.11142148218 by mpmath.)
    """
    p, g, w = (np.ravel(finite_array(v, name)) for v, name in ((p, "p"), (g, "g"), (w, "w")))
    if not p.shape == g.shape == w.shape:
        raise ValueError(f"p, g and w must have one shape, got {p.shape}, {g.shape} and {w.shape}")
    for v, name in ((p, "p"), (g, "g"), (w, "w")):
        if np.any(v < 0):
            raise ValueError(f"{name} must be non-negative")
    for v, name in ((p, "p"), (g, "g")):
        with np.errstate(over="ignore"):
            mass = float(np.dot(w, v))
        if not abs(mass - 1.0) <= 1e-9:
            raise ValueError(f"{name} must be normalised under w (sum w {name} = 1), got {mass!r}")
    return _grid_jsd(p, g, w)


def _grid_jsd(p, g, w):
    """:func:`grid_jsd` for the trainers' own arrays (checked once, when the run starts)."""
    with np.errstate(divide="ignore"):
        lp, lg, lw = np.log(p), np.log(g), np.log(w)
    out, noise = np.empty_like(p), np.empty_like(p)
    z = np.zeros_like(p)
    K.terms(K.JSD, lp, lg, z, z, lw, z, z, out, noise)
    # (non-negative terms: numpy's pairwise sum is within about log2(n) eps of their sum, relatively)
    return min(max(float(np.sum(out)), 0.0), math.log(2.0))


def _mirror_step(g, grad, lr):
    """``g <- g exp(-lr grad)``, renormalised (in log space; zero cells stay zero)."""
    with np.errstate(divide="ignore"):
        lg = np.log(g) - lr * grad
    lg -= np.max(lg)
    return np.exp(lg)


def _grid_start(p_data, grid, p_g0):
    x, w, axes = _grid(grid)
    p = _grid_values(p_data, x, w, "p_data")
    g = _grid_values(np.ones(w.size) if p_g0 is None else p_g0, x, w, "p_g0")
    if np.any((g == 0) & (p > 0)):
        raise ValueError("p_g0 must be positive wherever p_data is (a step cannot create mass there)")
    return x, w, axes, p, g


def function_space(p_data, grid, *, steps=100, lr=1.0, p_g0=None, method="mirror", tol=0.0):
    """Run gradient descent on ``C(G)`` over densities on a grid, with ``D = D*`` at every step.

    This is the setting of Proposition 2 of [1]_: the generator is the density ``g`` itself, and the
    discriminator is optimal for it at every step. With ``D = D*`` the gradient of
    ``C(g) = Σ_i w_i [p_i log D*_i + g_i log(1 - D*_i)]`` in ``g_i`` is ``w_i log(1 - D*_i)``.
    ``method="mirror"`` multiplies ``g`` by ``(1 - D*)^(-lr)`` and renormalises (``lr = 1``:
    ``g <- (g + p)/2``, which halves the total variation distance at every step).
    ``method="softmax"`` takes gradient steps on the logits ``log g``.

    Parameters
    ----------
    p_data : Density, frozen scipy.stats continuous distribution, or array_like of float
        The data density, evaluated at the nodes and normalised under the trapezoid weights (it must be
        finite and not vanish at every node), or its values at the nodes: ``>= 0``, not all 0, one per
        node (flattened in ``ij`` order on a tensor grid).
    grid : array_like of float, or tuple of them
        A 1-D grid, or the axes of a tensor grid in as many dimensions as ``p_data`` has: each axis at
        least 2 strictly increasing finite nodes within 1e150 in size, at most 10^7 nodes in all. The
        trapezoid rule gives the weights.
    steps : int, in [0, MAX_STEPS], default 100
        Most steps; ``steps`` times the nodes must be at most ``MAX_GRID_WORK``.
    lr : float, default 1.0
        The step size ``η``: in ``(0, 1]`` for ``"mirror"``, any positive value for ``"softmax"``.
    p_g0 : Density, frozen scipy.stats distribution, or array_like of float, optional
        The start, given like ``p_data`` and positive wherever ``p_data`` is (a step cannot create mass
        where ``g`` is 0). Default: uniform on the grid.
    method : {"mirror", "softmax"}, default "mirror"
        ``"mirror"``: mirror descent, ``g <- g (1 - D*)^(-lr)`` renormalised. ``"softmax"``: gradient
        descent on the logits ``log g``, each component's step scaled by ``g`` (slow where ``g`` is
        small).
    tol : float, >= 0, default 0.0
        Stop after the first step whose grid JSD is below ``tol`` (0: never).

    Returns
    -------
    History
        The grid JSD at the start and after every step taken (``steps`` from 0), ``grad_norm`` the norm
        under ``g`` of each step's direction ``log(1 - D*)`` with its mean under ``g`` removed,
        ``params`` the final density at the nodes (one row), and ``extra`` with ``"grid"``, ``"weights"``
        and ``"p_data"``.

    Raises
    ------
    TypeError
        If ``p_data`` or ``p_g0`` is neither a density nor an array of real numbers, ``steps`` is not an
        int, ``method`` is not a str, or ``lr`` or ``tol`` is not a real number.
    ValueError
        If ``grid`` is malformed, ``p_data`` or ``p_g0`` does not match it (dimension, number of values,
        negative or all-zero values, infinite at a node), ``p_g0`` vanishes where ``p_data`` does not,
        ``method`` is unknown, ``steps``, ``lr`` or ``tol`` is out of its range, or the run exceeds
        ``MAX_GRID_WORK``.

    See Also
    --------
    algorithm1 : The same generator against a trained (not optimal) discriminator.
    grid_jsd : The JSD recorded at every step.
    History : The returned record.
    gantheory.virtual_criterion : ``C(G)`` of two densities.

    References
    ----------
    .. [1] I. Goodfellow, J. Pouget-Abadie, M. Mirza, B. Xu, D. Warde-Farley, S. Ozair, A. Courville,
       Y. Bengio, "Generative Adversarial Nets", NeurIPS, 2014.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.special import rel_entr
    >>> import gantheory as gt
    >>> from gantheory.training import function_space
    >>> grid = np.linspace(-6.0, 6.0, 241)
    >>> h = function_space(gt.Normal(), grid, steps=20)
    >>> p, w = h.extra["p_data"], h.extra["weights"]  # p normalised on the grid; the uniform start is 1/12
    >>> g = [p + 2.0**-n * (1.0 / 12.0 - p) for n in range(21)]  # lr = 1: g <- (g + p)/2 at every step
    >>> bool(np.allclose(h.params[0], g[20], rtol=1e-12, atol=0))
    True
    >>> def jsd(p, g):  # the grid JSD by scipy: Σ w [p log(p/m) + g log(g/m)]/2, m = (p + g)/2
    ...     m = (p + g) / 2
    ...     return 0.5 * np.dot(w, rel_entr(p, m) + rel_entr(g, m))
    >>> bool(np.allclose(h.jsd, [jsd(p, gn) for gn in g], rtol=1e-12, atol=1e-15)), h.steps_to(1e-3)
    (True, 7)
    >>> soft = function_space(gt.Normal(), grid, steps=20, method="softmax")
    >>> print(f"{soft.final_jsd:.3f}", abs(soft.final_jsd - jsd(p, soft.params[0])) < 1e-13)
    0.069 True
    """
    steps = positive_int(steps, "steps", minimum=0, maximum=MAX_STEPS)
    choice(method, "method", ("mirror", "softmax"))
    lr = scalar(lr, "lr", positive=True, upper=1.0 if method == "mirror" else None)
    tol = scalar(tol, "tol", lower=0.0)
    _, w, axes, p, g = _grid_start(p_data, grid, p_g0)
    _affordable("function_space", steps, w.size)
    theta = np.log(g)

    def step(g):
        nonlocal theta
        with np.errstate(divide="ignore"):
            grad = np.where(g > 0, np.log(g) - np.logaddexp(np.log(p), np.log(g)), 0.0)  # log(1 - D*)
        if method == "mirror":
            return _mirror_step(g, grad, lr), _direction_norm(w, g, grad)
        theta = theta - lr * g * (grad - np.dot(w, g * grad))
        return np.exp(theta - np.max(theta)), _direction_norm(w, g, grad)

    g, jsd, gnorm = _descend(p, g, w, steps, tol, "function space", step)
    return History(f"function space ({method}, lr={lr:g})", np.arange(jsd.size), jsd, 2.0 * jsd,
                   gnorm, g[None, :], {"grid": axes, "weights": w, "p_data": p})


def _direction_norm(w, g, grad):
    """The norm under ``g`` of a step direction with its mean removed (a constant moves no mass)."""
    centred = grad - np.dot(w, g * grad)
    return float(np.sqrt(np.dot(w, g * centred**2)))


def _descend(p, g, w, steps, tol, desc, step):
    """Generator steps on a grid: ``step(g) -> (g', norm of the direction)``; ``g'`` is renormalised and
    the grid JSD recorded after each step; stops once it falls below ``tol``."""
    jsd, gnorm = [_grid_jsd(p, g, w)], []
    bar = _progress(steps, desc)
    for _ in range(steps):
        g, norm = step(g)
        g = g / np.dot(w, g)
        gnorm.append(norm)
        jsd.append(_grid_jsd(p, g, w))
        if bar is not None:
            bar.update(1)
        if jsd[-1] < tol:
            break
    if bar is not None:
        bar.close()
    return g, np.array(jsd), np.array(gnorm)


def algorithm1(p_data, grid, *, k=1, loss="minimax", steps=2000, lr_d=1.0, lr_g=1.0, p_g0=None, tol=0.0):
    """Run Algorithm 1 of Goodfellow et al. (2014) with a grid generator and a grid discriminator.

    Each iteration takes ``k`` ascent steps of the discriminator ``d = sigmoid(ψ)`` (one logit per node) on
    ``V``, then one mirror-descent step of the generator density ``g`` on the minimax loss
    ``Σ w g log(1 - d)`` or the non-saturating ``-Σ w g log d`` [1]_. ``V`` is separable over the nodes and
    concave in each ``ψ_i``, with gradient ``w_i (p_i + g_i)(D*_i - d_i)`` and curvature
    ``-w_i (p_i + g_i) d_i (1 - d_i)``; the ascent steps are these gradients preconditioned by the
    curvature, ``ψ += lr_d (D* - d) / (d (1 - d))`` with the quotient clipped to [-50, 50] (damped Newton,
    so nodes far out in the tails learn as fast as the bulk), and a step that would pass the node's
    maximum ``ψ_i = log(p_i / g_i)`` stops there (an exact line search: an unguarded Newton step from far
    out overshoots, and could swing by ±50 without end). With ``lr_d = 1`` the discriminator reaches D*
    within a few steps; ``ψ`` carries over from one generator step to the next. The generator
    step multiplies ``g`` by ``exp(-lr_g s)`` and renormalises, with ``s = log(1 - d)`` (minimax) or
    ``-log d`` (non-saturating).

    Parameters
    ----------
    p_data : Density, frozen scipy.stats continuous distribution, or array_like of float
        The data density, evaluated at the nodes and normalised under the trapezoid weights (it must be
        finite and not vanish at every node), or its values at the nodes: ``>= 0``, not all 0, one per
        node (flattened in ``ij`` order on a tensor grid).
    grid : array_like of float, or tuple of them
        A 1-D grid, or the axes of a tensor grid in as many dimensions as ``p_data`` has: each axis at
        least 2 strictly increasing finite nodes within 1e150 in size, at most 10^7 nodes in all. The
        trapezoid rule gives the weights.
    k : int, >= 1, default 1
        Discriminator steps per generator step.
    loss : {"minimax", "non_saturating"}, default "minimax"
        The generator's loss.
    steps : int, in [0, MAX_STEPS], default 2000
        Most generator steps; ``steps (k + 1)`` times the nodes must be at most ``MAX_GRID_WORK``.
    lr_d : float, in (0, 1], default 1.0
        Damping of the discriminator's (guarded) Newton steps.
    lr_g : float, in (0, 1], default 1.0
        The generator's mirror-descent step size.
    p_g0 : Density, frozen scipy.stats distribution, or array_like of float, optional
        The start, given like ``p_data`` and positive wherever ``p_data`` is. Default: uniform on the grid.
        The discriminator starts at ``d = 1/2``.
    tol : float, >= 0, default 0.0
        Stop after the first generator step whose grid JSD is below ``tol`` (0: never).

    Returns
    -------
    History
        The grid JSD at the start and after every generator step (``steps`` from 0), ``grad_norm`` the
        norm under ``g`` of each generator step's direction with its mean under ``g`` removed, ``params``
        the final density at the nodes (one row), and ``extra`` with ``"grid"``, ``"weights"``,
        ``"p_data"`` and ``"d"`` (the final discriminator at the nodes).

    Raises
    ------
    TypeError
        If ``p_data`` or ``p_g0`` is neither a density nor an array of real numbers, ``k`` or ``steps`` is
        not an int, ``loss`` is not a str, or ``lr_d``, ``lr_g`` or ``tol`` is not a real number.
    ValueError
        If ``grid`` is malformed, ``p_data`` or ``p_g0`` does not match it (dimension, number of values,
        negative or all-zero values, infinite at a node), ``p_g0`` vanishes where ``p_data`` does not,
        ``loss`` is unknown, ``k``, ``steps``, ``lr_d``, ``lr_g`` or ``tol`` is out of its range, or the
        run exceeds ``MAX_GRID_WORK``.

    See Also
    --------
    function_space : The same generator against ``D*``.
    parametric : A parametric generator and discriminator.
    History : The returned record.
    gantheory.value_function : ``V(G, D)`` of two densities and a discriminator.

    References
    ----------
    .. [1] I. Goodfellow, J. Pouget-Abadie, M. Mirza, B. Xu, D. Warde-Farley, S. Ozair, A. Courville,
       Y. Bengio, "Generative Adversarial Nets", NeurIPS, 2014.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.special import rel_entr
    >>> import gantheory as gt
    >>> from gantheory.training import algorithm1
    >>> grid = np.linspace(-6.0, 6.0, 241)
    >>> h = algorithm1(gt.Normal(), grid, steps=20)
    >>> p, w = h.extra["p_data"], h.extra["weights"]
    >>> def jsd(p, g):  # the grid JSD by scipy: Σ w [p log(p/m) + g log(g/m)]/2, m = (p + g)/2
    ...     m = (p + g) / 2
    ...     return 0.5 * np.dot(w, rel_entr(p, m) + rel_entr(g, m))
    >>> start = jsd(p, np.full(p.size, 1.0 / 12.0))  # the uniform start, 1/12 on the grid
    >>> print(h.name, abs(h.jsd[0] - start) < 1e-14, h.final_jsd < 1e-6)
    Algorithm 1 (k=1, minimax) True True
    >>> ns = algorithm1(gt.Normal(), grid, steps=20, k=5, loss="non_saturating")
    >>> ns.extra["d"].shape, bool(abs(ns.final_jsd - jsd(p, ns.params[0])) < 1e-14)
    ((241,), True)
    """
    k = positive_int(k, "k")
    choice(loss, "loss", ("minimax", "non_saturating"))
    steps = positive_int(steps, "steps", minimum=0, maximum=MAX_STEPS)
    lr_d = scalar(lr_d, "lr_d", positive=True, upper=1.0)
    lr_g = scalar(lr_g, "lr_g", positive=True, upper=1.0)
    tol = scalar(tol, "tol", lower=0.0)
    _, w, axes, p, g = _grid_start(p_data, grid, p_g0)
    _affordable("algorithm1", steps, w.size, k + 1)
    psi = np.zeros_like(p)

    def step(g):
        nonlocal psi
        with np.errstate(divide="ignore", invalid="ignore"):
            dstar = np.where(p + g > 0, p / (p + g), 0.5)
        with np.errstate(divide="ignore"):
            top = np.log(p) - np.log(g)  # the logit of D*, where each node's V is largest (±inf: a side empty)
        for _ in range(k):
            # (D* - d) / (d (1 - d)) = D* (1 + e^-ψ) - (1 - D*)(1 + e^ψ), without 0/0 where d rounds
            # to 0 or 1; a step is at most 50 in the logit
            e = np.exp(-np.abs(np.clip(psi, -600.0, 600.0)))
            big = 1.0 + 1.0 / e
            ascent = np.where(psi >= 0, dstar * (1.0 + e) - (1.0 - dstar) * big,
                              dstar * big - (1.0 - dstar) * (1.0 + e))
            step = lr_d * np.clip(ascent, -50.0, 50.0)
            # V is concave in each ψ_i: a Newton step from far out overshoots the maximum (from d = 0.99
            # to 1e-20 and back), so a step stops at the maximum it would pass (an exact line search)
            psi = np.where(np.abs(step) < np.abs(top - psi), psi + step, np.where(np.isfinite(top), top, psi + step))
        ld, l1d = -np.logaddexp(0.0, -psi), -np.logaddexp(0.0, psi)  # log d, log(1 - d)
        grad = l1d if loss == "minimax" else -ld
        return _mirror_step(g, grad, lr_g), _direction_norm(w, g, grad)

    g, jsd, gnorm = _descend(p, g, w, steps, tol, f"Algorithm 1 (k={k}, {loss})", step)
    return History(f"Algorithm 1 (k={k}, {loss})", np.arange(jsd.size), jsd, 2.0 * jsd, gnorm,
                   g[None, :], {"grid": axes, "weights": w, "p_data": p, "d": special.expit(psi)})


# ------------------------------------------------------------------------------ parametric
_Z = np.linspace(-12.0, 12.0, 2401)
_WZ = _trapezoid_weights(_Z) * np.exp(-0.5 * _Z**2) / math.sqrt(2.0 * math.pi)

GENERATORS = {"affine": ("scale", "shift"), "sinh_arcsinh": ("scale", "shift", "skew", "tailweight")}


def _generator(kind, theta):
    """The generator density and, on the z-grid, its samples x(z) and ∂x/∂θ (rows per parameter)."""
    if kind == "affine":
        s, t = theta
        x = t + s * _Z
        return Pushforward(Normal(0.0, 1.0), Affine(s, t)), x, np.stack([_Z, np.ones_like(_Z)])
    s, t, e, d = theta
    a = d * np.arcsinh(_Z) + e
    u, c = np.sinh(a), np.cosh(a)
    dens = Pushforward(Pushforward(Normal(0.0, 1.0), SinhArcsinh(e, d)), Affine(s, t))
    return dens, t + s * u, np.stack([u, np.ones_like(_Z), s * c, s * c * np.arcsinh(_Z)])


def _data_grid(p):
    """A fixed trapezoid grid for expectations under the (light-tailed) data density."""
    pts = p._hints().edges
    lo, hi = float(pts.min()), float(pts.max())
    x = np.linspace(lo, hi, 8001)
    wx = _trapezoid_weights(x) * np.exp(p._logpdf(x))
    return x, wx / wx.sum()


def parametric(p_data, *, generator="affine", discriminator="optimal", loss="minimax", init=None,
               steps=1000, lr=0.05, k=1, lr_d=0.5, d0=(0.0, 0.0, 0.0), tol=0.0, record_every=1):
    """Train a parametric generator of ``z ~ N(0, 1)`` against ``p_data`` by gradient descent.

    The generator is ``x = shift + scale z`` (``"affine"``) or ``x = shift + scale sinh(tailweight asinh z
    + skew)`` (``"sinh_arcsinh"``, the map of :class:`gantheory.SinhArcsinh`). Each step descends the
    generator's loss ``E_z[h(x(z))]``, ``h = log(1 - D)`` (minimax) or ``-log D`` (non-saturating), with
    ``D`` held fixed, by its reparametrised gradient ``E_z[h'(x) ∂x/∂θ]``, integrated by a 2401-node
    trapezoid rule over ``z`` in [-12, 12]. Against ``D*`` the minimax step is gradient descent on ``C(G)``
    of [1]_ (Danskin: the gradient of the max is that of ``V`` at ``D*`` held fixed).

    Parameters
    ----------
    p_data : Density or frozen scipy.stats continuous distribution
        The one-dimensional data density. With ``discriminator="optimal"`` its support must be the whole
        line and it must have no jumps (``D*`` jumps there, and the reparametrised gradient misses the
        mass crossing them). With ``"quadratic"`` its expectations use a fixed 8001-node trapezoid grid
        over a finite range holding its mass (from the density's own quadrature hints), which suits light
        tails.
    generator : {"affine", "sinh_arcsinh"}, default "affine"
        The generator family, with parameters ``(scale, shift)`` or ``(scale, shift, skew, tailweight)``.
    discriminator : {"optimal", "quadratic"}, default "optimal"
        ``D*`` of the current generator at every step, or ``sigmoid(a x² + b x + c)`` from ``d0`` with
        ``k`` ascent steps on ``V`` per generator step. ``V`` is concave in ``(a, b, c)``; each step is
        a damped Newton step of size ``lr_d`` (the gradient ``E_p[(1 - D) φ] - E_g[D φ]`` preconditioned
        by the curvature ``E_{p+g}[D (1 - D) φ φᵀ]``, ``φ = (x², x, 1)``).
    loss : {"minimax", "non_saturating"}, default "minimax"
        ``E_g[log(1 - D)]`` or ``-E_g[log D]``.
    init : array_like of float, optional
        The starting parameters, in the order of ``generator``; default the identity map of the noise,
        ``(1.0, 0.0)`` for ``"affine"`` and ``(1.0, 0.0, 0.0, 1.0)`` for ``"sinh_arcsinh"``:
        ``scale`` non-zero, ``tailweight > 0``, and within the ranges of :class:`gantheory.Affine` and
        :class:`gantheory.SinhArcsinh`.
    steps : int, in [0, MAX_STEPS], default 1000
        Most generator steps.
    lr : float, > 0, default 0.05
        The generator's step size.
    k : int, >= 1, default 1
        Discriminator steps per generator step (``"quadratic"`` only).
    lr_d : float, > 0, default 0.5
        Damping of the discriminator's Newton steps (``"quadratic"`` only).
    d0 : array_like of float, default (0.0, 0.0, 0.0)
        The quadratic discriminator's starting ``(a, b, c)``, three finite values.
    tol : float, >= 0, default 0.0
        Stop at the first recorded step whose JSD is below ``tol`` (0: never).
    record_every : int, >= 1, default 1
        Record JSD (by adaptive quadrature) and the parameters every this many steps, and at the end.

    Returns
    -------
    History
        ``steps`` the recorded steps (0, ``record_every``, ..., and the last), ``jsd`` JSD(p_data, p_g)
        there, ``params`` the generator's parameters there (one row each), ``grad_norm`` the Euclidean
        norm of the loss's gradient in the parameters at every step, and ``extra`` with ``"param_names"``
        and ``"discriminator"`` (the ``(a, b, c)`` at each record; ``d0`` throughout for ``"optimal"``).

    Raises
    ------
    TypeError
        If ``p_data`` is not a density, ``generator``, ``discriminator`` or ``loss`` is not a str,
        ``init`` or ``d0`` is not an array of real numbers, ``steps``, ``k`` or ``record_every`` is not an
        int, or ``lr``, ``lr_d`` or ``tol`` is not a real number.
    ValueError
        If a choice is unknown, ``p_data`` is not one-dimensional, or bounded or with jumps for
        ``"optimal"``, ``init`` or ``d0`` has the wrong length, a non-finite value or an invalid parameter,
        a number is out of its range, or a step leaves the valid range (a non-finite gradient, parameters
        beyond the float64 range or no longer invertible, a discriminator beyond 1e150): lower ``lr`` or
        ``lr_d``.

    See Also
    --------
    algorithm1 : Grid generator and discriminator.
    History : The returned record.
    gantheory.generator_gradient : A single generator gradient, by adaptive quadrature.
    gantheory.Pushforward : The generator's density.

    References
    ----------
    .. [1] I. Goodfellow, J. Pouget-Abadie, M. Mirza, B. Xu, D. Warde-Farley, S. Ozair, A. Courville,
       Y. Bengio, "Generative Adversarial Nets", NeurIPS, 2014.

    Examples
    --------
    An affine generator moves from N(0, 1) to the data N(2, 1):

    >>> import numpy as np
    >>> import gantheory as gt
    >>> from gantheory.training import parametric
    >>> h = parametric(gt.Normal(2, 1), steps=60, lr=0.5, record_every=20)
    >>> jsd0 = 0.33683082034683161  # JSD(N(2, 1), N(0, 1)) by mpmath.quad at 40 digits
    >>> print(h.steps, abs(h.jsd[0] - jsd0) < 1e-12, bool(np.all(np.diff(h.jsd) < 0)))
    [ 0 20 40 60] True True
    >>> bool(np.allclose(h.params[-1], [1.0, 2.0], rtol=0, atol=1e-5)), h.final_jsd < 1e-12  # (scale, shift)
    (True, True)

    The quadratic discriminator contains ``D*``, which is 1/2 (``a = b = c = 0``) at the equilibrium:

    >>> q = parametric(gt.Normal(2, 1), discriminator="quadratic", steps=60, lr=0.5, record_every=20)
    >>> bool(np.allclose(q.params[-1], [1.0, 2.0], rtol=0, atol=1e-5))
    True
    >>> bool(np.allclose(q.extra["discriminator"][-1], 0.0, rtol=0, atol=1e-5))
    True
    """
    choice(generator, "generator", GENERATORS)
    choice(discriminator, "discriminator", ("optimal", "quadratic"))
    choice(loss, "loss", ("minimax", "non_saturating"))
    p = as_density(p_data, "p_data")
    if p.dim != 1:
        raise ValueError("parametric training is one-dimensional")
    if discriminator == "optimal" and (any(math.isfinite(e) for e in p.support) or _has_jumps(p)):
        raise ValueError("p_data must have an unbounded support without jumps for discriminator='optimal': D* "
                         "jumps (or all but jumps) at p_data's support ends and jumps, where the reparametrised "
                         "gradient of this trainer misses the mass crossing them, and the non_saturating loss "
                         "is +inf; use discriminator='quadratic' (or gan.generator_gradient for single gradients)")
    if init is None:  # the identity map of the noise
        init = (1.0, 0.0) if generator == "affine" else (1.0, 0.0, 0.0, 1.0)
    theta = finite_array(init, "init", ndim=1).copy()
    if theta.size != len(GENERATORS[generator]):
        raise ValueError(f"init must hold {GENERATORS[generator]} for the {generator} generator, got {theta.size}")
    if theta[0] == 0 or (generator == "sinh_arcsinh" and theta[3] <= 0):
        raise ValueError("init: scale must be non-zero and tailweight positive (an invertible generator)")
    steps = positive_int(steps, "steps", minimum=0, maximum=MAX_STEPS)
    lr, lr_d = scalar(lr, "lr", positive=True), scalar(lr_d, "lr_d", positive=True)
    k = positive_int(k, "k")
    record_every = positive_int(record_every, "record_every")
    tol = scalar(tol, "tol", lower=0.0)
    dpar = finite_array(d0, "d0", ndim=1).copy()
    if dpar.size != 3:
        raise ValueError("d0 must hold (a, b, c) of sigmoid(a x^2 + b x + c)")
    xd, wd = _data_grid(p) if discriminator == "quadratic" else (None, None)
    rec_steps, rec_jsd, rec_params, rec_d, gnorms = [], [], [], [], []

    def record(step, dens):
        rec_steps.append(step)
        rec_jsd.append(float(js_divergence(p, dens)))
        rec_params.append(theta.copy())
        rec_d.append(dpar.copy())

    bar = _progress(steps, f"parametric ({generator}, {discriminator}, {loss})")
    dens, x, dx = _generator(generator, theta)
    record(0, dens)
    for step in range(1, steps + 1):
        if discriminator == "quadratic":
            phr, phf = np.array([xd * xd, xd, np.ones_like(xd)]), np.array([x * x, x, np.ones_like(x)])
            with np.errstate(over="ignore", invalid="ignore"):  # overflow is caught below, by name
                for _ in range(k):  # ascent on V(G, D) in (a, b, c)
                    dr = special.expit((dpar[0] * xd + dpar[1]) * xd + dpar[2])
                    df = special.expit((dpar[0] * x + dpar[1]) * x + dpar[2])
                    grad_d = phr @ (wd * (1.0 - dr)) - phf @ (_WZ * df)
                    curv = (phr * (wd * dr * (1.0 - dr))) @ phr.T + (phf * (_WZ * df * (1.0 - df))) @ phf.T
                    try:
                        dpar = dpar + lr_d * np.linalg.solve(curv + 1e-12 * np.eye(3), grad_d)
                    except np.linalg.LinAlgError:
                        dpar = np.full(3, np.inf)
                    if not np.all(np.abs(dpar) <= 1e150):
                        raise ValueError(f"lr = {lr:g}, lr_d = {lr_d:g}: the discriminator's parameters left the "
                                         f"float64 range at step {step}; lower lr_d or lr")
                ell = (dpar[0] * x + dpar[1]) * x + dpar[2]
                slope = 2.0 * dpar[0] * x + dpar[1]
        else:  # D*: logit log p_data - log p_g, slope the difference of the scores
            ell = p._logpdf(x) - dens._logpdf(x)
            slope = p._score(x) - dens._score(x)
        # h'(x) = -D ℓ' (minimax) or -(1 - D) ℓ' (non-saturating), D = sigmoid(ℓ)
        factor = special.expit(ell) if loss == "minimax" else special.expit(-ell)
        with np.errstate(invalid="ignore"):
            hprime = np.where(factor == 0.0, 0.0, -factor * slope)  # 0 * ℓ' = 0 where D rejects or accepts all
        grad = dx @ (_WZ * hprime)
        if not np.all(np.isfinite(grad)):
            raise ValueError(f"the generator gradient is not finite at step {step} (the discriminator's slope "
                             "overflows where the fakes are); lower lr or lr_d")
        with np.errstate(over="ignore"):  # an overflowing step is caught below, naming lr
            gnorms.append(float(np.linalg.norm(grad)))
            theta = theta - lr * grad
        if not np.all(np.isfinite(theta)):
            raise ValueError(f"lr = {lr:g}: step {step} left the float64 range; lower lr")
        if theta[0] == 0 or (generator == "sinh_arcsinh" and theta[3] <= 0):
            raise ValueError(f"lr = {lr:g}: after step {step} the generator is no longer invertible (lower lr)")
        try:
            dens, x, dx = _generator(generator, theta)
        except ValueError as exc:  # a step too large for the parameters' valid range
            raise ValueError(f"lr = {lr:g}: step {step} left the generator's valid range ({exc}); lower lr") from None
        if bar is not None:
            bar.update(1)
        if step % record_every == 0 or step == steps:
            record(step, dens)
            if rec_jsd[-1] < tol:
                break
    if bar is not None:
        bar.close()
    jsd = np.array(rec_jsd)
    return History(f"parametric ({generator}, {discriminator}, {loss})", np.array(rec_steps), jsd, 2.0 * jsd,
                   np.array(gnorms), np.array(rec_params),
                   {"param_names": GENERATORS[generator], "discriminator": np.array(rec_d)})


# -------------------------------------------------------------------------------- Dirac-GAN
def _fprime(t):
    """``f'(t) = 1 / (1 + e^t)`` for ``f(t) = -log(1 + e^-t)``."""
    return special.expit(-t)


def dirac_gan(theta0=1.0, psi0=1.0, *, h=0.1, steps=1000, mode="simultaneous", gamma=0.0):
    """Run the Dirac-GAN of Mescheder et al. (2018): gradient steps on ``L(θ, ψ) = f(θψ) + f(0)``.

    The data are ``δ_0``, the generator ``δ_θ``, the discriminator ``D_ψ(x) = ψ x`` and
    ``f(t) = -log(1 + e^-t)`` [1]_. The generator descends ``L`` in ``θ`` (``∂L/∂θ = f'(θψ) ψ``), the
    discriminator ascends ``L - (γ/2) ψ²`` in ``ψ`` (``∂/∂ψ = f'(θψ) θ - γ ψ``; for ``γ > 0`` the penalty is
    R1, ``(γ/2) |∇_x D_ψ|²`` at the data point). The only equilibrium is ``θ = ψ = 0``. Without the penalty,
    a simultaneous step multiplies the radius ``sqrt(θ² + ψ²)`` by ``sqrt(1 + h² f'(θψ)²)``.

    Parameters
    ----------
    theta0 : float, in [-1e150, 1e150], default 1.0
        The generator's start ``θ``.
    psi0 : float, in [-1e150, 1e150], default 1.0
        The discriminator's start ``ψ``.
    h : float, > 0, default 0.1
        The step size of both players.
    steps : int, in [0, MAX_STEPS], default 1000
        Steps taken.
    mode : {"simultaneous", "alternating"}, default "simultaneous"
        ``"simultaneous"`` updates both from the old values; ``"alternating"`` updates θ first and then ψ
        from the new θ.
    gamma : float, >= 0, default 0.0
        Weight ``γ`` of the R1 penalty.

    Returns
    -------
    History
        ``steps`` 0 to ``steps``, ``params`` the rows ``(θ, ψ)`` at every step, ``jsd`` ``log 2`` off the
        equilibrium (disjoint Diracs) and 0 where ``θ = 0``, ``grad_norm`` the Euclidean norm of
        ``(∂L/∂θ, ∂L/∂ψ - γψ)`` at the start of each step, and ``extra["radius"]`` ``sqrt(θ² + ψ²)``.

    Raises
    ------
    TypeError
        If ``theta0``, ``psi0``, ``h`` or ``gamma`` is not a real number, ``steps`` is not an int, or
        ``mode`` is not a str.
    ValueError
        If a number is not finite or out of its range, ``mode`` is unknown, or the iterates pass 1e150 in
        size (beyond which ``θψ`` overflows).

    See Also
    --------
    dirac_jacobian : The Jacobian of the gradient field, for the linear analysis.
    History : The returned record.

    References
    ----------
    .. [1] L. Mescheder, A. Geiger, S. Nowozin, "Which training methods for GANs do actually converge?",
       ICML, 2018.

    Examples
    --------
    From ``(1, 1)`` at radius ``sqrt(2) = 1.41421``, 100 steps of size 0.1:

    >>> import numpy as np
    >>> from scipy.special import expit
    >>> from gantheory.training import dirac_gan, dirac_jacobian
    >>> for kw in ({}, {"mode": "alternating"}, {"gamma": 1.0}):
    ...     print(kw, f"{dirac_gan(steps=100, **kw).extra['radius'][-1]:.2f}")
    {} 1.55
    {'mode': 'alternating'} 1.40
    {'gamma': 1.0} 0.04

    Simultaneous steps spiral out, alternating ones stay near the start's radius, and the R1 penalty
    brings them to the equilibrium. Each simultaneous step multiplies the radius by
    ``sqrt(1 + h² f'(θψ)²)``, ``f'(t) = sigmoid(-t)``:

    >>> run = dirac_gan(steps=100)
    >>> theta, psi = run.params[:-1].T
    >>> r = run.extra["radius"]
    >>> bool(np.allclose(r[1:], r[:-1] * np.sqrt(1.0 + 0.1**2 * expit(-theta * psi) ** 2), rtol=1e-13, atol=0))
    True

    Near the equilibrium a run follows the linear map ``I + h J``, ``J`` from :func:`dirac_jacobian`:

    >>> start = np.array([1e-4, 1e-4])
    >>> linear = np.linalg.matrix_power(np.eye(2) + 0.1 * dirac_jacobian(gamma=1.0), 100) @ start
    >>> bool(np.allclose(dirac_gan(*start, steps=100, gamma=1.0).params[-1], linear, rtol=1e-6, atol=0))
    True
    """
    th = scalar(theta0, "theta0", lower=-1e150, upper=1e150)  # θψ stays within the float64 range
    ps = scalar(psi0, "psi0", lower=-1e150, upper=1e150)
    h = scalar(h, "h", positive=True)
    gamma = scalar(gamma, "gamma", lower=0.0)
    steps = positive_int(steps, "steps", minimum=0, maximum=MAX_STEPS)
    choice(mode, "mode", ("simultaneous", "alternating"))
    traj = np.empty((steps + 1, 2))
    traj[0] = th, ps
    gn = np.empty(steps)
    for i in range(1, steps + 1):
        fp = float(_fprime(th * ps))  # Python floats: an overflow is inf, caught below, not a warning
        gn[i - 1] = math.hypot(fp * ps, fp * th - gamma * ps)
        if mode == "simultaneous":
            th, ps = th - h * fp * ps, ps + h * (fp * th - gamma * ps)
        else:
            th = th - h * fp * ps
            ps = ps + h * (float(_fprime(th * ps)) * th - gamma * ps)
        if not (abs(th) <= 1e150 and abs(ps) <= 1e150):
            raise ValueError(f"the iterates from theta0 = {traj[0, 0]:g}, psi0 = {traj[0, 1]:g} with h = {h:g} and "
                             f"gamma = {gamma:g} passed 1e150 after {i} steps, beyond which θψ overflows")
        traj[i] = th, ps
    jsd = np.where(traj[:, 0] == 0.0, 0.0, math.log(2.0))
    return History(f"Dirac-GAN ({mode}, h={h:g}, gamma={gamma:g})", np.arange(steps + 1), jsd, 2.0 * jsd, gn,
                   traj, {"radius": np.hypot(traj[:, 0], traj[:, 1])})


def dirac_jacobian(theta=0.0, psi=0.0, gamma=0.0):
    """Compute the Jacobian of the Dirac-GAN's gradient field at ``(θ, ψ)``.

    The field is ``v = (-∂L/∂θ, ∂L/∂ψ - γψ)`` with ``L = f(θψ) + f(0)``, ``f(t) = -log(1 + e^-t)`` [1]_; the
    Jacobian follows from ``f' = 1/(1 + e^t)`` and ``f'' = -f'(1 - f')``. At the equilibrium
    ``θ = ψ = 0`` it is ``[[0, -f'(0)], [f'(0), -γ]]`` with ``f'(0) = 1/2``, whose eigenvalues
    ``(-γ ± sqrt(γ² - 4 f'(0)²))/2`` are ``±i/2`` for ``γ = 0`` and have negative real parts for
    ``γ > 0``.

    Parameters
    ----------
    theta, psi : float, default 0.0
        The point, finite.
    gamma : float, >= 0, default 0.0
        Weight ``γ`` of the R1 penalty.

    Returns
    -------
    numpy.ndarray of float, shape (2, 2)
        ``[[∂v_θ/∂θ, ∂v_θ/∂ψ], [∂v_ψ/∂θ, ∂v_ψ/∂ψ]]``.

    Raises
    ------
    TypeError
        If ``theta``, ``psi`` or ``gamma`` is not a real number.
    ValueError
        If one of them is not finite, or ``gamma < 0``.

    See Also
    --------
    dirac_gan : The training run on the same field.

    References
    ----------
    .. [1] L. Mescheder, A. Geiger, S. Nowozin, "Which training methods for GANs do actually converge?",
       ICML, 2018.

    Examples
    --------
    >>> import numpy as np
    >>> from gantheory.training import dirac_jacobian
    >>> print(dirac_jacobian(gamma=1.0))
    [[ 0.  -0.5]
     [ 0.5 -1. ]]
    >>> lam = np.linalg.eigvals(dirac_jacobian())  # ±i f'(0) = ±i/2, purely imaginary: no local convergence
    >>> bool(np.allclose(lam[np.argsort(lam.imag)], [-0.5j, 0.5j], rtol=0, atol=1e-14))
    True
    >>> lam = np.sort(np.linalg.eigvals(dirac_jacobian(gamma=2.0)))  # (-γ ± sqrt(γ² - 1))/2
    >>> bool(np.allclose(lam, [(-2 - np.sqrt(3)) / 2, (-2 + np.sqrt(3)) / 2], rtol=1e-14, atol=0))
    True
    """
    t = scalar(theta, "theta") * scalar(psi, "psi")
    gamma = scalar(gamma, "gamma", lower=0.0)
    fp = float(_fprime(t))
    fpp = -fp * (1.0 - fp)
    th, ps = float(theta), float(psi)
    return np.array([[-fpp * ps * ps, -(fpp * th * ps + fp)],
                     [fpp * th * ps + fp, fpp * th * th - gamma]])
