"""Minibatch GAN training with small networks, measured with the exact divergence of the generator.

:func:`train` is Algorithm 1 of Goodfellow et al. (2014) as written: per step, ``k`` ascent steps of the
discriminator on minibatches of ``m`` noise and ``m`` data samples, then one step of the generator on
``m`` noise samples, with the minimax or the non-saturating loss, plain SGD or Adam, and optionally the
R1 penalty (Mescheder et al. 2018) or instance noise. Generator and discriminator are :class:`MLP`
networks ``R -> R`` (the discriminator's output is its logit). At the recorded steps the generator's
density is known exactly (:class:`~gantheory.networks.NetworkPushforward`), so the run records the
exact ``JSD(p_data || p_g)``, ``V(G, D)`` of the current discriminator by quadrature and the gap
``C(G) - V(G, D)`` (how far ``D`` is from ``D*``), beside the k-NN estimate of the JSD from that step's
minibatches, which is all a practitioner sees.

On two-dimensional data the generator is a stack of affine coupling layers
(:class:`~gantheory.networks.CouplingGenerator`), invertible with an exact Jacobian, so its density
(:class:`~gantheory.networks.CouplingPushforward`) and the records stay exact; a general network
``R^2 -> R^2`` has no exact density and its runs record the k-NN estimate only, labelled as such.
"""

import math
import warnings

import numpy as np
from scipy import special

from ._checks import choice, positive_int, scalar
from .densities import Mixture, MultivariateNormal, Normal, as_density
from .divergences import js_divergence
from .estimators import knn_jsd
from .networks import MLP, CouplingGenerator, CouplingPushforward, NetworkPushforward
from .quadrature import AccuracyWarning, _tensor_nodes, expectation
from .training import MAX_STEPS, History

__all__ = ["COUPLING_SETTINGS", "LOSSES", "NORMAL_2D", "NORMAL_SETTINGS", "NORMAL_TARGET", "OPTIMIZERS",
           "RECORD_METHODS", "TWO_MODES", "TWO_MODES_SETTINGS", "one_mode_generator", "train"]

#: The generator's losses: ``E[log(1 - D(G(z)))]`` minimised, or ``-E[log D(G(z))]``.
LOSSES = ("minimax", "non_saturating")
#: The optimizers.
OPTIMIZERS = ("sgd", "adam")
#: How the exact records are computed: quadrature (an error bound) or randomised QMC (a standard error).
RECORD_METHODS = ("quad", "qmc")
_QMC_REPLICATES = 8  # (scramblings per QMC record: the standard error of their mean has 7 degrees of freedom)
# the 2-D tensor rule's node budget per record (about 2 s): a generator that folds its mass into thin ridges
# needs more, and its records are flagged (method "qmc" is then the practical route)
_MAX_NODES_2D = 2**21

#: The normal target of the report and the benchmark.
NORMAL_TARGET = Normal(1.0, 0.5)
#: Settings under which 16-unit tanh networks bring the JSD to NORMAL_TARGET below 1e-3 (seed 0; the
#: spread over seeds is in ``benchmarks/bench_neural.py``): Adam with no momentum, R1 3, rates falling to 0.
NORMAL_SETTINGS = {"k": 1, "m": 128, "optimizer": "adam", "lr_g": 3e-3, "lr_d": 3e-3, "betas": (0.0, 0.99),
                   "r1": 3.0, "lr_decay": 1.0, "steps": 8000}
#: Two modes eight standard deviations apart.
TWO_MODES = Mixture([Normal(-4.0, 1.0), Normal(4.0, 1.0)], [0.5, 0.5])
#: Settings under which a generator that starts on one mode of TWO_MODES mostly stays there (plain SGD,
#: five discriminator steps per generator step).
TWO_MODES_SETTINGS = {"k": 5, "m": 128, "optimizer": "sgd", "lr_g": 0.02, "lr_d": 0.05, "lr_decay": 1.0,
                      "steps": 5000}
