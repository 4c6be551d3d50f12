"""policy: model a diplomatic crisis as an extensive-form game, solve it, compare leaders.

The word means foreign policy. Modules: ``model`` (the game tree), ``expr``
(safe parameter expressions), ``gamefile`` (our TOML format), ``leaders``
(profiles), ``claims`` (the sources catalogue), ``solvers`` (equilibria, each
verified), ``analysis`` (comparisons), ``render`` (tables and data).
Submodules are imported on demand, so ``import policy`` is cheap.
"""

__version__ = "0.1.0"
