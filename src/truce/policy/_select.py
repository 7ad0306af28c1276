"""Which cells a measure covers: its code selections, groups and product, as a mask.

The rules are those of :mod:`truce.policy.compile` (its docstring states them); this
module only applies them to one measure at a time.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import NoReturn

import numpy as np
from numpy.typing import NDArray

from truce.errors import ScenarioError
from truce.model.baseline import Baseline
from truce.policy._checks import WILDCARD, Selection
from truce.policy.groups import REGION_GROUPS, SECTOR_GROUPS, is_service, parent_sector
from truce.policy.names import did_you_mean, resolve
from truce.policy.spec import Measure, Scenario

Groups = Mapping[str, Iterable[str]]
"""Region groups: a group code mapped to the region codes it stands for."""

_MAX_LISTED = 30


class Selector:
    """Turns a measure's code selections into a boolean ``[sector, importer, exporter]``
    mask of the cells it covers (domestic cells never included)."""

    def __init__(self, scenario: Scenario, baseline: Baseline, groups: Groups) -> None:
        self.scenario = scenario
        self.baseline = baseline
        self.regions = baseline.regions
        self.sectors = baseline.sectors
        self.region_at = {code: k for k, code in enumerate(baseline.regions)}
        self.sector_at = {code: k for k, code in enumerate(baseline.sectors)}
        self.groups = groups
        flow = np.asarray(baseline.flow_sni, dtype=np.float64)
        foreign = ~np.eye(len(self.regions), dtype=bool)
        traded = (flow * foreign[None, :, :] != 0).any(axis=(1, 2))
        service = np.array(
            [is_service(code, bool(t)) for code, t in zip(self.sectors, traded, strict=True)],
            dtype=bool,
        )
        self.sector_groups = {"services": service, "goods": ~service}

    def mask(self, measure: Measure) -> NDArray[np.bool_]:
        """``[sector, importer, exporter]`` cells of ``measure``, domestic cells off.

        A ``"*"`` on one side is every region not selected on the other side; ``"*"``
        on both sides is every pair of distinct regions.
        """
        by = self._regions(measure, "by", measure.by)
        on = self._regions(measure, "on", measure.on)
        if by is None and on is None:
            by = on = np.ones(len(self.regions), dtype=bool)
        elif by is None:
            by = ~on
        elif on is None:
            on = ~by
        sectors = self._sectors(measure)
        importer, exporter = (by, on) if measure.by_role == "importer" else (on, by)
        foreign = ~np.eye(len(self.regions), dtype=bool)
        return (
            sectors[:, None, None]
            & importer[None, :, None]
            & exporter[None, None, :]
            & foreign[None, :, :]
        )

    def _regions(
        self, measure: Measure, key: str, selection: Selection
    ) -> NDArray[np.bool_] | None:
        """The regions a selection names (``None`` for the wildcard)."""
        if selection == WILDCARD:
            return None
        chosen = np.zeros(len(self.regions), dtype=bool)
        names = self.baseline.region_names
        for item, given in enumerate(selection):
            code = resolve(given, self.regions, names) or given
            if code in self.region_at:
                chosen[self.region_at[code]] = True
            elif code in self.groups:
                for member in self.groups[code]:
                    if member not in self.region_at:
                        self._fail(
                            measure,
                            key,
                            item,
                            f"group {code} names region {member!r}, which the world "
                            f"does not have; its regions are {_listed(self.regions)}",
                        )
                    chosen[self.region_at[member]] = True
            elif code in REGION_GROUPS:
                members = [m for m in REGION_GROUPS[code] if m in self.region_at]
                if not members:
                    self._fail(
                        measure,
                        key,
                        item,
                        f"unknown region {code!r}: none of the group's members "
                        f"({', '.join(REGION_GROUPS[code])}) is a region of the world; "
                        f"its regions are {_listed(self.regions)}",
                    )
                chosen[[self.region_at[m] for m in members]] = True
            else:
                self._fail(
                    measure,
                    key,
                    item,
                    f"unknown region {code!r}{did_you_mean(code, self.regions, names)} "
                    f"(a region is named by its code or its name; the world's regions are "
                    f"{_listed(self.regions)})",
                )
        return chosen

    def _sectors(self, measure: Measure) -> NDArray[np.bool_]:
        chosen = np.zeros(len(self.sectors), dtype=bool)
        named: list[int] = []  # sectors named by their own code
        names = self.baseline.sector_names
        if measure.sectors == WILDCARD:
            chosen[:] = True
        else:
            for item, given in enumerate(measure.sectors):
                code = resolve(given, self.sectors, names) or given
                if code in self.sector_at:
                    named.append(self.sector_at[code])
                    chosen[self.sector_at[code]] = True
                elif code in SECTOR_GROUPS:
                    group = self.sector_groups[code]
                    if not group.any():
                        self._fail(
                            measure,
                            "sectors",
                            item,
                            f"sector group {code} is empty: no sector of this world is "
                            f"one of the {code}",
                        )
                    chosen |= group
                else:
                    self._fail(
                        measure,
                        "sectors",
                        item,
                        f"unknown sector {code!r}{did_you_mean(code, self.sectors, names)} "
                        "(a sector is named by its code or its name; `truce world show` "
                        f"lists them; the world's sectors are {_listed(self.sectors)})",
                    )
        if measure.product is None:
            # A sector covers its product sub-sectors: the whole of the original sector.
            parents = {self.sectors[k] for k in np.flatnonzero(chosen)}
            return chosen | np.array([parent_sector(c) in parents for c in self.sectors])
        return self._products(measure, chosen, named)

    def _products(
        self, measure: Measure, chosen: NDArray[np.bool_], named: list[int]
    ) -> NDArray[np.bool_]:
        """The ``SECTOR.PRODUCT`` sub-sectors of the chosen sectors.

        A sector named by its code must have the sub-sector; of the sectors reached
        through ``"*"`` or a group, those that have it are taken (and at least one must).
        """
        product = measure.product
        narrowed = np.zeros_like(chosen)
        for k in np.flatnonzero(chosen):
            code = self.sectors[k]
            sub = f"{code}.{product}"
            if sub in self.sector_at:
                narrowed[self.sector_at[sub]] = True
            elif k in named:
                self._fail(
                    measure,
                    "product",
                    None,
                    f"unknown product {product!r} for sector {code}: the world has no "
                    f"sector {sub} (a product is a sub-sector coded SECTOR.PRODUCT)",
                )
        if not narrowed.any():
            self._fail(
                measure,
                "product",
                None,
                f"unknown product {product!r}: none of the selected sectors has a "
                f"sub-sector SECTOR.{product}",
            )
        return narrowed

    def _fail(self, measure: Measure, key: str, item: int | None, message: str) -> NoReturn:
        raise ScenarioError(
            message,
            path=measure.file_in(self.scenario),
            line=measure.line_of(key, item),
            key=key,
        )


def _listed(codes: tuple[str, ...]) -> str:
    shown = ", ".join(codes[:_MAX_LISTED])
    return shown + (", ..." if len(codes) > _MAX_LISTED else "")
