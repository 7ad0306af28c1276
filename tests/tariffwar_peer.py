"""An independent NumPy + SciPy implementation of the tariffwar game.

The game of Lashkaripour (2021) as the MATLAB package tariffwar plays it on its WIOD
2014 data: a multi-sector Eaton–Kortum economy without input-output links, spending in
fixed (Cobb–Douglas) sector shares, factor income equal to sales net of tariffs, income
equal to factor income plus tariff revenue plus the deficit.  Each country sets one
uniform tariff on every import from every other country in every sector.

Written for the tests and benchmarks of truce's games, from the equations, without
truce's code: arrays are ``[exporter i, importer n, sector s]``, the wage equation is
solved by MINPACK's hybrid method (``scipy.optimize.root``) in log wages, and each
player's best response by bounded Brent search (``scipy.optimize.minimize_scalar``),
near the current rate first.
Nothing is differentiated: the Nash tariffs are a fixed point of best responses, and
the sufficient-statistics tariffs a fixed point of the formula, both found by plain
iteration.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
from scipy.optimize import minimize_scalar, root

#: The highest tariff a player may choose (truce's default).
TOP = 2.0
#: A best response is first searched this far either side of the current rate.
REACH = 0.05


@dataclass(frozen=True)
class Economy:
    """The base equilibrium, as plain arrays."""

    share: np.ndarray  # [i, n, s] exporter i's share of n's spending on s
    spend: np.ndarray  # [n, s] n's spending share on sector s
    E: np.ndarray  # [n] total spending
    R: np.ndarray  # [i] factor income (sales net of tariffs)
    tariff: np.ndarray  # [i, n, s] applied tariffs
    D: np.ndarray  # [n] deficit (E − income)
    eps: np.ndarray  # [s] trade elasticities


@dataclass(frozen=True)
class Outcome:
    """An equilibrium in changes from an :class:`Economy`."""

    w: np.ndarray  # [i] wage changes
    share: np.ndarray  # [i, n, s]
    E: np.ndarray  # [n] spending, level
    welfare_pct: np.ndarray  # [n] real income change, %
    sales: np.ndarray  # [i, n, s] purchases net of tariffs, level


def economy(flows: np.ndarray, tariffs: np.ndarray, eps: np.ndarray) -> Economy:
    """The base from ``flows`` ``[exporter, importer, sector]`` gross of ``tariffs``
    (as tariffwar reads its data) and each sector's trade elasticity."""
    spending_ns = flows.sum(axis=0)  # [n, s]
    E = spending_ns.sum(axis=1)
    R = (flows / (1.0 + tariffs)).sum(axis=(1, 2))
    revenue = (flows * tariffs / (1.0 + tariffs)).sum(axis=(0, 2))
    return Economy(
        share=flows / spending_ns[None, :, :],
        spend=spending_ns / E[:, None],
        E=E,
        R=R,
        tariff=tariffs,
        D=E - R - revenue,
        eps=np.asarray(eps, dtype=float),
    )


