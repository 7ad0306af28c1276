"""Which tariffs each player of a tariff game sets, and how they are parametrised."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from truce._types import MAX_TARIFF


@dataclass(frozen=True)
class TariffPlan:
    """The players' tariff instruments on a world's cells ``[sector, importer, exporter]``.

    Player ``p`` sets the tariffs of its imports from each of its ``targets`` in each of
    the ``choice_sectors``: one rate per sector (the same on every target), one rate per
    target and sector (``by_partner``), or one rate for all of them (``uniform``).  Every
    other tariff stays at its base level.
    """

    regions: tuple[str, ...]
    sectors: tuple[str, ...]
    players: tuple[str, ...]
    targets: tuple[tuple[str, ...], ...]
    """The partners each player taxes, in the order of ``players``."""
    choice_sectors: tuple[str, ...]
    uniform: bool = False
    by_partner: bool = False
    max_tariff: float = MAX_TARIFF
    """The highest rate a player may choose (1.0 = 100%)."""

    @classmethod
    def war(
        cls,
        regions: Sequence[str],
        sectors: Sequence[str],
        players: Sequence[str],
        choice_sectors: Sequence[str],
        *,
        uniform: bool = False,
        by_partner: bool = False,
        everyone: bool = False,
        max_tariff: float = MAX_TARIFF,
    ) -> TariffPlan:
        """Each player taxes the other players (or, with ``everyone`` or a single player,
        every other region)."""
        regions, players = tuple(regions), tuple(players)
        unknown = [p for p in players if p not in regions]
        if unknown:
            raise ValueError(f"players not in the world: {', '.join(unknown)}")
        if len(set(players)) != len(players) or len(players) < 1:
            raise ValueError("players must be distinct and at least one")
        if uniform and by_partner:
            raise ValueError("a plan is uniform or by partner, not both")
        if not 0.0 < max_tariff <= 10.0:
            raise ValueError(f"the highest tariff must be above 0 and at most 10, not {max_tariff}")
        pool = regions if everyone or len(players) == 1 else players
        targets = tuple(tuple(r for r in pool if r != p) for p in players)
        return cls(
            regions,
            tuple(sectors),
            players,
            targets,
            tuple(choice_sectors),
            uniform,
            by_partner,
            max_tariff,
        )

    def size(self) -> int:
        """Parameters per player (the most any player has; players with fewer targets
        leave the rest unused)."""
        if self.uniform:
            return 1
        if self.by_partner:
            return max(len(t) for t in self.targets) * len(self.choice_sectors)
        return len(self.choice_sectors)

    def labels(self, player: int) -> list[tuple[str, str]]:
        """``(target, sector)`` of each of a player's parameters (``"*"`` for all)."""
        if self.uniform:
            return [("*", "*")]
        if self.by_partner:
            return [(t, s) for t in self.targets[player] for s in self.choice_sectors]
        return [("*", s) for s in self.choice_sectors]

    def parameter_index(self) -> np.ndarray:
        """``[player, sector, importer, exporter]``: the parameter that sets each cell's
        tariff, −1 where the player sets none."""
        S, N = len(self.sectors), len(self.regions)
        out = np.full((len(self.players), S, N, N), -1, dtype=np.int64)
        for p, (player, targets) in enumerate(zip(self.players, self.targets, strict=True)):
            n = self.regions.index(player)
            for t_k, target in enumerate(targets):
                i = self.regions.index(target)
                for s_k, sector in enumerate(self.choice_sectors):
                    if self.uniform:
                        k = 0
                    elif self.by_partner:
                        k = t_k * len(self.choice_sectors) + s_k
                    else:
                        k = s_k
                    out[p, self.sectors.index(sector), n, i] = k
        return out

    def used(self) -> np.ndarray:
        """``[player, parameter]``: whether the parameter sets any tariff (a player with
        fewer targets than another leaves the rest of its parameters unused)."""
        index = self.parameter_index()
        return np.stack(
            [np.isin(np.arange(self.size()), index[p]) for p in range(len(self.players))]
        )

    def tariffs(
        self, base_sni: Float[Array, "s n i"], rates: Float[Array, "p k"]
    ) -> Float[Array, "s n i"]:
        """The tariffs when player ``p`` chooses ``rates[p]`` (differentiable in ``rates``)."""
        index = self.parameter_index()
        out = base_sni
        for p in range(len(self.players)):
            chosen = index[p] >= 0
            if chosen.any():
                values = jnp.asarray(rates[p])[jnp.asarray(np.maximum(index[p], 0))]
                out = jnp.where(jnp.asarray(chosen), values, out)
        return out

    def rates_of(self, base_sni: np.ndarray) -> np.ndarray:
        """``[player, parameter]``: each player's base rates (the mean over the cells a
        parameter sets; 0 for unused parameters)."""
        index = self.parameter_index()
        out = np.zeros((len(self.players), self.size()))
        for p in range(len(self.players)):
            for k in range(self.size()):
                cells = index[p] == k
                out[p, k] = float(base_sni[cells].mean()) if cells.any() else 0.0
        return out
