"""Analyses built on the solvers: comparing leaders, flips, batch solving, sweeps and exact regions."""
