"""Settings read once from the environment (``TRUCE_*``).

``TRUCE_CACHE_DIR``: where compiled solvers are kept between runs of the command line
(default: the user's cache folder, ``~/.cache/truce``); ``TRUCE_NO_CACHE=1`` turns the
cache off.

``TRUCE_STORE``: the run store's database file (default: ``runs.duckdb`` in the user's
data folder, chosen by :mod:`truce.api.store`); ``TRUCE_STORE=off`` keeps no runs.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Literal


@dataclass(frozen=True)
class Settings:
    """Process-wide settings."""

    cache_dir: Path | None
    store: Path | None = None
    """``TRUCE_STORE``: the run store's file; ``None`` means the default location."""
    store_off: bool = False
    """``TRUCE_STORE=off``: keep no runs."""


def _read_settings() -> Settings:
    raw_store = os.environ.get("TRUCE_STORE", "").strip()
    store_off = raw_store.lower() == "off"
    store = Path(raw_store).expanduser() if raw_store and not store_off else None
    if os.environ.get("TRUCE_NO_CACHE", "") not in ("", "0"):
        return Settings(cache_dir=None, store=store, store_off=store_off)
    default = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "truce"
    return Settings(
        cache_dir=Path(os.environ.get("TRUCE_CACHE_DIR", default)),
        store=store,
        store_off=store_off,
    )


SETTINGS = _read_settings()

#: The kinds of built-in data the package ships, each a folder of ``truce/builtin``.
BuiltinKind = Literal["scenarios", "worlds", "frameworks", "sweep_specs", "sources"]


def builtin_folder(kind: BuiltinKind) -> Traversable:
    """The package folder holding the built-in data of ``kind`` (data only, no code)."""
    return resources.files("truce") / "builtin" / kind


def enable_compilation_cache(settings: Settings = SETTINGS) -> None:
    """Keep compiled solvers on disk so a second run skips JAX compilation.  Imports
    nothing: before JAX is imported the settings go to the environment JAX reads them
    from, so a command that solves nothing never loads it."""
    if settings.cache_dir is None:
        return
    try:
        settings.cache_dir.mkdir(parents=True, exist_ok=True)
    except OSError:
        return  # an unwritable cache folder only costs speed
    options = {
        "jax_compilation_cache_dir": str(settings.cache_dir / "jax"),
        # Every program, however quick to compile: a run compiles dozens of small ones.
        "jax_persistent_cache_min_compile_time_secs": 0.0,
    }
    jax = sys.modules.get("jax")
    for name, value in options.items():
        if jax is not None:
            jax.config.update(name, value)
        else:
            os.environ[name.upper()] = str(value)
