"""Shared test settings: float64 and strict array semantics; no run store."""

import os
from pathlib import Path

# Tests never write to the user's run store: commands that keep runs keep none unless a
# test names a store (--store, or TRUCE_STORE in a child process's environment).  Set
# before truce is imported, since truce.config reads the environment once.
os.environ["TRUCE_STORE"] = "off"

import jax
import pytest

import truce  # noqa: F401  (asks for float64)

jax.config.update("jax_enable_x64", True)
jax.config.update("jax_numpy_rank_promotion", "raise")
jax.config.update("jax_numpy_dtype_promotion", "strict")


#: The tariffwar package's WIOD 2014 data set beside the checkout (skipped where absent).
WIOD2014 = Path(__file__).resolve().parents[2] / "shared" / "data" / "wiod2014_tariffwar"


@pytest.fixture(scope="module")
def wiod(tmp_path_factory) -> Path:
    """The WIOD 2014 world, built by ``truce world import wiod2014`` into a temporary
    folder."""
    from truce.api.worlds import import_world

    out = tmp_path_factory.mktemp("wiod") / "wiod2014"
    import_world("wiod2014", WIOD2014, out)
    return out


@pytest.fixture(autouse=True, scope="module")
def _free_compiled_code():
    """Drop JAX's compiled executables after each test module.  XLA maps about 500
    memory regions per compiled solver, and a process may hold 65,530 (Linux's
    vm.max_map_count): one process compiling every module's solvers would run out
    and abort inside the compiler."""
    yield
    jax.clear_caches()
