"""gantheory: check the theory of generative adversarial networks numerically.

Analytic and grid densities, the GAN value function ``V(G, D)``, the optimal discriminator ``D*``,
the virtual criterion ``C(G)``, KL and Jensen-Shannon divergences and their relatives, computed by
numba-accelerated quadrature in log space. See docs/theory.md for the derivation checked.

>>> import gantheory as gt
>>> p, q = gt.Normal(0, 1), gt.Normal(1, 1)
>>> c = gt.virtual_criterion(p, q)  # C(G) = -log 4 + 2 JSD, from the JSD integral
>>> v = gt.value_function(p, q, gt.optimal_discriminator(p, q))  # V(G, D*), another integral
>>> exact = -1.1634513967504183  # C(G) by mpmath.quad at 40 digits: -1.16345139675041825940
>>> abs(c - v) < 1e-12, abs(c - exact) < 1e-12, abs(v - exact) < 1e-12
(True, True, True)
>>> float(gt.virtual_criterion(p, p)) == -math.log(4)  # Theorem 1: the minimum, at p_g = p_data
True
"""

import math  # noqa: F401  (used by the doctest above)

from .densities import (
    Beta,
    Cauchy,
    Density,
    GridDensity,
    Laplace,
    Mixture,
    MultivariateNormal,
    Normal,
    ScipyDensity,
    StudentT,
    Uniform,
    as_density,
)
from .divergences import (
    F_DIVERGENCES,
    FGenerator,
    f_divergence,
    hellinger,
    js_distance,
    js_divergence,
    kl_divergence,
    tv_distance,
    w1_distance,
)
from .gan import (
    Discriminator,
    LogitDiscriminator,
    OptimalDiscriminator,
    QuadraticDiscriminator,
    generator_gradient,
    generator_loss,
    optimal_discriminator,
    pointwise_argmax,
    pointwise_objective,
    value_function,
    virtual_criterion,
)
from .quadrature import AccuracyWarning, Estimate, EstimateArray
from .transforms import Affine, Exp, Pushforward, SinhArcsinh, Transform

__version__ = "0.1.0"

__all__ = [
    "F_DIVERGENCES",
    "AccuracyWarning",
    "Affine",
    "Beta",
    "Cauchy",
    "Density",
    "Discriminator",
    "Estimate",
    "EstimateArray",
    "Exp",
    "FGenerator",
    "GridDensity",
    "Laplace",
    "LogitDiscriminator",
    "Mixture",
    "MultivariateNormal",
    "Normal",
    "OptimalDiscriminator",
    "Pushforward",
    "QuadraticDiscriminator",
    "ScipyDensity",
    "SinhArcsinh",
    "StudentT",
    "Transform",
    "Uniform",
    "__version__",
    "as_density",
    "f_divergence",
    "generator_gradient",
    "generator_loss",
    "hellinger",
    "js_distance",
    "js_divergence",
    "kl_divergence",
    "optimal_discriminator",
    "pointwise_argmax",
    "pointwise_objective",
    "tv_distance",
    "value_function",
    "virtual_criterion",
    "w1_distance",
]
