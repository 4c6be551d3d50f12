"""Analyses built on the solvers: comparing leaders (and, later, sweeps and regions)."""
