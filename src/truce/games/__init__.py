"""Tariff games on truce's models: optimal tariffs, Nash wars and bargained talks.

Welfare is a differentiable function of the tariffs (:class:`Economy`, built on any
model's implicitly differentiated solve); a :class:`TariffPlan` says which tariffs each
player sets and how they are parametrised; :func:`best_response`, :func:`nash` and
:func:`bargain` search over them with exact gradients.  No I/O.
"""

from truce.games.economy import Economy as Economy
from truce.games.economy import model_economy as model_economy
from truce.games.plan import TariffPlan as TariffPlan
from truce.games.play import METHODS as METHODS
from truce.games.play import NashOutcome as NashOutcome
from truce.games.play import Response as Response
from truce.games.play import bargain as bargain
from truce.games.play import best_response as best_response
from truce.games.play import frontier as frontier
from truce.games.play import nash as nash

__all__ = [
    "METHODS",
    "Economy",
    "NashOutcome",
    "Response",
    "TariffPlan",
    "bargain",
    "best_response",
    "frontier",
    "model_economy",
    "nash",
]
