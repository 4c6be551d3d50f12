"""A comparison runs the cyclic garbage collector less often, and puts its thresholds back."""

from __future__ import annotations

import gc

import pytest

from policy.analysis import compare as compare_module
from policy.model import COLLECT_AFTER


def test_the_thresholds_are_raised_during_a_comparison_and_put_back(monkeypatch):
    before = gc.get_threshold()
    seen = []
    monkeypatch.setattr(compare_module, "_compare", lambda *a: seen.append(gc.get_threshold()) or [])
    assert compare_module.compare([]) == []
    assert seen == [(max(COLLECT_AFTER, before[0]), *before[1:])]
    assert gc.get_threshold() == before


def test_the_thresholds_are_put_back_when_a_comparison_fails(monkeypatch):
    before = gc.get_threshold()

    def fail(*args):
        raise RuntimeError("stop")

    monkeypatch.setattr(compare_module, "_compare", fail)
    with pytest.raises(RuntimeError):
        compare_module.compare([])
    assert gc.get_threshold() == before
