"""Input validation shared by the public wrappers: every message names the parameter."""

import inspect
import math
import numbers
import operator

import numpy as np

__all__ = [
    "QUAD_OPTIONS",
    "as_generator",
    "check_options",
    "choice",
    "finite_array",
    "positive_int",
    "real_array",
    "scalar",
]

#: the options every quadrature-based function passes on to its integrals
QUAD_OPTIONS = ("max_panels", "max_rounds", "max_nodes", "breaks", "rule")


def _keywords(fn):
    """The keyword-only parameters of ``fn``."""
    params = inspect.signature(fn).parameters.values()
    return tuple(p.name for p in params if p.kind is inspect.Parameter.KEYWORD_ONLY)


def check_options(name, options, own, method="quad", methods=None):
    """For a public function ``name`` whose ``**options`` reach its integrals: an unknown keyword raises a
    TypeError naming the function and what it takes, before any work (instead of one deep inside the
    quadrature naming a private helper). It takes its keywords ``own`` and :data:`QUAD_OPTIONS`; with
    ``method`` other than ``"quad"``, ``methods(method)`` names the estimator's options instead. (A call
    in the function's body, not a decorator: the mutation tool mutates only undecorated functions.)"""
    method = method if isinstance(method, str) else "quad"  # (a bad method is the function's to name)
    for key in options:
        if key in own:
            continue
        extra = methods(method) if methods is not None and method != "quad" else QUAD_OPTIONS
        accepted = tuple(own) + tuple(extra or ())
        if key not in accepted:
            where = "" if method == "quad" else f" with method={method!r}"
            raise TypeError(f"{name}() got an unexpected keyword argument {key!r}; it takes "
                            f"{', '.join(accepted)}{where}")


def real_array(value, name, *, ndim=None):
    """``value`` as a float64 array; TypeError for non-numeric, complex or boolean input."""
    if isinstance(value, (str, bytes)) or value is None:
        raise TypeError(f"{name} must be real numbers, got {type(value).__name__}")
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError) as exc:  # ragged lists and the like
        raise TypeError(f"{name} must be an array of real numbers: {exc}") from None
    if arr.dtype.kind not in "iuf":
        raise TypeError(f"{name} must be real numbers, got an array of dtype {arr.dtype}")
    arr = arr.astype(np.float64, copy=False)
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimension(s), got shape {arr.shape}")
    return arr


def finite_array(value, name, *, ndim=None):
    """Like :func:`real_array`, and every entry finite."""
    arr = real_array(value, name, ndim=ndim)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite, got {_show(arr)}")
    return arr


def scalar(value, name, *, positive=False, lower=None, upper=None):
    """A finite real scalar as float, optionally ``> 0`` or inside ``[lower, upper]``."""
    if type(value) is float or type(value) is int:  # the common case, without a trip through numpy
        x = float(value)
    else:
        if isinstance(value, bool) or not isinstance(value, (numbers.Real, np.ndarray, np.generic)):
            raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
        arr = np.asarray(value)
        if arr.ndim != 0 or arr.dtype.kind not in "iuf":
            raise TypeError(f"{name} must be a real scalar, got {_show(arr)}")
        x = float(arr)
    if not math.isfinite(x):
        raise ValueError(f"{name} must be finite, got {x!r}")
    if positive and not x > 0.0:
        raise ValueError(f"{name} must be positive, got {x!r}")
    if lower is not None and x < lower:
        raise ValueError(f"{name} must be >= {lower}, got {x!r}")
    if upper is not None and x > upper:
        raise ValueError(f"{name} must be <= {upper}, got {x!r}")
    return x


def positive_int(value, name, *, minimum=1, maximum=None):
    """An integer ``>= minimum`` (and ``<= maximum``; booleans and floats are refused)."""
    if isinstance(value, bool):
        raise TypeError(f"{name} must be an integer, got bool")
    try:
        n = operator.index(value)
    except TypeError:
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}") from None
    if n < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {n}")
    if maximum is not None and n > maximum:
        raise ValueError(f"{name} must be <= {maximum:g}, got {n}")
    return n


def choice(value, name, options):
    """``value`` if it is one of ``options``; ValueError listing them otherwise."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, one of {sorted(options)}, got {value!r}")
    if value not in options:
        raise ValueError(f"unknown {name} {value!r}; valid: {', '.join(sorted(options))}")
    return value


def as_generator(rng):
    """A ``numpy.random.Generator`` from a Generator, a seed or None; never the global state."""
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or isinstance(rng, (numbers.Integral, np.random.SeedSequence)):
        if isinstance(rng, bool):
            raise TypeError("rng must be a numpy.random.Generator or an integer seed, got bool")
        try:
            return np.random.default_rng(rng)
        except ValueError as exc:
            raise ValueError(f"rng: {exc}") from None
    raise TypeError(
        f"rng must be a numpy.random.Generator or an integer seed, got {type(rng).__name__}"
    )


def _show(arr):
    flat = np.ravel(arr)
    return repr(flat[:4].tolist())[:-1] + (", ...]" if flat.size > 4 else "]")