def _shares(base: Economy, tariff: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """New spending shares and the sector price-index changes ``[n, s]``."""
    cost = ((1.0 + tariff) / (1.0 + base.tariff)) * w[:, None, None]
    weighted = base.share * cost ** (-base.eps[None, None, :])
    index = weighted.sum(axis=0)  # [n, s]
    return weighted / index[None, :, :], index ** (-1.0 / base.eps[None, :])


def _spending(base: Economy, tariff: np.ndarray, share: np.ndarray, w, D) -> np.ndarray:
    """Spending that finances itself: E = ŵR + D + tariff revenue (a share of E)."""
    revenue_share = (share * base.spend[None, :, :] * tariff / (1.0 + tariff)).sum(axis=(0, 2))
    return (w * base.R + D) / (1.0 - revenue_share)


def solve(
    base: Economy, tariff: np.ndarray, *, D: np.ndarray | None = None, w0: np.ndarray | None = None
) -> Outcome:
    """The equilibrium under ``tariff`` (and deficits ``D``, default the base's), world
    factor income held fixed."""
    D = base.D if D is None else D

    def excess(log_w: np.ndarray) -> np.ndarray:
        w = np.exp(log_w)
        share, _ = _shares(base, tariff, w)
        E = _spending(base, tariff, share, w, D)
        sales = (share * base.spend[None, :, :] * E[None, :, None] / (1.0 + tariff)).sum(
            axis=(1, 2)
        )
        out = (sales - w * base.R) / base.R.sum()
        out[-1] = (w * base.R).sum() / base.R.sum() - 1.0
        return out

    start = np.zeros(len(base.R)) if w0 is None else np.log(w0)
    found = root(excess, start, method="hybr", options={"xtol": 1e-14})
    if not np.max(np.abs(excess(found.x))) < 1e-12:
        raise RuntimeError(f"the peer's equilibrium did not converge: {found.message}")
    w = np.exp(found.x)
    share, price_ns = _shares(base, tariff, w)
    E = _spending(base, tariff, share, w, D)
    price = np.exp((base.spend * np.log(price_ns)).sum(axis=1))
    income, base_income = E - D, base.E - base.D
    sales = share * base.spend[None, :, :] * E[None, :, None] / (1.0 + tariff)
    return Outcome(w, share, E, 100.0 * ((income / base_income) / price - 1.0), sales)


def balanced(base: Economy) -> Economy:
    """The base re-solved with every deficit closed (tariffwar's first step)."""
    out = solve(base, base.tariff, D=np.zeros_like(base.D))
    return replace(base, share=out.share, E=out.E, R=out.w * base.R, D=np.zeros_like(base.D))


def uniform_tariffs(base: Economy, rates: np.ndarray, players: np.ndarray) -> np.ndarray:
    """``[i, n, s]``: importer ``players[k]``'s rate ``rates[k]`` on every other country
    and sector; the others' tariffs as in the base."""
    out = np.array(base.tariff, dtype=float)
    for n, rate in zip(players, rates, strict=True):
        out[:, n, :] = rate
        out[n, n, :] = 0.0
    return out


class Game:
    """Welfare as a function of the players' uniform rates (every country, or the
    indices ``players``), solves warm-started."""

    def __init__(self, base: Economy, players: list[int] | None = None) -> None:
        self.base = base
        self.players = np.arange(len(base.R)) if players is None else np.asarray(players)
        self._w = np.ones(len(base.R))
        self.solves = 0

    def outcome(self, rates: np.ndarray) -> Outcome:
        out = solve(self.base, uniform_tariffs(self.base, rates, self.players), w0=self._w)
        self._w = out.w
        self.solves += 1
        return out

    def best_response(self, rates: np.ndarray, k: int, *, xtol: float = 1e-10) -> float:
        """Player k's welfare-maximising rate, the others' held: searched within
        ``REACH`` of its current rate, and over the whole range [0, TOP] when the
        optimum is at the edge of that bracket."""

        def loss(rate: float) -> float:
            trial = np.array(rates, dtype=float)
            trial[k] = rate
            return -self.outcome(trial).welfare_pct[self.players[k]]

        now = float(rates[k])
        for low, high in ((max(now - REACH, 0.0), min(now + REACH, TOP)), (0.0, TOP)):
            found = minimize_scalar(
                loss, bounds=(low, high), method="bounded", options={"xatol": xtol}
            )
            inside = (low == 0.0 or found.x > low + 1e-6) and (high == TOP or found.x < high - 1e-6)
            if inside:
                break
        return float(found.x)

    def nash(
        self,
        start: np.ndarray,
        *,
        tol: float = 1e-9,
        rounds: int = 50,
        progress: Callable[[int, float], None] | None = None,
    ) -> tuple[np.ndarray, float]:
        """Best responses in turn (Gauss–Seidel) until no rate moves more than ``tol``,
        or ``rounds`` rounds; ``progress(round, largest move)`` after each.  Returns the
        rates and the last round's largest move."""
        rates = np.array(start, dtype=float)
        for round_ in range(1, rounds + 1):
            moved = 0.0
            for k in range(len(rates)):
                new = self.best_response(rates, k)
                moved = max(moved, abs(new - rates[k]))
                rates[k] = new
            if progress is not None:
                progress(round_, moved)
            if moved <= tol:
                break
        return rates, moved

    def formula(self, start: np.ndarray, *, tol: float = 1e-12, rounds: int = 200) -> np.ndarray:
        """The fixed point t_n = 1 / Σ_s ε_s Σ_{k≠n} χ_nk,s (1 − λ_nk,s) (Lashkaripour
        2021, eq. 14), by plain iteration."""
        rates = np.array(start, dtype=float)
        foreign = (1.0 - np.eye(len(self.base.R)))[:, :, None]
        for _ in range(rounds):
            out = self.outcome(rates)
            exports = out.sales * foreign  # [n exporter, k importer, s]
            chi = exports / exports.sum(axis=(1, 2))[:, None, None]
            supply = (self.base.eps[None, None, :] * chi * (1.0 - out.share)).sum(axis=(1, 2))
            new = np.clip(1.0 / supply[self.players], 0.0, TOP)
            moved = float(np.max(np.abs(new - rates)))
            rates = new
            if moved <= tol:
                return rates
        raise RuntimeError(f"the peer's formula iteration still moves rates by {moved:.3g}")