#: A correlated normal in two dimensions, the target of the coupling generator.
NORMAL_2D = MultivariateNormal([1.0, -0.5], [[1.0, 0.5], [0.5, 2.0]])
#: Settings under which the default coupling generator (4 layers of 16-unit tanh networks) and a 16-unit
#: discriminator bring the exact JSD to NORMAL_2D to about 1e-3 (spread over seeds in the benchmark).
COUPLING_SETTINGS = dict(TWO_MODES_SETTINGS, steps=3000)


def one_mode_generator(seed=0, at=4.0, spread=0.5, hidden=16, activation="tanh"):
    """Return a random one-hidden-layer generator that starts as a narrow blob at one mode.

    Its output weights are scaled by `spread` and its output bias is `at`, as if it had found that mode
    first.

    Parameters
    ----------
    seed : int, default 0
        Seeds the random weights.
    at : float, default 4.0
        The output bias.
    spread : float, > 0, default 0.5
        The factor on the output weights.
    hidden : int, >= 1, default 16
        Hidden units.
    activation : {"tanh", "softplus", "leaky_relu"}, default "tanh"
        The activation.

    Returns
    -------
    MLP
        The generator, widths ``(1, hidden, 1)``.

    Raises
    ------
    ValueError
        If `spread` is not positive, `at` is not finite, `hidden` is below 1 or `activation` is unknown.

    See Also
    --------
    train : Takes it as ``generator``; ``TWO_MODES_SETTINGS`` are the settings of the two-mode runs.

    Examples
    --------
    >>> from gantheory.adversarial import one_mode_generator
    >>> one_mode_generator(0).params[3].tolist()
    [4.0]
    """
    at, spread = scalar(at, "at"), scalar(spread, "spread", positive=True)
    w1, b1, w2, _ = MLP((1, positive_int(hidden, "hidden"), 1), activation, rng=seed).params
    return MLP((1, hidden, 1), activation, params=[w1, b1, spread * w2, [at]])


class _Optimizer:
    """Plain gradient descent or Adam (Kingma and Ba 2015) on a parameter vector."""

    def __init__(self, kind, lr, betas, size):
        self.kind, self.lr, self.betas = kind, lr, betas
        self.m, self.v, self.t = np.zeros(size), np.zeros(size), 0

    def step(self, theta, grad, scale=1.0):
        lr = self.lr * scale
        if self.kind == "sgd":
            return theta - lr * grad
        b1, b2 = self.betas
        self.t += 1
        self.m = b1 * self.m + (1.0 - b1) * grad
        self.v = b2 * self.v + (1.0 - b2) * grad * grad
        mhat, vhat = self.m / (1.0 - b1**self.t), self.v / (1.0 - b2**self.t)
        return theta - lr * mhat / (np.sqrt(vhat) + 1e-8)


def _d_step(d_net, real, fake, r1):
    """The discriminator's minibatch loss ``-(1/m) sum [log D(x_i) + log(1 - D(x~_i))] + (r1/2) (1/m) sum
    ℓ'(x_i)²`` (to be minimised) and its gradient in the discriminator's parameters."""
    m = real.shape[0]
    lr_, cache_r = d_net.forward(real, keep=True)
    lf, cache_f = d_net.forward(fake, keep=True)
    value = float(np.sum(np.logaddexp(0.0, -lr_)) + np.sum(np.logaddexp(0.0, lf))) / m
    grad = d_net.backward(cache_r, -special.expit(-lr_) / m)[0] + d_net.backward(cache_f, special.expit(lf) / m)[0]
    if r1 > 0.0:
        slopes, g_r1 = d_net.slope_backward(real, lambda s: r1 * s / m)
        value += 0.5 * r1 * float(np.mean(slopes * slopes))
        grad = grad + g_r1
    return value, grad


