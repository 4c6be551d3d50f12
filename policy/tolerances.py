"""Every floating-point tolerance of the library, in one place.

Exact (``Fraction``) results need none: ties are ties and regret is 0. Float
results are judged against these, scaled by the size of the payoffs where it
says so.
"""

#: Chance probabilities in float mode must sum to 1 within this.
PROBABILITY = 1e-9
#: Two float payoffs within this (times max(1, |payoff|)) count as a tie.
TIE = 1e-9
#: A float equilibrium is accepted when its max regret is below this times
#: max(1, largest |payoff|).
REGRET = 1e-9
#: Behaviour probabilities that differ by less than this are the same profile
#: (when merging duplicate equilibria).
PROFILE = 1e-7
