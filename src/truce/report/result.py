"""The result of one scenario run: labelled tables plus where they came from."""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from truce.report.files import write_text


@dataclass(frozen=True)
class SolverStats:
    """How the equilibrium solve went."""

    converged: bool
    iterations: int
    residual: float
    seconds: float
    jacobians: int = 0


@dataclass(frozen=True)
class Result:
    """Results of a scenario on a world (docs/results.md), as pandas tables."""

    scenario: str
    world: str
    date: date | None
    model: str
    solver: SolverStats
    regions: pd.DataFrame
    trade: pd.DataFrame
    measures: pd.DataFrame
    sectors: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=pd.Index([], dtype=object))
    )
    """Region × sector rows (docs/results.md); empty for a model without sectors."""
    tariffs: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=pd.Index([], dtype=object))
    )
    """Trade-weighted average tariffs before and after, by importer and exporter
    (docs/results.md)."""
    base: dict[str, Any] = field(default_factory=dict)
    """What the changes are measured against (docs/results.md): ``kind`` (``world`` or
    ``scenario``), ``text`` (a sentence) and the details of either."""
    names: dict[str, dict[str, str]] = field(default_factory=dict)
    """Readable names of the codes: ``{"regions": {code: name}, "sectors": {...}}``."""
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The results JSON document as Python objects."""
        return {
            "scenario": self.scenario,
            "world": self.world,
            "date": self.date.isoformat() if self.date is not None else None,
            "model": self.model,
            "base": self.base,
            "names": self.names,
            "solver": {
                "converged": self.solver.converged,
                "iterations": self.solver.iterations,
                "residual": self.solver.residual,
                "seconds": self.solver.seconds,
                "jacobians": self.solver.jacobians,
            },
            "regions": _records(self.regions),
            "trade": _records(self.trade),
            "measures": _records(self.measures),
            "sectors": _records(self.sectors),
            "tariffs": _records(self.tariffs),
            **self.extra,
        }

    def to_json(self, path: str | os.PathLike[str]) -> Path:
        """Write the results JSON atomically: the file appears whole or not at all."""
        return write_json(Path(path), self.to_dict(), "the results JSON")


def write_json(target: Path, document: dict[str, Any], what: str) -> Path:
    """Write ``document`` as JSON at full float64 precision, atomically; an unwritable
    target is an :class:`~truce.errors.OutputError` naming ``what`` was being written."""
    return write_text(target, json.dumps(document, indent=1, allow_nan=False) + "\n", what)


def _plain(value: Any) -> Any:
    """Python scalars for JSON: floats at full precision, missing values as null."""
    if value is None:
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    columns = list(frame.columns)
    return [
        {col: _plain(val) for col, val in zip(columns, row, strict=True)}
        for row in frame.itertuples(index=False, name=None)
    ]
