"""Published NAFTA welfare effects, Caliendo & Parro (2015).

``TABLE_2``: Caliendo, L. and F. Parro (2015), "Estimates of the Trade and Welfare
Effects of NAFTA", Review of Economic Studies 82(1): 1-44, Table 2 ("Welfare effects
from tariff changes", NAFTA's tariff reductions, %), as printed to two decimals: the
total and its terms-of-trade and volume-of-trade parts.  The total is the sum of the
two parts (the authors' code computes welfare as ToT + VoT).

``CP2015_R_PACKAGE``: the same experiment as printed in the README of the independent R
implementation ``paulofelipe/cp2015`` (MIT licence), to three significant digits, with
the real-wage change that the paper does not tabulate next to Table 2.
"""

TABLE_2 = {
    # region: (welfare, terms of trade, volume of trade), percent
    "MEX": (1.31, -0.41, 1.72),
    "CAN": (-0.06, -0.11, 0.04),
    "USA": (0.08, 0.04, 0.04),
}
TABLE_2_HALF_UNIT = 0.005  # half a unit in the last printed digit

CP2015_R_PACKAGE = {
    # region: (terms of trade, volume of trade, welfare, real wage), percent
    "CAN": (-0.108, 0.0443, -0.0638, 0.323),
    "MEX": (-0.412, 1.72, 1.31, 1.72),
    "USA": (0.0435, 0.0412, 0.0848, 0.112),
}
