"""Validate the docstrings of gantheory's public API with numpydoc, fast and without building the site.

``python docs/validate.py`` checks every public name of gantheory, gantheory.estimators,
gantheory.training and gantheory.quadrature, and every public method and property of each public class,
with the checks listed in pyproject.toml ([tool.numpydoc_validation]), the same ones the Sphinx build
applies. With ``--built DIR`` (a built site, e.g. docs/_build/html) it also checks that every public
name has its page there. It prints one line per problem and exits 1 if there is any.
"""

import argparse
import importlib
import inspect
import pathlib
import sys

try:
    import tomllib
except ImportError:  # Python 3.10
    import tomli as tomllib

from numpydoc.validate import validate

ROOT = pathlib.Path(__file__).resolve().parent.parent
MODULES = ("gantheory", "gantheory.estimators", "gantheory.training", "gantheory.quadrature", "gantheory.networks",
           "gantheory.adversarial")
# members a class takes from these bases are theirs, not gantheory's (the API pages leave them out too)
FOREIGN = (float, dict, tuple, BaseException, object)


def public_objects():
    """Yield the dotted name of every public object the API reference documents."""
    import numpy as np

    foreign = (*FOREIGN, np.lib.mixins.NDArrayOperatorsMixin)
    seen = set()
    for modname in MODULES:
        mod = importlib.import_module(modname)
        for name in mod.__all__:
            obj = getattr(mod, name)
            if name == "__version__" or not (inspect.isclass(obj) or callable(obj)):
                continue
            full = f"{modname}.{name}"
            yield full
            if not inspect.isclass(obj) or obj in seen:
                continue
            seen.add(obj)
            for attr, _ in inspect.getmembers(obj):
                if attr.startswith("_"):
                    continue
                owner = next(k for k in obj.__mro__ if attr in vars(k))
                if owner in foreign:
                    continue
                member = inspect.getattr_static(obj, attr)
                if isinstance(member, (property, staticmethod, classmethod)) or inspect.isfunction(member):
                    yield f"{full}.{attr}"


def missing_pages(built):
    """Yield the public names without a page in the built site ``built``."""
    top = importlib.import_module("gantheory")
    for modname in MODULES:
        mod = importlib.import_module(modname)
        for name in mod.__all__:
            if name == "__version__":
                continue
            pages = [f"{modname}.{name}"]
            if getattr(top, name, None) is getattr(mod, name):
                pages.append(f"gantheory.{name}")  # documented once, under the top-level name
            if not any((built / "api" / "generated" / f"{page}.html").is_file() for page in pages):
                yield f"{modname}.{name}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--built", type=pathlib.Path, help="a built site: check every public name has a page")
    args = parser.parse_args()
    checks = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["numpydoc_validation"]["checks"])
    every = "all" in checks  # "all" minus the codes listed after it
    problems = 0
    for name in public_objects():
        for code, message in validate(name)["errors"]:
            if (code in checks) == every:
                continue
            print(f"{name}: {code} {message}")
            problems += 1
    if args.built is not None:
        for name in missing_pages(args.built):
            print(f"{name}: no page in {args.built}")
            problems += 1
    print(f"{problems} problem(s)", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
