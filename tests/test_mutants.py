"""The hand-written mutants of tests/mutants.py still apply: each wrong formula replaces exactly one
place in the current code (a stale mutant would silently test nothing)."""

from pathlib import Path

import mutants
import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("name", sorted(mutants.MUTANTS))
def test_every_mutant_applies_exactly_once(name):
    _, edits = mutants.MUTANTS[name]
    for rel, good, bad in edits:
        text = (ROOT / rel).read_text()
        assert text.count(good) == 1, (name, rel, good)
        assert good != bad
