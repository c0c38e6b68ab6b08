"""S5. Pointwise lemma.

Claim (Goodfellow et al. 2014, proof of Proposition 1; docs/theory.md S5): "For a, b >= 0, not both 0,
y -> a log y + b log(1 - y) on [0, 1] has its unique maximum at y = a / (a + b)."
"""

import warnings

import mpmath as mp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import reals

import gantheory as gt

weights = st.floats(0.0, 1e3, allow_nan=False, allow_subnormal=False)


@pytest.mark.parametrize(("a", "b", "y"), [(1.0, 1.0, 0.5), (3.0, 1.0, 0.75), (0.0, 2.0, 0.0), (5.0, 0.0, 1.0)])
def test_closed_form_maximisers(a, b, y):
    assert gt.pointwise_argmax(a, b) == y


@pytest.mark.parametrize(("a", "b"), [(0.3, 1.7), (2.5, 0.01), (1e-3, 1e-3)])
def test_against_mpmath_maximisation(a, b):
    """mpmath finds the stationary point of the 30-digit objective independently."""
    with mp.workdps(30):  # the derivative a/y - b/(1 - y) changes sign once on (0, 1)
        y = mp.findroot(lambda t: a / t - b / (1 - t), (mp.mpf("1e-20"), 1 - mp.mpf("1e-20")), solver="anderson")
    assert gt.pointwise_argmax(a, b) == pytest.approx(float(y), rel=1e-14)


def test_unique_maximum_on_a_grid():
    a, b = 0.7, 2.2
    grid = np.linspace(0, 1, 100001)
    vals = gt.pointwise_objective(grid, a, b)
    assert grid[np.argmax(vals)] == pytest.approx(a / (a + b), abs=1e-5)
    assert np.sum(vals >= gt.pointwise_objective(a / (a + b), a, b)) <= 1


@given(a=weights, b=weights, y=reals(0.0, 1.0))
def test_property_maximiser_beats_any_point(a, b, y):
    if a == 0 and b == 0:
        with pytest.raises(ValueError):
            gt.pointwise_argmax(a, b)
        return
    ystar = gt.pointwise_argmax(a, b)
    best = gt.pointwise_objective(ystar, a, b)
    other = gt.pointwise_objective(y, a, b)
    if a > 0 and b > 0 and ystar in (0.0, 1.0):
        return  # y* = a/(a+b) is within 1e-16 of an end and rounds onto it, where the log is -inf
    assert other <= best + 1e-12 * (a + b)
    if abs(y - ystar) > 1e-6 and 0 < ystar < 1:
        assert other < best  # unique


def _named(name):
    """A pattern for a message naming the parameter ``name`` (as a word of its own)."""
    return rf"(?<![\w]){name}(?![\w])"


@pytest.mark.parametrize(("args", "error", "pattern"), [
    ((-1.0, 1.0), ValueError, "non-negative"), ((1.0, -1.0), ValueError, "non-negative"),
    (([1.0, -2.0], [1.0, 3.0]), ValueError, "non-negative"), ((0.0, 0.0), ValueError, "both be zero"),
    ((np.nan, 1.0), ValueError, _named("a") + " must be finite"),
    ((1.0, np.inf), ValueError, _named("b") + " must be finite"),
    (("a", 1.0), TypeError, _named("a") + " must be real"), ((1.0, None), TypeError, _named("b") + " must be real"),
    (([1.0, 2.0], [1.0, 2.0, 3.0]), ValueError, r"a and b must broadcast together, got shapes .*a \(2,\), b \(3,\)"),
], ids=["a<0", "b<0", "an entry <0", "both 0", "a nan", "b inf", "a str", "b None", "shapes"])
def test_the_lemma_refuses_weights_outside_its_hypotheses(args, error, pattern):
    """The lemma holds for finite a, b >= 0, not both zero: anything else is refused, naming the parameter
    and the broken hypothesis, not answered."""
    with pytest.raises(error, match=pattern):
        gt.pointwise_argmax(*args)
    if pattern != "both be zero":  # (the objective itself is defined there: 0 for every y)
        with pytest.raises(error, match=pattern):
            gt.pointwise_objective(0.5, *args)


@pytest.mark.parametrize("y", [-1e-300, 1.5, 1.0 + 2**-52, 2.5, np.nan, np.inf])
def test_the_objective_is_defined_on_the_unit_interval(y):
    """y is a probability: values outside [0, 1] (or not numbers) are refused, naming y."""
    pattern = _named("y") + (" must lie in \\[0, 1\\]" if np.isfinite(y) else " must be finite")
    with pytest.raises(ValueError, match=pattern):
        gt.pointwise_objective(y, 1.0, 1.0)
    with pytest.raises(ValueError, match=_named("y")):
        gt.pointwise_objective([0.5, y], 1.0, 1.0)
    shapes = r"y and a and b must broadcast together, got shapes y \(2,\), a \(3,\), b \(\)"
    with pytest.raises(ValueError, match=shapes):
        gt.pointwise_objective([0.2, 0.5], [1.0, 2.0, 3.0], 1.0)
    assert gt.pointwise_objective(0.0, 0.0, 1.0) == 0.0  # 0 log 0 = 0 at the ends
    assert gt.pointwise_objective(1.0, 1.0, 0.0) == 0.0
    assert gt.pointwise_objective(np.array([0.0, 1.0]), 1.0, 1.0).tolist() == [-np.inf, -np.inf]


def test_the_objective_below_the_float_range_is_minus_infinity():
    """a log y for a = 1e308 and y = 1e-300 is -6.9e310, below the float64 range: -inf, not an overflow."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert gt.pointwise_objective(1e-300, 1e308, 1.0) == -np.inf
        assert gt.pointwise_objective(1.0 - 1e-16, 1.0, 1e308) == -np.inf
        assert gt.pointwise_objective(0.5, 1.7e308, 1.7e308) == -np.inf  # (each term finite, their sum not)
