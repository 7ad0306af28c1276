"""Checks that a world's tables are well formed and satisfy the accounting identities.

:func:`validate_tables` runs in three stages, each raising before the next one starts, so
that later checks can rely on clean data:

1. structure: every column present, no extra column, text columns hold strings and
   number columns numbers;
2. cells: no missing value, no duplicate key, every code known, no negative value,
   tariff or share, ``theta`` > 0 and finite, no tariff on a domestic row;
3. identities: gross output = value added + intermediate purchases, non-negative final
   demand, and final-demand shares that sum to one.  A world with a ``distribution``
   table (local-distribution shares ν, as in the ``ilms2025`` model) earns
   Σ_j (1 − ν_j) X_ij + ν_i Σ_j X_ji instead of its gross output.

Identities hold when a cell is off by at most :data:`REL_TOL` of its gross output (or
absorption), plus a floor of :data:`FLOOR_REL` of world gross output for empty cells.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd

from truce.data._schema import SCHEMAS, TABLES, Problems, TableSchema, fmt_number, row_label

REL_TOL = 1e-3
"""Identities may be off by 0.1% of the cell's gross output or absorption."""
FLOOR_REL = 1e-12
"""Absolute floor for (near-)empty cells, as a fraction of world gross output."""
SHARE_TOL = 1e-9
"""Each region's final-demand shares must sum to one within this."""

Tables = Mapping[str, pd.DataFrame | None]


def validate_tables(tables: Tables, labels: Mapping[str, str]) -> dict[str, pd.DataFrame | None]:
    """Check the tables of a world and return them normalised.

    ``labels`` names each table in messages (e.g. its file name).  The returned tables
    have exactly the schema's columns in canonical order, strings for text and
    ``float64`` for numbers, and a fresh ``RangeIndex``.  Raises ``WorldError``.
    """
    problems = Problems()
    for name in TABLES:
        df = tables.get(name)
        if df is None and SCHEMAS[name].required:
            problems.add(labels.get(name, name), "required table is missing")
        elif df is not None:
            _check_structure(df, SCHEMAS[name], labels.get(name, name), problems)
    problems.raise_if_any()

    out = {name: _normalise(tables.get(name), SCHEMAS[name]) for name in TABLES}
    _check_cells(out, labels, problems)
    problems.raise_if_any()
    _check_identities(out, labels, problems)
    problems.raise_if_any()
    return out


def _is_text(col: pd.Series) -> bool:
    if pd.api.types.is_string_dtype(col.dtype) and col.dtype != object:
        return True
    if col.dtype != object:
        return False
    return all(isinstance(v, str) for v in col.dropna())


