"""World folders (docs/worlds.md): read, check, write, and find the built-in ones.

A world folder holds ``world.toml`` and one file per table, ``NAME.parquet`` or
``NAME.csv`` with the same columns.  Reading checks everything (see
:mod:`truce.data._checks`) and raises :class:`~truce.errors.WorldError` naming the
file and the offending cells; writing checks first and then replaces the folder in one
rename, so a folder is never left half written.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import tomllib
import weakref
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from truce._types import MODEL_NAMES
from truce.config import builtin_folder
from truce.data._checks import validate_tables
from truce.data._schema import SCHEMAS, TABLES, Problems
from truce.errors import WorldError

_META_TYPES: dict[str, type] = {
    "name": str,
    "year": int,
    "currency": str,
    "description": str,
    "sources": list,
}
#: Keys world.toml may hold besides the required ones.
_OPTIONAL_META: dict[str, type] = {
    "model": str,
    "theta_source": str,
    "theta_se_source": str,
    "tariffs": str,
}
#: Models a world may name in ``model`` (the one its scenarios run on by default).
WORLD_MODELS: tuple[str, ...] = MODEL_NAMES


@dataclass(frozen=True, kw_only=True, eq=False)
class World:
    """A calibrated baseline economy in long tables (docs/worlds.md).

    Build one with :func:`read_world` / :func:`load_world`, or by hand and pass it
    through :func:`check_world`.  Tables follow the order of ``regions`` and ``sectors``;
    ``io`` and ``final_demand`` are optional (``None``).
    """

    name: str
    year: int
    currency: str
    description: str
    sources: tuple[str, ...]
    regions: pd.DataFrame
    """Columns ``region``, ``name``; the row order is the region axis of every array."""
    sectors: pd.DataFrame
    """Columns ``sector``, ``name``, ``theta``; the row order is the sector axis."""
    trade: pd.DataFrame
    """Columns ``exporter``, ``importer``, ``sector``, ``value``, ``tariff``."""
    value_added: pd.DataFrame
    """Columns ``region``, ``sector``, ``value``."""
    io: pd.DataFrame | None = None
    """Columns ``region``, ``input_sector``, ``output_sector``, ``value`` (tariffs included)."""
    final_demand: pd.DataFrame | None = None
    """Columns ``region``, ``sector``, ``share``: final-demand shares, when given."""
    distribution: pd.DataFrame | None = None
    """Columns ``region``, ``share``: the share ν of the value of goods a region buys
    that accrues to its own factors (local distribution), when given."""
    theta_se: pd.DataFrame | None = None
    """Columns ``sector``, ``estimate``, ``se``: how much of the standard error of
    ``estimate`` enters the sector's elasticity (see :mod:`truce.data.elasticities`),
    when given; a sector without rows has a fixed elasticity."""
    tariff_layers: pd.DataFrame | None = None
    """Columns ``exporter``, ``importer``, ``sector``, ``layer``, ``name``, ``basis``,
    ``rate``, ``added``, ``share``: the measures behind the base tariffs, when the
    builder added any (``added`` on ``share`` of the cell's imports), with the basis of
    each share; documentation, not an input of the model."""
    elasticities: pd.DataFrame | None = None
    """Columns ``source``, ``sector``, ``theta``: each published source's elasticity for
    every sector, when given, so that a run may choose among them (see
    :mod:`truce.data.elasticities`)."""
    critical_inputs: pd.DataFrame | None = None
    """Columns ``sector``, ``source``, ``sigma``, ``sigma_se``: the sectors that are
    critical inputs of every sector buying them, with the elasticity of substitution σ
    between them and the rest of a user's costs and its standard error for draws (one
    of each for all rows) and where they come from, when the world has any
    (:mod:`truce.model.technology`)."""
    households: pd.DataFrame | None = None
    """Columns ``region``, ``source``, ``households``: the number of households of a
    region and where it comes from, for the regions that have one (results per
    household; docs/worlds.md)."""
    model: str | None = None
    """The model the world is calibrated for (``world.toml`` key ``model``); ``None``
    means the default, ``caliendo-parro``."""
    theta_source: str | None = None
    """The source of ``sectors.theta`` (``world.toml`` key ``theta_source``), a source of
    the ``elasticities`` table when the world has one."""
    theta_se_source: str | None = None
    """The source whose standard errors the ``theta_se`` table holds (``world.toml`` key
    ``theta_se_source``); ``None`` means those of ``sectors.theta``.  Elasticity draws
    need the two to be the same source (see :func:`truce.data.elasticities.theta_spread`)."""
    tariffs: str | None = None
    """The tariffs the base carries, in words (``world.toml`` key ``tariffs``): what a
    result's changes are measured against, e.g. "in force on 20 January 2025"."""
    path: Path | None = None
    """The folder the world was read from, if any."""

    def table(self, name: str) -> pd.DataFrame | None:
        """The table called ``name`` (one of ``regions``, ``sectors``, ``trade``, ...)."""
        if name not in SCHEMAS:
            raise KeyError(name)
        return getattr(self, name)


