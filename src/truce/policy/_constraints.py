"""The constraints of a compiled scenario: export caps, bans and import floors.

:func:`with_constraints` turns the caps and floors that :mod:`truce.policy.compile`
collected into the shock's ``blocked_sni``, ``cap_cells``/``cap_share`` and
``floor_cells``/``floor_value``, by the rules stated in that module's docstring, and
records which measure each constraint belongs to (:class:`CompiledScenario`), so that
results can be reported per measure.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

import jax.numpy as jnp
import numpy as np
from numpy.typing import NDArray

from truce.errors import ScenarioError
from truce.model.baseline import Baseline, Shock
from truce.policy.spec import Scenario


@dataclass(frozen=True)
class CompiledScenario:
    """A compiled scenario: the shock, and which measure each constraint belongs to."""

    shock: Shock
    cap_measure: tuple[int, ...] = ()
    """For each capped cell ``k`` of the shock, the index of the measure whose share it
    is (the tightest cap on the cell, the first in file order on a tie)."""
    floor_measure: tuple[int, ...] = ()
    """For each floor ``f`` of the shock, the index of its (first) measure."""
    floor_of: Mapping[int, int] = field(default_factory=dict)
    """Measure index → its floor ``f`` (two identical floors share one)."""
    cap_terms: Mapping[int, tuple[NDArray[np.int64], NDArray[np.float64]]] = field(
        default_factory=dict
    )
    """Export cap (share > 0) measure index → for each of its cells with a baseline
    flow, the capped cell ``k`` whose equivalent it bears (-1 where another measure's
    tighter cap or ban bounds the cell, so its own bound is slack) and the baseline
    flow (the weight)."""
    bans: frozenset[int] = frozenset()
    """Indices of the export caps with share 0."""
    cells: Mapping[int, int] = field(default_factory=dict)
    """Measure index (in force) → how many foreign cells with a baseline flow it covers."""
    capacity_terms: Mapping[int, tuple[NDArray[np.int64], NDArray[np.float64]]] = field(
        default_factory=dict
    )
    """Capacity measure index → for each producer and sector it covers, the limit ``g``
    whose equivalent it bears (-1 where another measure's tighter limit binds) and the
    baseline output (the weight)."""

    def equivalent_rates(
        self,
        cap_rate_k: NDArray[np.float64],
        floor_rate_f: NDArray[np.float64],
        capacity_rate_g: NDArray[np.float64] | None = None,
    ) -> dict[int, float | None]:
        """The ad-valorem equivalent of each constraint measure, by measure index.

        An export cap's is the baseline-flow-weighted mean of its cells' equivalents
        (0 on a cell where another cap binds first); a ban's is ``None``; an import
        floor's is its floor's subsidy rate; a capacity limit's the baseline-output-
        weighted mean of its producers' output-tax equivalents.  Other kinds have no
        entry.
        """
        # A trailing 0 so that k = -1 (another measure's bound) reads a zero rate.
        padded = np.append(np.asarray(cap_rate_k, dtype=np.float64), 0.0)
        floor_rate_f = np.asarray(floor_rate_f, dtype=np.float64)
        rates: dict[int, float | None] = dict.fromkeys(self.bans)
        # "+ 0.0" turns a slack constraint's -0.0 into 0.0.
        for index, (k, weight) in self.cap_terms.items():
            rates[index] = float((weight * padded[k]).sum() / weight.sum()) + 0.0
        for index, f in self.floor_of.items():
            rates[index] = float(floor_rate_f[f]) + 0.0
        if capacity_rate_g is not None:
            padded = np.append(np.asarray(capacity_rate_g, dtype=np.float64), 0.0)
            for index, (g, weight) in self.capacity_terms.items():
                rates[index] = float((weight * padded[g]).sum() / weight.sum()) + 0.0
        return rates


def replace_shock(shock: Shock, **fields: object) -> Shock:
    """``shock`` with some fields replaced (optional ones may go from ``None`` to arrays)."""
    values = {f.name: getattr(shock, f.name) for f in dataclasses.fields(shock)}
    return Shock(**{**values, **fields})


def with_constraints(
    scenario: Scenario,
    baseline: Baseline,
    shock: Shock,
    caps: Sequence[tuple[int, float, NDArray[np.bool_]]],
    floor_list: Sequence[tuple[int, float, NDArray[np.bool_]]],
    counts: Mapping[int, int],
    capacities: Sequence[tuple[int, float, NDArray[np.bool_]]] = (),
) -> CompiledScenario:
    """Add the caps, bans, floors and capacity limits to ``shock`` and map them to their
    measures.

    ``caps`` and ``floor_list`` hold (measure index, share or value, covered cells with
    a baseline flow) in file order; ``counts`` the covered cells of every measure;
    ``capacities`` (measure index, share, covered ``[sector, producer]`` pairs).
    """
    flow = np.asarray(baseline.flow_sni, dtype=np.float64)
    blocked = np.zeros(flow.shape, dtype=bool)
    tightest = np.full(flow.shape, np.inf)
    for _, share, traded in caps:
        if share == 0.0:
            blocked |= traded
        else:
            tightest = np.where(traded, np.minimum(tightest, share), tightest)
    capped = np.isfinite(tightest) & ~blocked
    cap_cells = np.argwhere(capped)
    k_of = np.full(flow.shape, -1, dtype=np.int64)
    k_of[capped] = np.arange(len(cap_cells))
    owner = np.full(len(cap_cells), -1, dtype=np.int64)
    cap_terms: dict[int, tuple[NDArray[np.int64], NDArray[np.float64]]] = {}
    for index, share, traded in caps:
        if share == 0.0:
            continue
        own = traded & capped & (tightest == share)
        mine = k_of[own]
        owner[mine[owner[mine] < 0]] = index
        cap_terms[index] = (np.where(own, k_of, -1)[traded], flow[traded])

    floors: list[tuple[float, NDArray[np.bool_]]] = []
    floor_of: dict[int, int] = {}
    floor_measure: list[int] = []
    for index, value, traded in floor_list:
        if not (traded & ~blocked).any():
            measure = scenario.measures[index]
            raise ScenarioError(
                f"the import floor #{index} covers only banned flows: it cannot be met",
                path=measure.file_in(scenario),
                line=measure.line_of("on"),
                key="on",
            )
        same = [f for f, (v, t) in enumerate(floors) if v == value and np.array_equal(t, traded)]
        if same:
            floor_of[index] = same[0]
            continue
        floor_of[index] = len(floors)
        floors.append((value, traded))
        floor_measure.append(index)

    capacity_cells, capacity_share, capacity_terms = _capacities(baseline, capacities)
    extra: dict[str, object] = {}
    if len(capacity_cells):
        extra["capacity_cells"] = jnp.asarray(capacity_cells, dtype=jnp.int64)
        extra["capacity_share"] = jnp.asarray(capacity_share, dtype=jnp.float64)
    if blocked.any():
        extra["blocked_sni"] = jnp.asarray(blocked)
    if len(cap_cells):
        extra["cap_cells"] = jnp.asarray(cap_cells, dtype=jnp.int64)
        extra["cap_share"] = jnp.asarray(tightest[capped], dtype=jnp.float64)
    if floors:
        extra["floor_cells"] = jnp.asarray(np.stack([t for _, t in floors]), dtype=jnp.float64)
        extra["floor_value"] = jnp.asarray([v for v, _ in floors], dtype=jnp.float64)
    return CompiledScenario(
        shock=replace_shock(shock, **extra) if extra else shock,
        cap_measure=tuple(int(m) for m in owner),
        floor_measure=tuple(floor_measure),
        floor_of=MappingProxyType(floor_of),
        cap_terms=MappingProxyType(cap_terms),
        bans=frozenset(index for index, share, _ in caps if share == 0.0),
        cells=MappingProxyType(dict(counts)),
        capacity_terms=MappingProxyType(capacity_terms),
    )


def _capacities(
    baseline: Baseline, capacities: Sequence[tuple[int, float, NDArray[np.bool_]]]
) -> tuple[
    NDArray[np.int64], NDArray[np.float64], dict[int, tuple[NDArray[np.int64], NDArray[np.float64]]]
]:
    """The capacity limits (one per covered producer and sector, the tightest share),
    and each measure's limits with their baseline output as weights."""
    output_si = np.asarray(baseline.flow_sni, dtype=np.float64).sum(axis=1)
    tightest = np.full(output_si.shape, np.inf)
    for _, share, producers in capacities:
        tightest = np.where(producers, np.minimum(tightest, share), tightest)
    limited = np.isfinite(tightest)
    cells = np.argwhere(limited)
    g_of = np.full(output_si.shape, -1, dtype=np.int64)
    g_of[limited] = np.arange(len(cells))
    terms = {
        index: (
            np.where(producers & (tightest == share), g_of, -1)[producers],
            output_si[producers],
        )
        for index, share, producers in capacities
    }
    return cells, tightest[limited], terms
