"""Scenarios that have no equilibrium, told before the solver tries them.

Under the fixed-deficit closure each region keeps its base trade deficit (as a share of
world factor income).  A region whose every export is banned cannot earn a surplus, and
one whose every import is banned cannot spend a deficit: no prices make such a
scenario's markets clear, so it is refused at the ban's line with the way out (closing
the deficits first, or leaving some flows open).
"""

from __future__ import annotations

from datetime import date as Date

import numpy as np

from truce.errors import ScenarioError
from truce.model.baseline import Baseline, Shock
from truce.policy.compile import in_force
from truce.policy.spec import Scenario


def _all_banned(base_flows: np.ndarray, blocked: np.ndarray, axis: int) -> np.ndarray:
    """Per region: it trades abroad in the base, and every such flow is banned
    (``axis`` 1: as importer, 2: as exporter)."""
    foreign = ~np.eye(base_flows.shape[1], dtype=bool)[None, :, :]
    trades = (base_flows > 0) & foreign
    other = 2 if axis == 1 else 1
    has_trade = trades.any(axis=(0, other))
    open_trade = (trades & ~blocked).any(axis=(0, other))
    return has_trade & ~open_trade


def check_bans(
    scenario: Scenario,
    date: Date | None,
    base: Baseline,
    shock: Shock,
    *,
    zero_deficits: bool,
    usd_bn: float | None,
) -> None:
    """Raise :class:`~truce.errors.ScenarioError` when, under fixed deficits, bans
    leave a surplus region nothing to export or a deficit region nothing to import."""
    if zero_deficits or shock.blocked_sni is None:
        return
    blocked = np.asarray(shock.blocked_sni)
    flows = np.asarray(base.flow_sni)
    deficit = np.asarray(shock.deficit_n)
    for axis, sign, what, needs in (
        (2, -1.0, "export", "earn the trade surplus"),
        (1, 1.0, "import", "spend the trade deficit"),
    ):
        stuck = _all_banned(flows, blocked, axis) & (sign * deficit > 0)
        if not stuck.any():
            continue
        n = int(np.flatnonzero(stuck)[0])
        region = base.regions[n]
        bans = [m for m in in_force(scenario, date) if m.kind == "export_cap" and m.share == 0]
        first = bans[0] if bans else None
        amount = (
            f"US$ {abs(deficit[n]) * usd_bn:,.0f} bn"
            if usd_bn is not None
            else f"{abs(deficit[n]):,.0f} in the world's currency"
        )
        raise ScenarioError(
            f"every {what} of {region} is banned, so {region} cannot {needs} that the "
            f"fixed-deficit closure holds it to ({amount}); "
            "close the deficits first (options: {deficits: zero}) or leave some of its "
            f"{what}s open",
            path=None if first is None else first.file_in(scenario),
            line=None if first is None else first.line_of("share"),
            key=None if first is None else "share",
        )
