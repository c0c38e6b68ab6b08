"""The documentation: every public name has its API page and full numpydoc sections, and the examples
of the Markdown pages run (docstring examples run under ``--doctest-modules``)."""

import doctest
import importlib
import inspect
import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parent.parent / "docs"
MODULES = ("gantheory", "gantheory.estimators", "gantheory.training", "gantheory.quadrature", "gantheory.networks",
           "gantheory.adversarial")


def _public(modname):
    mod = importlib.import_module(modname)
    return {name: getattr(mod, name) for name in mod.__all__ if name != "__version__"}


def _api_entries():
    """(module, name) for every entry of an autosummary list in docs/api/*.rst."""
    entries = set()
    for page in sorted((DOCS / "api").glob("*.rst")):
        module = None
        in_list = False
        for line in page.read_text().splitlines():
            if m := re.match(r"\.\. currentmodule:: (\S+)", line):
                module = m.group(1)
            elif line.startswith(".. autosummary::"):
                in_list = True
            elif in_list and re.match(r"   [A-Za-z_]\w*$", line):
                entries.add((module, line.strip()))
            elif in_list and line and not line.startswith("   "):
                in_list = False
    return entries


def test_every_public_name_has_an_api_page_and_every_page_a_public_name():
    entries = _api_entries()
    documented = {id(getattr(importlib.import_module(mod), name)) for mod, name in entries}
    missing = [f"{mod}.{name}" for mod in MODULES for name, obj in _public(mod).items()
               if (mod, name) not in entries and id(obj) not in documented]
    assert not missing, f"public names without an API page: {missing}"
    stale = [f"{mod}.{name}" for mod, name in entries if name not in _public(mod)]
    assert not stale, f"API pages for names that are not public: {stale}"
    # a name documented under two modules would be two pages of one object (Sphinx warns)
    assert len(documented) == len(entries)


def _sections(doc):
    return set(re.findall(r"^(\w[\w ]*)\n-{3,}$", doc, re.M))


def _takes_parameters(obj):
    try:
        params = inspect.signature(obj).parameters
    except (TypeError, ValueError):
        return False
    return any(p for p in params if p != "self")


@pytest.mark.parametrize("modname", MODULES)
def test_every_public_docstring_has_the_numpydoc_sections(modname):
    problems = []
    for name, obj in _public(modname).items():
        if not (inspect.isclass(obj) or inspect.isfunction(obj)):
            continue  # module constants: a `#:` comment documents them
        have = _sections(inspect.getdoc(obj) or "")
        need = {"Examples", "See Also"}
        if _takes_parameters(obj):
            need.add("Parameters")
        if inspect.isfunction(obj):
            need |= {"Returns", "Raises"}
        if need - have:
            problems.append(f"{modname}.{name}: no {', '.join(sorted(need - have))}")
    assert not problems, "\n".join(problems)


def _pycon_blocks():
    for page in sorted(DOCS.rglob("*.md")):
        if "_build" in page.parts:
            continue
        blocks = re.findall(r"```pycon\n(.*?)```", page.read_text(), re.S)
        if blocks:
            yield pytest.param(page, blocks, id=str(page.relative_to(DOCS)))


@pytest.mark.parametrize(("page", "blocks"), list(_pycon_blocks()))
def test_the_examples_of_a_documentation_page_run(page, blocks):
    parser = doctest.DocTestParser()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    globs, report = {}, []
    for i, block in enumerate(blocks):
        test = parser.get_doctest(block, globs, f"{page.name}[{i}]", str(page), 0)
        runner.run(test, out=report.append, clear_globs=False)
        globs = test.globs  # (a DocTest runs in a copy; later blocks of the page see what earlier ones defined)
    assert runner.failures == 0, "".join(report)
    assert runner.tries > 0