def _g_step(g_net, d_net, z, loss, jitter=None):
    """The generator's minibatch loss, ``(1/m) sum log(1 - D(G(z_i)))`` (minimax) or ``-(1/m) sum log
    D(G(z_i))``, and its gradient in the generator's parameters (``jitter``: instance noise added to the
    discriminator's inputs)."""
    m = z.shape[0]
    fake, cache_g = g_net.forward(z, keep=True)
    logit, cache_d = d_net.forward(fake if jitter is None else fake + jitter, keep=True)
    if loss == "minimax":
        value, dl = -float(np.sum(np.logaddexp(0.0, logit))) / m, -special.expit(logit) / m
    else:
        value, dl = float(np.sum(np.logaddexp(0.0, -logit))) / m, -special.expit(-logit) / m
    return value, g_net.backward(cache_g, d_net.backward(cache_d, dl)[1])[0], fake


def _value_terms(p_data, noise, g_net, d_net, rtol, **options):
    """The two terms of ``V(G, D) = E_data[log D] + E_z[log(1 - D(G(z)))]`` by quadrature, the second over
    the noise, where the integrand is smooth (no inversion of ``G``, no folds); ``D = sigmoid(d_net)``."""
    real = expectation(p_data, lambda x: -np.logaddexp(0.0, -d_net.forward(x)), rtol=rtol, **options)
    fake = expectation(noise, lambda z: -np.logaddexp(0.0, d_net.forward(g_net.forward(z))), rtol=rtol, **options)
    return real, fake


def _network(net, name, hidden, activation, rng, dim, n_out):
    """``net`` checked to map ``R^dim -> R^n_out``, or a default: a coupling generator in 2-D, else an MLP."""
    coupling = name == "generator" and dim == 2
    if net is None:
        if coupling:
            return CouplingGenerator(hidden=hidden, activation=activation, rng=rng)
        return MLP((dim, hidden, n_out), activation, rng=rng)
    kinds = (MLP, CouplingGenerator) if coupling else (MLP,)
    if not isinstance(net, kinds):
        names = " or ".join(kind.__name__ for kind in kinds)
        raise TypeError(f"{name} must be an {names} or None, got {type(net).__name__}")
    if (net.widths[0], net.widths[-1]) != (dim, n_out):
        space = {1: "R", 2: "R^2"}
        raise ValueError(f"{name} must map {space[dim]} -> {space[n_out]} (widths ({dim}, ..., {n_out})) for "
                         f"{dim}-dimensional data, got {net.widths}")
    return net


def _qmc_records(p_data, p_g, d_net, n, replicates, rng, value):
    """``JSD(p_data || p_g)`` and (with ``value``, else NaN) ``V(G, D)`` by randomised quasi-Monte Carlo with
    the exact densities: each of ``replicates`` scramblings averages the integrands at ``n`` Sobol points of
    ``p_data`` and ``n`` of ``p_g`` (the noise's pushed through ``G``). Returns both means and their
    standard errors. (The JSD's integrands are those of ``estimators.quasi_monte_carlo``, here on points
    that V shares.)"""
    from scipy.stats import qmc  # (slow to import: only when asked for)

    out = np.empty((replicates, 2))
    for r in range(replicates):
        x_d = p_data._from_uniform(qmc.Sobol(d=p_data._qmc_dims, scramble=True, seed=rng).random(n))
        x_g = p_g._from_uniform(qmc.Sobol(d=p_g._qmc_dims, scramble=True, seed=rng).random(n))
        lp_d, lq_d = p_data.logpdf(x_d), p_g.logpdf(x_d)
        lp_g, lq_g = p_data.logpdf(x_g), p_g.logpdf(x_g)
        real, fake = np.mean(lp_d - np.logaddexp(lp_d, lq_d)), np.mean(lq_g - np.logaddexp(lp_g, lq_g))
        out[r, 0] = math.log(2.0) + 0.5 * (real + fake)
        out[r, 1] = (-np.mean(np.logaddexp(0.0, -d_net.forward(x_d))) - np.mean(np.logaddexp(0.0, d_net.forward(x_g)))
                     if value else math.nan)
    se = out.std(axis=0, ddof=1) / math.sqrt(replicates)
    return float(out[:, 0].mean()), float(out[:, 1].mean()), float(se[0]), float(se[1])