#: Worlds that came out of :func:`check_world` or :func:`read_world`: checking them again
#: returns them as they are (a world's tables are not to be changed in place).
_CHECKED: weakref.WeakSet[World] = weakref.WeakSet()
#: :func:`content_hash` of the worlds hashed so far.
_HASHES: weakref.WeakKeyDictionary[World, str] = weakref.WeakKeyDictionary()


def check_world(world: World, *, labels: dict[str, str] | None = None) -> World:
    """Check every table and identity of ``world``; return it with normalised tables.

    A world this function (or :func:`read_world`) returned comes back unchanged at once.
    Raises :class:`~truce.errors.WorldError` naming the offending cells.
    """
    if world in _CHECKED:
        return world
    problems = Problems()
    meta: dict[str, object] = {k: getattr(world, k) for k in _META_TYPES}
    if isinstance(world.sources, tuple | list):
        meta["sources"] = list(world.sources)
    if world.model is not None:
        meta["model"] = world.model
    for key in ("theta_source", "theta_se_source", "tariffs"):
        if getattr(world, key) is not None:
            meta[key] = getattr(world, key)
    _check_meta(meta, "world", problems)
    problems.raise_if_any()
    tables = validate_tables({n: world.table(n) for n in TABLES}, labels or {})
    _check_sources(meta, tables, "world", problems)
    problems.raise_if_any()
    checked = World(
        name=world.name,
        year=world.year,
        currency=world.currency,
        description=world.description,
        sources=tuple(world.sources),
        model=world.model,
        theta_source=world.theta_source,
        theta_se_source=world.theta_se_source,
        tariffs=world.tariffs,
        path=world.path,
        **tables,  # type: ignore[arg-type]
    )
    _CHECKED.add(checked)
    return checked


def _check_meta(meta: dict[str, object], label: str, problems: Problems) -> None:
    for key, kind in _META_TYPES.items():
        if key not in meta:
            problems.add(label, f"missing key {key!r}")
            continue
        value = meta[key]
        if not isinstance(value, kind) or isinstance(value, bool):
            problems.add(label, f"key {key!r} must be {kind.__name__}, not {type(value).__name__}")
        elif isinstance(value, list) and not all(isinstance(v, str) for v in value):
            problems.add(label, f"key {key!r} must be a list of strings")
        elif key == "name" and not value:
            problems.add(label, "key 'name' must not be empty")
    for key in meta:
        if key not in _META_TYPES and key not in _OPTIONAL_META:
            problems.add(label, f"unknown key {key!r}")
    model = meta.get("model")
    if model is not None and model not in WORLD_MODELS:
        known = ", ".join(WORLD_MODELS)
        problems.add(label, f"key 'model': {model!r} is not a model (known: {known})")


def _check_sources(
    meta: dict[str, object], tables: dict[str, pd.DataFrame | None], label: str, problems: Problems
) -> None:
    """The elasticity sources world.toml names are sources of the ``elasticities`` table,
    ``sectors.theta`` is the row of ``theta_source``, and ``theta_se_source`` comes with a
    ``theta_se`` table."""
    table, sectors = tables.get("elasticities"), tables.get("sectors")
    known = set() if table is None else set(table["source"])
    for key in ("theta_source", "theta_se_source"):
        source = meta.get(key)
        if source is not None and table is not None and source not in known:
            problems.add(
                label, f"key {key!r}: {source!r} is not a source of the elasticities table"
            )
    if meta.get("theta_se_source") is not None and tables.get("theta_se") is None:
        problems.add(label, "key 'theta_se_source' names the source of a theta_se table it lacks")
    source = meta.get("theta_source")
    if source in known and sectors is not None and table is not None:
        row = table[table["source"] == source].set_index("sector")["theta"]
        own = sectors.set_index("sector")["theta"]
        off = (own - row.reindex(own.index)).abs() > 1e-12 * own.abs()
        for sector in own.index[off.to_numpy()]:
            problems.add(
                label,
                f"sector {sector}: theta {own[sector]:g} is not {source!r}'s "
                f"{row.get(sector, float('nan')):g} (key 'theta_source')",
            )


