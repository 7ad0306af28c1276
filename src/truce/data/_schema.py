"""The tables of a world folder: their columns, keys and how problems are reported.

One :class:`TableSchema` per table of docs/worlds.md, plus five optional ones:
``final_demand``, ``distribution`` (local-distribution shares, see
:mod:`truce.data._checks`), ``theta_se`` (the standard errors of the sector
elasticities) and ``elasticities`` (each published source's elasticities for the
world's sectors; both in :mod:`truce.data.elasticities`), and ``tariff_layers`` (the
measures a builder added to the base tariffs, with the share of each sector they
cover and its basis), and ``critical_inputs`` (the sectors whose users cannot easily
substitute them, with the elasticity of substitution σ; :mod:`truce.model.technology`),
and ``households`` (each region's number of households and its source, for results per
household).
:class:`Problems` collects offending cells across checks and raises one
:class:`~truce.errors.WorldError` that lists at most :data:`MAX_LISTED` of them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from truce.errors import WorldError

MAX_LISTED = 10
"""How many offending cells an error message lists before "and N more"."""


@dataclass(frozen=True)
class TableSchema:
    """Columns of one table: ``keys`` identify a row, ``texts`` hold strings, ``numbers`` floats."""

    name: str
    keys: tuple[str, ...]
    texts: tuple[str, ...]
    numbers: tuple[str, ...]
    required: bool
    codes: tuple[tuple[str, str], ...] = ()
    """(column, "regions" | "sectors"): key columns whose values must be known codes."""

    @property
    def columns(self) -> tuple[str, ...]:
        """All columns, in their canonical order."""
        return self.texts + self.numbers


SCHEMAS: dict[str, TableSchema] = {
    s.name: s
    for s in (
        TableSchema("regions", ("region",), ("region", "name"), (), required=True),
        TableSchema("sectors", ("sector",), ("sector", "name"), ("theta",), required=True),
        TableSchema(
            "trade",
            ("exporter", "importer", "sector"),
            ("exporter", "importer", "sector"),
            ("value", "tariff"),
            required=True,
            codes=(("exporter", "regions"), ("importer", "regions"), ("sector", "sectors")),
        ),
        TableSchema(
            "value_added",
            ("region", "sector"),
            ("region", "sector"),
            ("value",),
            required=True,
            codes=(("region", "regions"), ("sector", "sectors")),
        ),
        TableSchema(
            "io",
            ("region", "input_sector", "output_sector"),
            ("region", "input_sector", "output_sector"),
            ("value",),
            required=False,
            codes=(
                ("region", "regions"),
                ("input_sector", "sectors"),
                ("output_sector", "sectors"),
            ),
        ),
        TableSchema(
            "final_demand",
            ("region", "sector"),
            ("region", "sector"),
            ("share",),
            required=False,
            codes=(("region", "regions"), ("sector", "sectors")),
        ),
        TableSchema(
            "distribution",
            ("region",),
            ("region",),
            ("share",),
            required=False,
            codes=(("region", "regions"),),
        ),
        TableSchema(
            "theta_se",
            ("sector", "estimate"),
            ("sector", "estimate"),
            ("se",),
            required=False,
            codes=(("sector", "sectors"),),
        ),
        TableSchema(
            "tariff_layers",
            ("exporter", "importer", "sector", "layer"),
            ("exporter", "importer", "sector", "layer", "name", "basis"),
            ("rate", "added", "share"),
            required=False,
            codes=(("exporter", "regions"), ("importer", "regions"), ("sector", "sectors")),
        ),
        TableSchema(
            "elasticities",
            ("source", "sector"),
            ("source", "sector"),
            ("theta",),
            required=False,
            codes=(("sector", "sectors"),),
        ),
        TableSchema(
            "critical_inputs",
            ("sector",),
            ("sector", "source"),
            ("sigma", "sigma_se"),
            required=False,
            codes=(("sector", "sectors"),),
        ),
        TableSchema(
            "households",
            ("region",),
            ("region", "source"),
            ("households",),
            required=False,
            codes=(("region", "regions"),),
        ),
    )
}
"""Every table a world folder may hold, in canonical order."""

TABLES: tuple[str, ...] = tuple(SCHEMAS)


def fmt_number(x: float) -> str:
    """A number as short as it can be while still telling cells apart."""
    return f"{x:.6g}"


def row_label(df: pd.DataFrame, i: int, keys: tuple[str, ...]) -> str:
    """``row (exporter=MEX, importer=USA, sector=A01)`` for the ``i``-th row of ``df``."""
    parts = []
    for k in keys:
        v = df[k].iat[i]
        parts.append(f"{k}={'<missing>' if _isna(v) else v}")
    return f"row ({', '.join(parts)})"


def _isna(v: object) -> bool:
    return v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA


class Problems:
    """Offending cells found so far; :meth:`raise_if_any` turns them into a WorldError."""

    def __init__(self, context: str = "") -> None:
        self.context = context
        self.lines: list[str] = []
        self.count = 0

    def add(self, label: str, message: str) -> None:
        """Record one problem in file ``label``."""
        self.count += 1
        if len(self.lines) < MAX_LISTED:
            self.lines.append(f"{label}: {message}")

    def add_rows(
        self, label: str, mask: np.ndarray | pd.Series, describe: Callable[[int], str]
    ) -> None:
        """Record one problem per row where ``mask`` holds; ``describe(i)`` words it."""
        rows = np.flatnonzero(np.asarray(mask, dtype=bool))
        room = max(MAX_LISTED - len(self.lines), 0)
        for i in rows[:room]:
            self.lines.append(f"{label}: {describe(int(i))}")
        self.count += len(rows)

    def raise_if_any(self) -> None:
        """Raise one WorldError listing the problems, if there are any."""
        if not self.count:
            return
        text = "\n".join(self.lines)
        if self.count > len(self.lines):
            text += f"\n... and {self.count - len(self.lines)} more"
        head = f"{self.context}: " if self.context else ""
        if self.count > 1:
            head += f"{self.count} problems:\n"
        raise WorldError(head + text)