def train(p_data, *, generator=None, discriminator=None, hidden=16, activation="tanh", loss="non_saturating",
          k=1, m=64, steps=1000, optimizer="adam", lr_g=1e-3, lr_d=1e-3, betas=(0.5, 0.999), r1=0.0,
          lr_decay=0.0, instance_noise=0.0, record_every=10, exact=True, value=True, method="quad", rtol=1e-6,
          qmc_points=2**12, rng=None):
    r"""Train a GAN of small networks by minibatch gradient steps (Algorithm 1), recording the exact JSD.

    Per step: ``k`` times, draw ``m`` data and ``m`` noise samples and take one step of the
    discriminator up ``(1/m) sum [log D(x_i) + log(1 - D(G(z_i)))]`` (minus ``(r1/2) (1/m) sum ℓ'(x_i)²``
    with R1); then draw ``m`` noise samples and take one step of the generator down
    ``(1/m) sum log(1 - D(G(z_i)))`` (``loss="minimax"``) or ``-(1/m) sum log D(G(z_i))``
    (``"non_saturating"``). ``D = sigmoid(ℓ)`` with ``ℓ`` the discriminator network; the noise is
    ``N(0, 1)`` (``N(0, I)`` in 2-D). With ``instance_noise = σ``, ``N(0, σ²)`` is added to every input of
    ``D``.

    Parameters
    ----------
    p_data : Density or frozen scipy.stats continuous distribution
        The data density in one or two dimensions (sampled for the minibatches; its density for the exact
        records).
    generator : MLP, CouplingGenerator or None, optional
        A network ``R -> R``; in 2-D a :class:`~gantheory.networks.CouplingGenerator` (exact records) or a
        network ``R^2 -> R^2`` (k-NN records only). None makes a one-hidden-layer network of `hidden` units
        (in 2-D a coupling generator of 4 layers of `hidden`-unit networks) seeded from `rng`.
    discriminator : MLP or None, optional
        A network from the data's space to ``R``; None makes a one-hidden-layer network of `hidden` units.
    hidden : int, >= 1, default 16
        Units of the default networks.
    activation : {"tanh", "softplus", "leaky_relu"}, default "tanh"
        Activation of the default networks.
    loss : {"minimax", "non_saturating"}, default "non_saturating"
        The generator's loss.
    k : int, >= 1, default 1
        Discriminator steps per generator step.
    m : int, >= 2, default 64
        Minibatch size.
    steps : int, in [1, 10^6], default 1000
        Generator steps.
    optimizer : {"sgd", "adam"}, default "adam"
        Both networks' optimizer.
    lr_g, lr_d : float, > 0, default 1e-3
        Learning rates.
    betas : tuple of two floats in [0, 1), default (0.5, 0.999)
        Adam's decay rates (0.5 is the usual first one for GANs).
    r1 : float, >= 0, default 0.0
        Weight ``γ`` of the R1 penalty ``(γ/2) E_data[ℓ'(x)²]`` (one-dimensional data, one-hidden-layer
        discriminators).
    lr_decay : float, in [0, 1], default 0.0
        Both learning rates fall linearly over the run to ``1 - lr_decay`` times their first value at the
        last step (1: to 0; the minibatches' noise in the parameters falls with them).
    instance_noise : float, >= 0, default 0.0
        Standard deviation of the noise added to the discriminator's inputs.
    record_every : int, >= 1, default 10
        Record every this many steps (and the last).
    exact : bool, default True
        Record the exact JSD; False records the k-NN estimate only (the exact fields are NaN), as does a
        general network ``R^2 -> R^2``.
    value : bool, default True
        With `exact`, also record ``V(G, D)`` and the gap ``C(G) - V(G, D)`` (about a third more per
        record); False leaves them NaN.
    method : {"quad", "qmc"}, default "quad"
        How the exact records are computed from the exact densities. ``"quad"``: by quadrature, errors
        bounds (in 2-D the tensor rule with a budget of 2**21 nodes a record, about 2 s: a generator
        that folds its mass into thin ridges or stretches its tails can need more, and such records are
        flagged; one whose first grid alone exceeds the budget is NaN with an infinite error). ``"qmc"``: by
        randomised quasi-Monte Carlo, 8 scramblings of `qmc_points` Sobol points of each density, errors
        standard errors (the run's name says so); the scramblings come from a child of `rng`, so the
        training run is the same with either method.
    rtol : float, > 0, default 1e-6
        Relative tolerance of the quadrature records. Records that do not reach it are flagged in
        ``extra["converged"]`` and counted in one :class:`~gantheory.AccuracyWarning` at the end of the
        run; their ``extra["jsd_error"]`` is the quadrature's estimate where it stopped, not a bound (a
        2-D tensor grid stopped by its budget can be several times off).
    qmc_points : int, a power of 2 in [2, 2**20], default 4096
        Sobol points per scrambling and density of the ``"qmc"`` records.
    rng : None, int or numpy.random.Generator, optional
        Seeds the default networks and the minibatches: a seeded run is deterministic.

    Returns
    -------
    History
        ``steps`` (recorded), ``jsd`` (exact, nats), ``c_plus_log4``, ``grad_norm`` (the generator's
        gradient norm at every step), ``params`` (the generator's parameters at each record) and
        ``extra``: ``"v"`` (``V(G, D)``), ``"gap"`` (``C(G) - V(G, D) >= 0``), ``"jsd_error"`` (the
        exact records' reported errors, JSD and V summed; the JSD's alone without `value`),
        ``"converged"`` (whether each exact record met `rtol`; always True with ``"qmc"``), ``"knn_jsd"``
        and ``"knn_error"`` (the k-NN estimate from the recorded step's minibatches and its rough error),
        ``"d_grad_norm"`` (every step's last discriminator gradient norm), ``"generator"`` and
        ``"discriminator"`` (the final networks).

    Raises
    ------
    TypeError
        If a network is not an MLP (or, as a 2-D generator, a CouplingGenerator), or an argument has the
        wrong type.
    ValueError
        If `p_data` is not in one or two dimensions, a network does not map between the data's space and
        the noise's (or ``R``), `r1` > 0 in 2-D or with a discriminator of more than one hidden layer,
        `method` is unknown, `qmc_points` is not a power of 2, or an argument is out of range.

    See Also
    --------
    gantheory.networks.NetworkPushforward : The generator's exact density, behind the records.
    gantheory.networks.CouplingPushforward : The exact density of a 2-D coupling generator.
    gantheory.training.algorithm1 : Algorithm 1 with a grid generator and a per-node discriminator.
    gantheory.estimators.knn_jsd : The sample-based estimate recorded beside the exact JSD.

    Examples
    --------
    >>> import math
    >>> import gantheory as gt
    >>> from gantheory.adversarial import train
    >>> h = train(gt.Normal(1.0, 0.5), steps=20, record_every=10, rng=0)
    >>> h.steps.tolist(), h.params.shape  # (16 hidden units: 16 + 16 + 16 + 1 parameters)
    ([0, 10, 20], (3, 49))
    >>> bool(all(0 <= h.jsd) and all(h.jsd <= math.log(2)) and all(h.extra["gap"] > -1e-6))
    True

    In two dimensions (a coupling generator, its density exact):

    >>> from gantheory.adversarial import NORMAL_2D
    >>> h2 = train(NORMAL_2D, steps=20, record_every=20, rng=0)
    >>> print(f"{h2.jsd[0]:.6f}", bool(h2.extra["jsd_error"][0] < 1e-5))  # (JSD's and V's errors summed)
    0.155784 True
    """
    p_data = as_density(p_data, "p_data")
    dim = p_data.dim
    if dim not in (1, 2):
        raise ValueError(f"train needs data in one or two dimensions, got dim={dim}")
    choice(loss, "loss", LOSSES)
    choice(optimizer, "optimizer", OPTIMIZERS)
    k, m = positive_int(k, "k"), positive_int(m, "m", minimum=2)
    steps = positive_int(steps, "steps", maximum=MAX_STEPS)
    record_every = positive_int(record_every, "record_every")
    lr_g, lr_d = scalar(lr_g, "lr_g", positive=True), scalar(lr_d, "lr_d", positive=True)
    lr_decay = scalar(lr_decay, "lr_decay", lower=0.0)
    if lr_decay > 1.0:
        raise ValueError(f"lr_decay must be in [0, 1], got {lr_decay!r}")
    r1, sigma = scalar(r1, "r1", lower=0.0), scalar(instance_noise, "instance_noise", lower=0.0)
    rtol = scalar(rtol, "rtol", positive=True)
    choice(method, "method", RECORD_METHODS)
    qmc_points = positive_int(qmc_points, "qmc_points", minimum=2, maximum=2**20)
    if qmc_points & (qmc_points - 1):
        raise ValueError(f"qmc_points must be a power of 2 (Sobol points keep their balance), got {qmc_points}")
    betas = tuple(scalar(b, "betas", lower=0.0) for b in betas)
    if len(betas) != 2 or not all(b < 1.0 for b in betas):
        raise ValueError(f"betas must be two numbers in [0, 1), got {betas}")
    gen = np.random.default_rng(rng)
    g_net = _network(generator, "generator", positive_int(hidden, "hidden"), activation, gen, dim, dim)
    d_net = _network(discriminator, "discriminator", hidden, activation, gen, dim, 1)
    if r1 > 0.0 and (len(d_net.widths) != 3 or dim != 1):
        raise ValueError("r1 needs one-dimensional data and a discriminator with one hidden layer")
    # a general network R^2 -> R^2 has no exact density: its runs record the k-NN estimate only
    exact = bool(exact) and (dim == 1 or isinstance(g_net, CouplingGenerator))
    theta_g, theta_d = g_net.flat(), d_net.flat()
    opt_g = _Optimizer(optimizer, lr_g, betas, theta_g.size)
    opt_d = _Optimizer(optimizer, lr_d, betas, theta_d.size)
    shape = (m,) if dim == 1 else (m, 2)
    if dim == 1:
        noise, density, budget = Normal(0.0, 1.0), lambda g: NetworkPushforward(noise, g), {}
    else:
        noise, density = MultivariateNormal([0.0, 0.0], [[1.0, 0.0], [0.0, 1.0]]), CouplingPushforward
        budget = {"max_nodes": _MAX_NODES_2D}
    # the scramblings come from a child of the run's generator, so that the minibatches (and the run) are the
    # same with either method
    scramble = gen.spawn(1)[0] if exact and method == "qmc" else None
    rec = {key: [] for key in ("steps", "jsd", "v", "err", "ok", "knn", "knn_err", "params")}
    g_norm, d_norm = np.zeros(steps), np.zeros(steps)

    def jitter(x):
        return x + sigma * gen.standard_normal(x.shape) if sigma > 0.0 else x

    def record(step, real, fake):
        rec["steps"].append(step)
        rec["params"].append(g_net.flat())
        est = knn_jsd(real, fake)
        rec["knn"].append(float(est))
        rec["knn_err"].append(est.error)
        if not exact:
            rec["jsd"].append(math.nan)
            rec["v"].append(math.nan)
            rec["err"].append(math.nan)
            rec["ok"].append(False)
            return
        if method == "qmc":
            jsd, v, jsd_se, v_se = _qmc_records(p_data, density(g_net), d_net, qmc_points, _QMC_REPLICATES,
                                                scramble, value)
            rec["jsd"].append(jsd)
            rec["v"].append(v)
            rec["err"].append(jsd_se + v_se if value else jsd_se)
            rec["ok"].append(True)
            return
        p_g = density(g_net)
        if budget and _tensor_nodes([p_data, p_g]) > budget["max_nodes"]:  # (not even the tensor rule's first grid)
            rec["jsd"].append(math.nan)
            rec["v"].append(math.nan)
            rec["err"].append(math.inf)
            rec["ok"].append(False)
            return
        with warnings.catch_warnings():  # (counted, and said once at the end)
            warnings.simplefilter("ignore", AccuracyWarning)
            jsd = js_divergence(p_data, p_g, rtol=rtol, **budget)
            rec["jsd"].append(float(jsd))
            if not value:
                rec["v"].append(math.nan)
                rec["err"].append(jsd.error)
                rec["ok"].append(jsd.converged)
                return
            real, fake = _value_terms(p_data, noise, g_net, d_net, rtol, **budget)
        rec["v"].append(float(real) + float(fake))
        rec["err"].append(jsd.error + real.error + fake.error)
        rec["ok"].append(jsd.converged and real.converged and fake.converged)

    def generated(z, step):
        with np.errstate(over="ignore", invalid="ignore"):
            fake = g_net.forward(z)
        if not np.isfinite(fake).all():
            raise ValueError(f"train: the generator's samples overflowed at step {step}; the run diverged (lower "
                             "lr_g or lr_d)")
        return fake

    real, fake = p_data.sample(m, gen), generated(gen.standard_normal(shape), 0)
    record(0, real, fake)
    for step in range(1, steps + 1):
        rate = 1.0 - lr_decay * (step - 1) / max(steps - 1, 1)
        for _ in range(k):
            real, z = p_data.sample(m, gen), gen.standard_normal(shape)
            fake = generated(z, step)
            grad = _d_step(d_net, jitter(real), jitter(fake), r1)[1]
            d_norm[step - 1] = float(np.linalg.norm(grad))
            theta_d = opt_d.step(theta_d, grad, rate)
            d_net = d_net._with(theta_d)
        z = gen.standard_normal(shape)
        grad = _g_step(g_net, d_net, z, loss, sigma * gen.standard_normal(shape) if sigma > 0.0 else None)[1]
        g_norm[step - 1] = float(np.linalg.norm(grad))
        theta_g = opt_g.step(theta_g, grad, rate)
        g_net = g_net._with(theta_g)
        if step % record_every == 0 or step == steps:
            record(step, real, generated(z, step))
    jsd = np.array(rec["jsd"])
    v = np.array(rec["v"])
    missed = len(rec["ok"]) - sum(rec["ok"])
    if exact and missed:
        warnings.warn(f"train: {missed} of {len(rec['ok'])} exact records stopped before rtol={rtol:g}; their "
                      "errors in extra['jsd_error'] (largest "
                      f"{max(e for e, ok in zip(rec['err'], rec['ok']) if not ok):.2g}) are the quadrature's "
                      "estimates where it stopped, not bounds", AccuracyWarning, stacklevel=2)
    c_plus = 2.0 * jsd
    name = (f"minibatch GAN ({loss}, {optimizer}, k={k}, m={m}, lr_g={lr_g:g}, lr_d={lr_d:g}"
            + (f", lr decay {lr_decay:g}" if lr_decay else "") + (f", R1 {r1:g}" if r1 else "")
            + (f", instance noise {sigma:g}" if sigma else "") + ")"
            + (": k-NN estimates only, a general network R^2 -> R^2 has no exact density"
               if dim == 2 and not isinstance(g_net, CouplingGenerator)
               else ": JSD and V by randomised QMC with the exact densities (errors: standard errors)"
               if exact and method == "qmc" else ""))
    extra = {"v": v, "gap": (c_plus - math.log(4.0)) - v, "jsd_error": np.array(rec["err"]),
             "converged": np.array(rec["ok"]), "knn_jsd": np.array(rec["knn"]), "knn_error": np.array(rec["knn_err"]),
             "d_grad_norm": d_norm, "generator": g_net, "discriminator": d_net}
    return History(name, np.array(rec["steps"]), jsd, c_plus, g_norm, np.array(rec["params"]), extra)
