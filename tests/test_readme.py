"""The README's tour: its code block runs, and every value a comment shows is what the line returns."""
import re
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def _tour():
    """The first python block of the README, as (code, shown) pairs: a line and the repr its comment
    shows, cut where the comment writes ``...`` (None where the comment shows no value)."""
    block = re.search(r"```python\n(.*?)```", README.read_text(), re.S).group(1)
    out = []
    for line in block.splitlines():
        code, _, comment = line.partition("  # ")
        shown = re.match(r"(Estimate(?:Array)?\(.*?)(?:\.\.\.|$)", comment.strip())
        out.append((code.strip(), shown.group(1).rstrip(", ") if shown else None))
    return out


def test_the_readme_tour_shows_what_it_returns():
    namespace = {}
    checked = 0
    for code, shown in _tour():
        if not code:
            continue
        if shown is None:
            exec(code, namespace)
            continue
        got = repr(eval(code, namespace))
        assert got.startswith(shown), (code, got, shown)
        checked += 1
    assert checked >= 6