def read_world(folder: str | os.PathLike[str]) -> World:
    """Read and check the world folder ``folder``.

    Raises :class:`~truce.errors.WorldError` when the folder, ``world.toml`` or a table
    is missing or wrong, naming the file and the offending cells.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise WorldError(f"{folder}: no such world folder")
    toml_path = folder / "world.toml"
    if not toml_path.exists():
        raise WorldError(f"{toml_path}: missing (every world folder needs a world.toml)")
    unreadable = _not_a_file(toml_path, MAX_TOML_BYTES)
    if unreadable:
        raise WorldError(f"{toml_path}: {unreadable}")
    try:
        meta = tomllib.loads(toml_path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise WorldError(f"{toml_path}: not valid TOML: {err}") from None
    except OSError as err:
        raise WorldError(f"{toml_path}: cannot be read: {err.strerror}") from None
    problems = Problems()
    _check_meta(meta, str(toml_path), problems)
    problems.raise_if_any()

    tables: dict[str, pd.DataFrame | None] = {}
    labels: dict[str, str] = {}
    for name in TABLES:
        found = [folder / f"{name}.{ext}" for ext in ("parquet", "csv")]
        found = [p for p in found if p.exists()]
        if len(found) > 1:
            problems.add(str(folder), f"both {name}.parquet and {name}.csv exist; keep one")
        elif not found:
            if SCHEMAS[name].required:
                problems.add(
                    str(folder),
                    f"required table {name} is missing ({name}.parquet or {name}.csv)",
                )
            tables[name] = None
        else:
            labels[name] = str(found[0])
            tables[name] = _read_table(found[0], name, problems)
    for path in sorted(folder.iterdir()):
        if path.suffix in (".csv", ".parquet") and path.stem not in SCHEMAS:
            problems.add(str(path), f"unknown table (known: {', '.join(TABLES)})")
    problems.raise_if_any()
    checked = validate_tables(tables, labels)
    _check_sources(meta, checked, str(toml_path), problems)
    problems.raise_if_any()
    world = World(
        name=meta["name"],
        year=meta["year"],
        currency=meta["currency"],
        description=meta["description"],
        sources=tuple(meta["sources"]),
        model=meta.get("model"),
        theta_source=meta.get("theta_source"),
        theta_se_source=meta.get("theta_se_source"),
        tariffs=meta.get("tariffs"),
        path=folder,
        **checked,  # type: ignore[arg-type]
    )
    _CHECKED.add(world)
    return world


#: The largest world.toml truce reads (it holds a description and a list of sources).
MAX_TOML_BYTES = 1 << 20
#: The largest table file truce reads (the 81-economy world's trade table is ~10 MB).
MAX_TABLE_BYTES = 2 << 30


def _not_a_file(path: Path, limit: int) -> str | None:
    """Why ``path`` is not a regular file of at most ``limit`` bytes (None when it is):
    a folder, a device such as /dev/zero (read without end) or a file too large."""
    if path.is_dir():
        return "is a folder, not a file"
    if not path.is_file():
        return "is not a regular file"
    size = path.stat().st_size
    if size > limit:
        return f"is {size:,} bytes; truce reads files of at most {limit:,} bytes here"
    return None


def _read_table(path: Path, name: str, problems: Problems) -> pd.DataFrame | None:
    unreadable = _not_a_file(path, MAX_TABLE_BYTES)
    if unreadable:
        problems.add(str(path), unreadable)
        return None
    try:
        if path.suffix == ".parquet":
            return pq.read_table(path).to_pandas()
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, ValueError, pa.ArrowException) as err:
        problems.add(str(path), f"cannot be read: {err}")
        return None
    # CSV cells arrive as text: numbers are parsed here so that a bad cell is named.
    for c in SCHEMAS[name].numbers:
        if c not in df.columns:
            continue
        text = df[c].str.strip()
        parsed = pd.to_numeric(text, errors="coerce")
        bad = (parsed.isna() & (text != "") & (text.str.lower() != "nan")).to_numpy()
        keys = SCHEMAS[name].keys
        for i in np.flatnonzero(bad):
            where = ", ".join(f"{k}={df[k].iat[i]}" for k in keys if k in df.columns)
            problems.add(str(path), f"row ({where}): {c} {df[c].iat[i]!r} is not a number")
        df[c] = parsed.astype("float64")
    return df


def write_world(world: World, folder: str | os.PathLike[str]) -> None:
    """Check ``world`` and write it to ``folder`` as world.toml + zstd Parquet tables.

    The folder is built beside its destination and renamed into place; an existing
    world folder there is replaced.  Raises ``WorldError`` if the world fails its
    checks or ``folder`` exists and is not a world folder.
    """
    world = check_world(world)
    folder = Path(folder)
    foreign = folder.is_dir() and any(folder.iterdir()) and not (folder / "world.toml").exists()
    if folder.exists() and (not folder.is_dir() or foreign):
        raise WorldError(f"{folder}: exists and is not a world folder; not overwriting it")
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = folder.parent / f".{folder.name}.{secrets.token_hex(6)}.tmp"
    tmp.mkdir()  # unlike mkdtemp, keeps the umask's permissions for the final folder
    try:
        (tmp / "world.toml").write_text(_world_toml(world), encoding="utf-8")
        for name in TABLES:
            df = world.table(name)
            if df is not None:
                _write_parquet(df, tmp / f"{name}.parquet")
        old = None
        if folder.exists():
            old = folder.parent / f"{tmp.name}.old"
            folder.rename(old)
        tmp.rename(folder)
        if old is not None:
            shutil.rmtree(old)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _write_parquet(df: pd.DataFrame, path: Path) -> None:
    table = pa.Table.from_pandas(df, preserve_index=False).replace_schema_metadata(None)
    pq.write_table(table, path, compression="zstd", compression_level=9, use_dictionary=True)


def _toml_string(text: str) -> str:
    """A TOML basic string (multi-line when the text has line breaks)."""
    if "\n" not in text:
        return json.dumps(text, ensure_ascii=False)
    lines = (json.dumps(line, ensure_ascii=False)[1:-1] for line in text.split("\n"))
    return '"""\n' + "\n".join(lines) + '"""'


def _world_toml(world: World) -> str:
    sources = "".join(f"  {_toml_string(s)},\n" for s in world.sources)
    return (
        f"name = {_toml_string(world.name)}\n"
        f"year = {int(world.year)}\n"
        f"currency = {_toml_string(world.currency)}\n"
        f"description = {_toml_string(world.description)}\n"
        f"sources = [\n{sources}]\n"
        + (f"model = {_toml_string(world.model)}\n" if world.model is not None else "")
        + (
            f"theta_source = {_toml_string(world.theta_source)}\n"
            if world.theta_source is not None
            else ""
        )
        + (
            f"theta_se_source = {_toml_string(world.theta_se_source)}\n"
            if world.theta_se_source is not None
            else ""
        )
        + (f"tariffs = {_toml_string(world.tariffs)}\n" if world.tariffs is not None else "")
    )


def builtin_worlds() -> tuple[str, ...]:
    """Names of the worlds shipped with truce, sorted."""
    root = builtin_folder("worlds")
    if not root.is_dir():
        return ()
    names = (p.name for p in root.iterdir() if p.is_dir() and (p / "world.toml").is_file())
    return tuple(sorted(names))


def load_world(name_or_path: str | os.PathLike[str]) -> World:
    """Load a built-in world by name (see :func:`builtin_worlds`) or a world folder by path.

    A bare name that matches a built-in world wins over a folder of that name in the
    working directory; write ``./NAME`` to mean the folder.
    """
    if isinstance(name_or_path, str) and name_or_path in builtin_worlds():
        with resources.as_file(builtin_folder("worlds") / name_or_path) as path:
            return read_world(path)
    path = Path(name_or_path)
    bare = isinstance(name_or_path, str) and os.sep not in name_or_path and "/" not in name_or_path
    if bare and not path.exists():
        known = ", ".join(builtin_worlds()) or "none"
        raise WorldError(
            f"{name_or_path}: no built-in world of that name (built-in: {known}) and no such folder"
        )
    return read_world(path)


def content_hash(world: World) -> str:
    """SHA-256 (hex) of the world's canonical tables.

    Rows are sorted by their keys, numbers hashed as little-endian float64 and text as
    UTF-8, so the hash ignores row order, file format and the descriptive metadata
    (name, description, sources, path); absent optional tables hash differently from
    empty ones.
    """
    world = check_world(world)
    if world in _HASHES:
        return _HASHES[world]
    h = hashlib.sha256()
    for name in TABLES:
        schema, df = SCHEMAS[name], world.table(name)
        h.update(f"\x00table {name}\x00".encode())
        if df is None:
            h.update(b"absent")
            continue
        df = df.sort_values(list(schema.keys), kind="mergesort")
        for c in schema.texts:
            h.update(f"\x00{c}\x00".encode())
            h.update("\x1f".join(df[c].tolist()).encode("utf-8"))
        for c in schema.numbers:
            h.update(f"\x00{c}\x00".encode())
            h.update((df[c].to_numpy(dtype="<f8") + 0.0).tobytes())
    _HASHES[world] = h.hexdigest()
    return _HASHES[world]
