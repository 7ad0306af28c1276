"""Solving a large shock by continuation: walking it from the base in steps.

Newton's method converges from a good start; a shock far from the base (tariffs of
1,000%, bans of whole sectors, caps near zero) may leave the base outside its basin.
:func:`shock_between` builds the path of shocks from the base (``t = 0``) to the
scenario's (``t = 1``), and :func:`solve_by_continuation` solves along it, each step
warm-started from the last solution, the step length doubled after a success and
halved after a failure (docs/numerics.md#continuation).

Along the path every wedge moves geometrically (``1 + tariff``, trade costs,
``1 + export tax``, cap and capacity shares), deficits and floor values linearly, and a
banned cell's flow shrinks as a trade cost that takes ``1 − t`` of its base share
before the ban itself applies at ``t = 1``.  Every shock on the path has the target's
shapes, so the jitted solve is compiled once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
from jaxtyping import Array, Float

from truce.model.baseline import Baseline, Shock

#: The shortest step, as a share of the whole shock, before continuation gives up.
MIN_STEP = 1.0 / 1024
#: The first step after the direct solve has failed.
FIRST_STEP = 0.25
#: Most solves along one path (successes and failures together).
MAX_SOLVES = 60


@jax.jit
def shock_between(baseline: Baseline, shock: Shock, t: Float[Array, ""]) -> Shock:
    """The shock a share ``t`` (0 to 1) of the way from the base to ``shock``: the base
    at ``t = 0``, ``shock`` itself at ``t = 1``, with ``shock``'s shapes throughout."""
    t = jnp.asarray(t, dtype=jnp.float64)
    at_end = t >= 1.0

    def geometric(target: Array, start: Array | float = 1.0) -> Array:
        return start ** (1.0 - t) * target**t

    cost = geometric(shock.cost_sni)
    blocked = shock.blocked_sni
    if blocked is not None:
        # A banned cell keeps (1 − t) of its base expenditure share: a cost factor
        # (1 − t)^(−1/θ) until the ban itself takes over at the end.
        fading = jnp.maximum(1.0 - t, 1e-300) ** (-1.0 / baseline.theta_s)[:, None, None]
        cost = jnp.where(blocked & ~at_end, cost * fading, cost)
        blocked = blocked & at_end
    export_tax = shock.export_tax_sni
    if export_tax is not None:
        export_tax = geometric(1.0 + export_tax) - 1.0
    cap_share = None if shock.cap_share is None else geometric(shock.cap_share)
    capacity_share = None if shock.capacity_share is None else geometric(shock.capacity_share)
    floor_value = shock.floor_value
    if floor_value is not None and shock.floor_cells is not None:
        covered = jnp.einsum("fsni,sni->f", shock.floor_cells, baseline.flow_sni)
        start = jnp.minimum(floor_value, covered)
        floor_value = start + t * (floor_value - start)
    return Shock(
        tau_sni=geometric(1.0 + shock.tau_sni, 1.0 + baseline.tau_sni) - 1.0,
        cost_sni=cost,
        deficit_n=baseline.deficit_n + t * (shock.deficit_n - baseline.deficit_n),
        export_tax_sni=export_tax,
        blocked_sni=blocked,
        cap_cells=shock.cap_cells,
        cap_share=cap_share,
        floor_cells=shock.floor_cells,
        floor_value=floor_value,
        capacity_cells=shock.capacity_cells,
        capacity_share=capacity_share,
    )


class Path(NamedTuple):
    """How far a continuation got."""

    reached: float
    """The share of the shock solved (1.0 when the whole shock was)."""
    solves: int
    """Solves along the path, failed ones included."""
    iterations: int
    """Outer iterations of every solve together."""
    jacobians: int
    """Exact Jacobians of every solve together."""
    shortest: float
    """The shortest step tried."""


def solve_by_continuation(
    solve_at: Callable[[Shock, Any], Any],
    baseline: Baseline,
    shock: Shock,
    *,
    first_step: float = FIRST_STEP,
) -> tuple[Any, Path]:
    """Solve ``shock`` along :func:`shock_between`'s path, from the base.

    ``solve_at(shock, initial)`` solves one shock warm-started from the solution
    ``initial`` (``None``: from the base) and returns an equilibrium with ``converged``,
    ``iterations`` and ``jacobians``.  Returns the last equilibrium tried (the
    solution of ``shock`` when ``Path.reached`` is 1.0; the failed step's otherwise)
    and the path's record.  Gives up when a step shorter than :data:`MIN_STEP` fails
    or after :data:`MAX_SOLVES` solves.
    """
    reached, step, shortest = 0.0, first_step, first_step
    solves = iterations = jacobians = 0
    last, eq = None, None
    while reached < 1.0 and solves < MAX_SOLVES:
        target = min(1.0, reached + step)
        shortest = min(shortest, target - reached)
        eq = solve_at(shock if target >= 1.0 else shock_between(baseline, shock, target), last)
        solves += 1
        iterations += int(eq.iterations)
        jacobians += int(eq.jacobians)
        if bool(eq.converged):
            reached, last = target, eq
            step *= 2.0
        elif target - reached <= MIN_STEP:
            break
        else:
            step = (target - reached) / 2.0
    return eq, Path(reached, solves, iterations, jacobians, shortest)
