"""The reference set of (p, q) pairs (issue 2), built with gantheory; values in reference.py."""

import numpy as np

import gantheory as gt

MIX3 = gt.Mixture([gt.Normal(-2, 0.5), gt.Normal(0.5, 1), gt.Normal(3, 0.7)], [0.3, 0.5, 0.2])


def _sas(loc, scale):
    return gt.Pushforward(gt.Normal(loc, scale), gt.SinhArcsinh(0.3, 1.5))


REFERENCE = {
    "normal_shift": (gt.Normal(0, 1), gt.Normal(1, 1)),
    "normal_scale_3": (gt.Normal(0, 1), gt.Normal(0, 3)),
    "normal_scale_100": (gt.Normal(0, 1), gt.Normal(0, 100)),
    "normal_far_40": (gt.Normal(0, 1), gt.Normal(40, 1)),
    "normal_narrow_1e-3": (gt.Normal(0, 1), gt.Normal(0, 1e-3)),
    "cauchy_pair": (gt.Cauchy(0, 1), gt.Cauchy(1, 3)),
    "student_t_1.5_vs_normal": (gt.StudentT(1.5), gt.Normal(0, 1)),
    "laplace_pair": (gt.Laplace(0, 1), gt.Laplace(1, 2)),
    "uniform_overlap_half": (gt.Uniform(0, 1), gt.Uniform(0.5, 1.5)),
    "uniform_nested": (gt.Uniform(0, 1), gt.Uniform(-1, 2)),
    "uniform_disjoint": (gt.Uniform(0, 1), gt.Uniform(2, 3)),
    "beta_0.5_vs_2": (gt.Beta(0.5, 0.5), gt.Beta(2, 2)),
    "mixture3_vs_normal": (MIX3, gt.Normal(0, 2)),
    "pushforward_sinh_arcsinh": (_sas(0, 1), _sas(1, 2)),
    "mvn2_correlated": (
        gt.MultivariateNormal([0, 0], [[1, 0.5], [0.5, 1]]),
        gt.MultivariateNormal([1, -1], [[2, -0.3], [-0.3, 0.5]]),
    ),
}

ONE_D = {k: v for k, v in REFERENCE.items() if v[0].dim == 1}


def affine_generator(scale, shift, base=None):
    """An Affine generator of N(0, 1) noise (or of ``base``)."""
    return gt.Pushforward(gt.Normal(0, 1) if base is None else base, gt.Affine(scale, shift))




#: The reference panel of the theory checks: one or two pairs of each kind.
PANEL = {
    "smooth": REFERENCE["normal_shift"],
    "smooth_scale": REFERENCE["normal_scale_3"],
    "heavy_tailed": REFERENCE["cauchy_pair"],
    "heavy_vs_light": REFERENCE["student_t_1.5_vs_normal"],
    "kinked": REFERENCE["laplace_pair"],
    "kinked_nested": REFERENCE["uniform_nested"],
    "singular": REFERENCE["beta_0.5_vs_2"],
    "multimodal": REFERENCE["mixture3_vs_normal"],
    "disjoint": REFERENCE["uniform_disjoint"],
    "two_d": REFERENCE["mvn2_correlated"],
    "pushforward": REFERENCE["pushforward_sinh_arcsinh"],
    "pushforward_affine": (gt.Normal(0, 1), affine_generator(1.5, 0.7)),
}

#: Which PANEL entries have an issue-2 reference value (the name in REFERENCE).
PANEL_REFERENCE = {
    "smooth": "normal_shift", "smooth_scale": "normal_scale_3", "heavy_tailed": "cauchy_pair",
    "heavy_vs_light": "student_t_1.5_vs_normal", "kinked": "laplace_pair", "kinked_nested": "uniform_nested",
    "singular": "beta_0.5_vs_2", "multimodal": "mixture3_vs_normal", "disjoint": "uniform_disjoint",
    "two_d": "mvn2_correlated", "pushforward": "pushforward_sinh_arcsinh",
}

__all__ = ["MIX3", "ONE_D", "PANEL", "PANEL_REFERENCE", "REFERENCE", "affine_generator", "np"]


#: Extreme but valid parameters (issue 7), values in reference.py under the same names.
_W = [1 - 1e-12, 1e-12]
EXTREME = {
    "extreme_normal_loc_1e8": (gt.Normal(1e8, 1), gt.Normal(1e8 + 1, 2)),
    "extreme_normal_scale_1e-8": (gt.Normal(0, 1e-8), gt.Normal(1e-8, 2e-8)),
    "extreme_normal_scale_1e8": (gt.Normal(0, 1e8), gt.Normal(1e8, 2e8)),
    "extreme_laplace_scale_1e-8": (gt.Laplace(0, 1e-8), gt.Laplace(1e-8, 2e-8)),
    "extreme_cauchy_scale_1e8": (gt.Cauchy(0, 1e8), gt.Cauchy(1e8, 3e8)),
    "extreme_student_t_0.5": (gt.StudentT(0.5, 0, 1), gt.StudentT(0.5, 1, 2)),
    "extreme_student_t_3_vs_normal": (gt.StudentT(3), gt.Normal(0, 1)),
    "extreme_student_t_1e6_vs_normal": (gt.StudentT(1e6), gt.Normal(0, 1)),
    "extreme_student_t_1e12_vs_normal": (gt.StudentT(1e12), gt.Normal(0, 1)),
    "extreme_beta_0.05": (gt.Beta(0.05, 0.05), gt.Beta(0.05, 0.1)),
    "extreme_beta_1e3": (gt.Beta(1e3, 1e3), gt.Beta(1e3, 1.1e3)),
    "extreme_beta_0.05_1e3": (gt.Beta(0.05, 1e3), gt.Beta(0.1, 1e3)),
    "extreme_mixture_weight_1e-12": (gt.Mixture([gt.Normal(0, 1), gt.Normal(5, 1)], _W), gt.Normal(0, 1)),
}


AFFINE_BASES = [gt.Uniform(0.0, 1.0), gt.Beta(2.0, 3.0), gt.Beta(0.7, 1.5), gt.Normal(0.0, 1.0), gt.Laplace(0.0, 1.0)]


def affine_cases(seed, n):
    """Affine generators at scales 1e-10 to 10 and shifts up to 1e3, against data of comparable width
    (normal, uniform, Laplace, a scaled beta) placed across the generator."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        scale = float(10.0 ** rng.uniform(-10, 1)) * (1 if rng.random() < 0.8 else -1)
        shift = float(rng.choice([0.0, 1.0, 3.0, -7.5, 1e3]))
        m, s = shift + abs(scale) * float(rng.uniform(-1, 2)), abs(scale) * float(10 ** rng.uniform(-1, 1))
        data = [gt.Normal(m, s), gt.Uniform(m - s, m + s), gt.Laplace(m, s),
                gt.Pushforward(gt.Beta(2.0, 2.0), gt.Affine(2 * s, m - s))][rng.integers(4)]
        out.append((data, gt.Pushforward(AFFINE_BASES[rng.integers(len(AFFINE_BASES))], gt.Affine(scale, shift))))
    return out


def check_three_ways(data, g):
    d = gt.optimal_discriminator(data, g)
    vx, vz, cg = gt.value_function(data, g, d), gt.value_function(data, g, d, space="z"), gt.virtual_criterion(data, g)
    for a, b in ((vx, vz), (vz, cg), (vx, cg)):
        assert abs(float(a) - float(b)) <= a.error + b.error, (data, g, a, b)
