"""The stored reference values are what tests/reference.py computes (a sample each run, all under -m slow)."""

import math

import pytest
import reference

STORED = reference.load()
SAMPLE = [("normal_shift", "jsd"), ("laplace_pair", "jsd"), ("beta_0.5_vs_2", "kl_pq"),
          ("uniform_nested", "jsd"), ("student_t_1.5_vs_normal", "kl_qp")]
ALL = [(n, q) for n, qs in STORED.items() for q in qs]


def _check(name, qty):
    fresh = reference.compute(names={name}, quantities={qty})[name][qty]
    stored = STORED[name][qty]
    if fresh == "inf":
        assert stored == math.inf
    else:
        assert float(fresh) == pytest.approx(stored, rel=1e-15)


@pytest.mark.parametrize(("name", "qty"), SAMPLE)
def test_stored_values_recompute(name, qty):
    _check(name, qty)


@pytest.mark.slow
@pytest.mark.parametrize(("name", "qty"), ALL)
def test_all_stored_values_recompute(name, qty):
    _check(name, qty)