def _is_number(col: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(col.dtype) and not pd.api.types.is_bool_dtype(col.dtype)


def _check_structure(df: pd.DataFrame, schema: TableSchema, label: str, problems: Problems) -> None:
    if not isinstance(df, pd.DataFrame):
        problems.add(label, f"expected a pandas DataFrame, got {type(df).__name__}")
        return
    have = [str(c) for c in df.columns]
    missing = [c for c in schema.columns if c not in have]
    extra = [c for c in have if c not in schema.columns]
    if missing:
        problems.add(label, f"missing column(s) {', '.join(missing)}")
    if extra:
        problems.add(label, f"unexpected column(s) {', '.join(extra)}")
    if len(set(have)) != len(have):
        problems.add(label, "a column name appears more than once")
    if missing or extra or len(set(have)) != len(have):
        return
    for c in schema.texts:
        if not _is_text(df[c]):
            problems.add(label, f"column {c} must hold text, not {df[c].dtype}")
    for c in schema.numbers:
        if not _is_number(df[c]):
            problems.add(label, f"column {c} must hold numbers, not {df[c].dtype}")


def _normalise(df: pd.DataFrame | None, schema: TableSchema) -> pd.DataFrame | None:
    if df is None:
        return None
    data: dict[str, pd.Series] = {}
    for c in schema.texts:
        data[c] = df[c].reset_index(drop=True).astype("str")
    for c in schema.numbers:
        data[c] = df[c].reset_index(drop=True).astype("float64")
    return pd.DataFrame(data, columns=list(schema.columns))


#: The range a trade elasticity must lie in: beyond it, a number is an error, not data.
MIN_THETA = 0.01
MAX_THETA = 1000.0
#: The largest base tariff a world may hold (a fraction: 100 is 10,000%).
MAX_BASE_TARIFF = 100.0


def _check_cells(
    tables: Mapping[str, pd.DataFrame | None], labels: Mapping[str, str], p: Problems
) -> None:
    known: dict[str, set[str]] = {}
    for name in TABLES:
        df, schema = tables[name], SCHEMAS[name]
        if df is not None:
            _check_table_cells(df, schema, labels.get(name, name), known, p)
            if name in ("regions", "sectors"):
                known[name] = set(df[schema.keys[0]].dropna())


def _check_table_cells(
    df: pd.DataFrame, schema: TableSchema, label: str, known: Mapping[str, set[str]], p: Problems
) -> None:
    def flag(mask: np.ndarray, what: Callable[[int], str]) -> None:
        p.add_rows(label, mask, lambda i: f"{row_label(df, i, schema.keys)}: {what(i)}")

    if schema.name in ("regions", "sectors") and len(df) == 0:
        p.add(label, "the table has no rows")
    for c in schema.columns:
        flag(df[c].isna().to_numpy(), lambda i, c=c: f"{c} is missing")
    for c in schema.texts:
        flag((df[c] == "").to_numpy(dtype=bool), lambda i, c=c: f"{c} is empty")
    flag(df.duplicated(list(schema.keys)).to_numpy(), lambda i: "key appears more than once")
    for c, kind in schema.codes:
        unknown = ~(df[c].isin(known.get(kind, set())) | df[c].isna()).to_numpy()
        flag(unknown, lambda i, c=c, kind=kind: f"{c} {df[c].iat[i]!r} is not in {kind}")
    for c in schema.numbers:
        x = df[c].to_numpy()
        flag(np.isinf(x), lambda i, c=c, x=x: f"{c} {x[i]} is not finite")
        if c == "theta":
            flag(x <= 0, lambda i, x=x: f"theta {fmt_number(x[i])} must be > 0")
            flag(
                (x > 0) & ((x < MIN_THETA) | (x > MAX_THETA)),
                lambda i, x=x: (
                    f"theta {fmt_number(x[i])} is outside [{MIN_THETA:g}, "
                    f"{MAX_THETA:g}]: no trade elasticity comes near (published ones run from "
                    "about 0.6 to 65)"
                ),
            )
        else:
            flag(x < 0, lambda i, c=c, x=x: f"{c} {fmt_number(x[i])} is negative")
        if c == "tariff":
            flag(
                x > MAX_BASE_TARIFF,
                lambda i, x=x: (
                    f"tariff {fmt_number(x[i])} is above {MAX_BASE_TARIFF:g} "
                    f"({100 * MAX_BASE_TARIFF:,.0f}%): a tariff is a fraction (0.25 for 25%)"
                ),
            )
    if schema.name == "households":
        count = df["households"].to_numpy()
        flag(count == 0, lambda i: "households must be > 0")
    if schema.name == "distribution":
        share = df["share"].to_numpy()
        flag(share >= 1, lambda i: f"share {fmt_number(share[i])} must be below 1")
    if schema.name == "elasticities":
        # Every source gives every sector its elasticity: a source is a whole choice.
        sectors = known.get("sectors", set())
        for source, rows in df.groupby("source", sort=False):
            missing = sorted(sectors - set(rows["sector"]))
            if missing:
                p.add(label, f"source {source!r} has no theta for {', '.join(missing)}")
    if schema.name == "critical_inputs":
        # One CES nest holds every critical input (docs/models/caliendo-parro.md).
        for column in ("sigma", "sigma_se"):
            if df[column].nunique() > 1:
                values = ", ".join(fmt_number(x) for x in sorted(df[column].unique()))
                p.add(label, f"{column} must be the same in every row (one nest), not {values}")
    if schema.name == "trade":
        tariff = df["tariff"].to_numpy()
        domestic = (df["exporter"] == df["importer"]).to_numpy(dtype=bool) & (tariff != 0)
        flag(
            domestic & ~np.isnan(tariff),
            lambda i: f"tariff {fmt_number(tariff[i])} on a domestic row must be 0",
        )


def _cell_sum(
    df: pd.DataFrame | None, keys: list[str], value: pd.Series | None, index: pd.MultiIndex
) -> np.ndarray:
    """Sum ``value`` (default: the ``value`` column) over rows grouped by ``keys``, on ``index``."""
    if df is None or len(df) == 0:
        return np.zeros(len(index))
    v = df["value"] if value is None else value
    summed = v.groupby([df[k] for k in keys]).sum()
    summed.index.names = index.names
    return summed.reindex(index, fill_value=0.0).to_numpy(dtype=np.float64)


def earned_with_distribution(
    trade: pd.DataFrame, dist: pd.DataFrame, cells: pd.MultiIndex
) -> np.ndarray:
    """What each region-sector's factors earn when buyers distribute locally: the
    exporter keeps (1 − ν_importer) of each sale and the importer's factors earn the
    margin ν_importer on it (ν from ``dist``, 0 for regions it omits)."""
    nu = dist.set_index("region")["share"]
    margin = trade["importer"].map(nu).fillna(0.0).astype("float64") * trade["value"]
    kept = _cell_sum(trade, ["exporter", "sector"], trade["value"] - margin, cells)
    return kept + _cell_sum(trade, ["importer", "sector"], margin, cells)


def _check_identities(
    tables: Mapping[str, pd.DataFrame | None], labels: Mapping[str, str], p: Problems
) -> None:
    regions, sectors = tables["regions"], tables["sectors"]
    trade, va, io = tables["trade"], tables["value_added"], tables["io"]
    assert regions is not None and sectors is not None and trade is not None and va is not None
    cells = pd.MultiIndex.from_product(
        [regions["region"], sectors["sector"]], names=["region", "sector"]
    )
    gross = _cell_sum(trade, ["exporter", "sector"], None, cells)
    earned, earned_what, earned_name = gross, "gross output {} (trade)", "gross output"
    dist = tables["distribution"]
    if dist is not None:
        earned = earned_with_distribution(trade, dist, cells)
        earned_what = "sales {} net of distribution"
        earned_name = "net sales"
    added = _cell_sum(va, ["region", "sector"], None, cells)
    bought = _cell_sum(io, ["region", "output_sector"], None, cells)
    paid = trade["value"] * (1.0 + trade["tariff"])
    absorb = _cell_sum(trade, ["importer", "sector"], paid, cells)
    used = _cell_sum(io, ["region", "input_sector"], None, cells)
    floor = FLOOR_REL * float(gross.sum())
    r = cells.get_level_values(0)
    s = cells.get_level_values(1)

    off = earned - added - bought
    bad = np.abs(off) > REL_TOL * earned + floor
    src = (
        "value added + intermediate purchases (io)"
        if io is not None
        else "value added (no io table)"
    )
    p.add_rows(
        labels.get("value_added", "value_added"),
        bad,
        lambda i: (
            f"row (region={r[i]}, sector={s[i]}): {earned_what.format(fmt_number(earned[i]))} "
            f"differs from {src} {fmt_number(added[i] + bought[i])} by {fmt_number(off[i])}"
            + (f" ({abs(off[i]) / earned[i]:.3%} of {earned_name})" if earned[i] > 0 else "")
        ),
    )

    final = absorb - used
    neg = final < -(REL_TOL * absorb + floor)
    p.add_rows(
        labels.get("io", "io"),
        neg,
        lambda i: (
            f"row (region={r[i]}, input_sector={s[i]}): intermediate use {fmt_number(used[i])} "
            f"exceeds absorption {fmt_number(absorb[i])} (trade incl. tariffs): "
            f"final demand {fmt_number(final[i])} is negative"
        ),
    )

    n_s = len(sectors)
    fd = tables["final_demand"]
    if fd is None:
        total = np.clip(final, 0.0, None).reshape(-1, n_s).sum(axis=1)
        names = regions["region"].to_numpy()
        p.add_rows(
            labels.get("trade", "trade"),
            total <= 0,
            lambda i: (
                f"region {names[i]}: no final demand (absorption minus intermediate use is 0)"
            ),
        )
    else:
        sums = fd.groupby("region")["share"].sum().reindex(regions["region"], fill_value=0.0)
        off_sum = np.abs(sums.to_numpy() - 1.0) > SHARE_TOL
        p.add_rows(
            labels.get("final_demand", "final_demand"),
            off_sum,
            lambda i: f"region {sums.index[i]}: shares sum to {float(sums.iat[i])!r}, not 1",
        )
