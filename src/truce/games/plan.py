"""Which tariffs each player of a tariff game sets, and how they are parametrised."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

#: The highest tariff a player may choose: 200%, above every rate of the 2025 war (the
#: US 145% of April 2025) and the 108% escalation; the models' solves are not reliable
#: far beyond it (a 500% US tariff on every import does not converge in ilms2025).
MAX_TARIFF = 2.0


@dataclass(frozen=True)
class TariffPlan:
    """The players' tariff instruments on a world's cells ``[sector, importer, exporter]``.

    Player ``p`` sets the tariffs of its imports from each of its ``targets`` in each of
    the ``choice_sectors``: one rate per sector (the same on every target), or one rate
    for all of them when ``uniform``.  Every other tariff stays at its base level.
    """

    regions: tuple[str, ...]
    sectors: tuple[str, ...]
    players: tuple[str, ...]
    targets: tuple[tuple[str, ...], ...]
    """The partners each player taxes, in the order of ``players``."""
    choice_sectors: tuple[str, ...]
    uniform: bool

    @classmethod
    def war(
        cls,
        regions: Sequence[str],
        sectors: Sequence[str],
        players: Sequence[str],
        choice_sectors: Sequence[str],
        *,
        uniform: bool = False,
        everyone: bool = False,
    ) -> TariffPlan:
        """Each player taxes the other players (or, with ``everyone``, every other region)."""
        regions, players = tuple(regions), tuple(players)
        unknown = [p for p in players if p not in regions]
        if unknown:
            raise ValueError(f"players not in the world: {', '.join(unknown)}")
        if len(set(players)) != len(players) or len(players) < 1:
            raise ValueError("players must be distinct and at least one")
        pool = regions if everyone else players
        targets = tuple(tuple(r for r in pool if r != p) for p in players)
        return cls(regions, tuple(sectors), players, targets, tuple(choice_sectors), uniform)

    def size(self) -> int:
        """Parameters per player."""
        return 1 if self.uniform else len(self.choice_sectors)

    def masks(self) -> np.ndarray:
        """``[player, sector, importer, exporter]``: the cells each player sets."""
        S, N = len(self.sectors), len(self.regions)
        out = np.zeros((len(self.players), S, N, N), dtype=bool)
        s_idx = [self.sectors.index(s) for s in self.choice_sectors]
        for k, (p, targets) in enumerate(zip(self.players, self.targets, strict=True)):
            n = self.regions.index(p)
            for t in targets:
                out[k, s_idx, n, self.regions.index(t)] = True
        return out

    def sector_map(self) -> np.ndarray:
        """``[sector, parameter]``: which parameter sets each sector's rate (0/1)."""
        out = np.zeros((len(self.sectors), self.size()))
        for k, s in enumerate(self.choice_sectors):
            out[self.sectors.index(s), 0 if self.uniform else k] = 1.0
        return out

    def tariffs(
        self, base_sni: Float[Array, "s n i"], rates: Float[Array, "p k"]
    ) -> Float[Array, "s n i"]:
        """The tariffs when player ``p`` chooses ``rates[p]`` (differentiable in ``rates``)."""
        masks = jnp.asarray(self.masks(), dtype=base_sni.dtype)
        by_sector = jnp.asarray(self.sector_map()) @ rates.T  # [sector, player]
        chosen = jnp.einsum("psni,sp->sni", masks, by_sector)
        return base_sni * (1.0 - masks.max(axis=0)) + chosen

    def rates_of(self, base_sni: np.ndarray) -> np.ndarray:
        """``[player, parameter]``: each player's base rates (trade-weighted where a
        parameter covers several cells, by cell count here: the mean of its cells)."""
        masks, smap = self.masks(), self.sector_map()
        out = np.zeros((len(self.players), self.size()))
        for p in range(len(self.players)):
            for k in range(self.size()):
                cells = masks[p] & (smap[:, k] > 0)[:, None, None]
                out[p, k] = float(base_sni[cells].mean()) if cells.any() else 0.0
        return out
