"""Errors a solver raises."""


class SolverError(ValueError):
    """A game or request a solver cannot handle; ``str()`` is one line saying why and what to do."""
