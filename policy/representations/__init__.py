"""Game representations the Nash solvers work on.

* :mod:`policy.representations.sequence`: the sequence form of a two-player game
  with perfect recall (Koller, Megiddo and von Stengel 1996), linear in the size
  of the tree, for the ``lcp`` and ``lp`` methods; and the per-player sequence
  structure (realization plans and behaviour strategies) for any number of
  players.
* :mod:`policy.representations.normal`: the reduced normal (strategic) form of a
  small game with any number of players, for ``enummixed`` and ``enumpure``.

Nothing is imported here, so importing the package stays cheap; import the
modules themselves.
"""
