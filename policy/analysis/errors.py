"""The analyses' user-facing errors, in a module light enough for the command line to import."""

from __future__ import annotations


class SweepError(ValueError):
    """A sweep that cannot run as asked; ``str()`` is one line."""


class RegionsError(ValueError):
    """A region analysis that cannot run as asked; ``str()`` is one line."""
