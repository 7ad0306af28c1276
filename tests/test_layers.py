"""The layering of STYLE.md ("Module responsibilities and allowed imports"), by parsing.

Every module under ``src/truce`` is parsed with :mod:`ast`; its imports (absolute,
``from truce.x import y``, ``from truce import x``, relative, and imports inside
functions) are resolved to module names and checked against :data:`ALLOWED`.  A module
that belongs to no layer fails the check, so a new package must be added to the table.

The first tests check the checker itself on small made-up modules, so that a broken
resolver cannot make the real check pass vacuously.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

import truce

SRC = Path(truce.__file__).resolve().parent

# Layer of each module: the first matching prefix wins (longest prefixes first).
LAYERS: tuple[tuple[str, str], ...] = (
    ("truce._types", "vocabulary"),
    ("truce.errors", "vocabulary"),
    ("truce.config", "vocabulary"),
    ("truce._lazy", "vocabulary"),
    ("truce.model", "model"),
    ("truce.data", "data"),
    ("truce.policy", "policy"),
    ("truce.timeline", "timeline"),
    ("truce.games", "games"),
    ("truce.report", "report"),
    # The use cases: orchestration over every layer below the front ends.
    ("truce.api", "api"),
    ("truce.cli", "cli"),
    ("truce.web", "web"),
)

VOCABULARY = ("truce._types", "truce.errors", "truce.config", "truce._lazy")
CORE = (*VOCABULARY, "truce.model", "truce.data", "truce.policy", "truce.timeline", "truce.games")

# The truce modules each layer may import (a prefix allows the module and everything
# under it).  Straight from STYLE.md, plus each layer's own package.
ALLOWED: dict[str, tuple[str, ...]] = {
    # shared vocabulary: nothing from truce
    "vocabulary": (),
    "model": ("truce._types", "truce.errors", "truce.model"),
    # constructors only from the model: model.baseline, nothing that solves
    "data": (*VOCABULARY, "truce.data", "truce.model.baseline"),
    "policy": (
        "truce._types",
        "truce.errors",
        "truce._lazy",
        "truce.model.baseline",
        "truce.policy",
    ),
    "timeline": ("truce._types", "truce.errors", "truce.model", "truce.policy", "truce.timeline"),
    "games": ("truce._types", "truce.errors", "truce.model", "truce.policy.spec", "truce.games"),
    "report": (
        "truce._types",
        "truce.errors",
        "truce.model",
        "truce.policy",
        "truce.timeline",
        "truce.games",
        "truce.report",
    ),
    # everything except the front ends
    "api": (*CORE, "truce.report", "truce.api"),
    "cli": (
        "truce.api",
        "truce.report",
        "truce.errors",
        "truce.config",
        "truce._lazy",
        "truce.cli",
        "truce.web",
    ),
    "web": ("truce.api", "truce.report", "truce.errors", "truce.config", "truce.web"),
    # the package root re-exports the public API; it must not pull in a front end
    "root": (*CORE, "truce.report", "truce.api"),
}

# Only these may import truce.report (STYLE.md: "Nothing imports report except
# api/cli/web"), besides the package root, which re-exports Result.
REPORT_IMPORTERS = ("truce.api", "truce.cli", "truce.web", "truce.report")

# Third-party and standard-library modules (top-level names) a layer must not import.
FILE_IO = ("pathlib", "os", "io", "shutil", "tempfile", "glob", "pickle", "json", "csv", "tomllib")
TABLES = ("pandas", "polars", "pyarrow")
PLOTTING = ("matplotlib", "plotly", "seaborn", "altair")
JAX = ("jax", "jaxlib", "equinox", "optimistix", "lineax")
FORBIDDEN: dict[str, tuple[str, ...]] = {
    # the economics: no tables, no file I/O, no printing streams, no UI
    "model": (*TABLES, *FILE_IO, *PLOTTING, "sys", "ruamel", "yaml", "rich", "typer"),
    # no jax transforms (model.baseline builds the pytrees), no plotting
    "data": (*JAX, *PLOTTING),
    # no solving
    "policy": ("optimistix", "lineax", *PLOTTING),
    # no numerics in the front ends
    "cli": (*JAX, "numpy", "scipy"),
    "web": (*JAX, "numpy", "scipy"),
}

# Modules that may call the builtin open(): the model never touches files, and the
# scenario language reads only the scenario text (policy.parse.read_scenario).
OPEN_FORBIDDEN = ("model", "policy")
OPEN_ALLOWED = ("truce.policy.parse",)

# The use-case package's modules from the bottom up: each may import only those before
# it (the package's __init__ re-exports them all).  A new module must be placed here.
API_ORDER: tuple[str, ...] = (
    "truce.api._cache",
    "truce.api.defaults",
    "truce.api.sources",
    "truce.api.store",
    "truce.api.worlds",
    "truce.api.scenarios",
    "truce.api.models",
    "truce.api.draws",
    "truce.api.feasibility",
    "truce.api.running",
    "truce.api.wars",
    "truce.api.frameworks",
    "truce.api.sweep_runner",
)


@dataclass(frozen=True)
class Import:
    line: int
    target: str  # a resolved module name ("truce.model.solve", "pandas.core")


def module_name(path: Path, root: Path = SRC) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def all_modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(SRC.rglob("*.py"))}


def layer_of(module: str) -> str | None:
    if module == "truce":
        return "root"
    for prefix, layer in LAYERS:
        if module == prefix or module.startswith(prefix + "."):
            return layer
    return None


def within(target: str, prefixes: tuple[str, ...]) -> bool:
    return any(target == p or target.startswith(p + ".") for p in prefixes)


def imports_of(module: str, source: str, *, is_package: bool, known: set[str]) -> list[Import]:
    """Every import in ``source``, resolved to module names.

    ``from P import name`` counts as importing ``P.name`` when that is a module in
    ``known`` (a submodule), else as importing ``P``.  Imports on first use count too:
    the modules named by a package's ``_PUBLIC`` table (name -> module) and ``_MODULES``
    (submodules), and by ``Lazy("module")`` (:mod:`truce._lazy`).
    """
    package = module if is_package else module.rpartition(".")[0]
    found: list[Import] = []
    for node in ast.walk(ast.parse(source)):
        found += _lazy_imports(node, package)
        if isinstance(node, ast.Import):
            found += [Import(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                parent = ".".join(base + ([node.module] if node.module else []))
            else:
                parent = node.module or ""
            if parent == "__future__":
                continue
            for alias in node.names:
                sub = f"{parent}.{alias.name}"
                found.append(Import(node.lineno, sub if sub in known else parent))
    return found


def _strings(node: ast.AST) -> list[ast.Constant]:
    return [n for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)]


def _lazy_imports(node: ast.AST, package: str) -> list[Import]:
    """The modules a lazy-export table or a ``Lazy(...)`` proxy will import."""
    if isinstance(node, ast.Assign) and len(node.targets) == 1:
        target = node.targets[0]
        if isinstance(target, ast.Name) and target.id == "_PUBLIC":
            assert isinstance(node.value, ast.Dict)
            return [Import(v.lineno, v.value) for v in node.value.values if v is not None
                    for v in _strings(v)]  # fmt: skip
        if isinstance(target, ast.Name) and target.id == "_MODULES":
            return [Import(s.lineno, f"{package}.{s.value}") for s in _strings(node.value)]
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "Lazy"
        and node.args
        and isinstance(node.args[0], ast.Constant)
    ):
        return [Import(node.lineno, str(node.args[0].value))]
    return []


def import_violations(module: str, source: str, *, is_package: bool, known: set[str]) -> list[str]:
    layer = layer_of(module)
    if layer is None:
        return [f"{module}: belongs to no layer; add it to LAYERS and ALLOWED in this test"]
    problems = []
    for imp in imports_of(module, source, is_package=is_package, known=known):
        where = f"{module}:{imp.line} imports {imp.target}"
        if imp.target == "truce" or imp.target.startswith("truce."):
            if imp.target == "truce" and module != "truce":
                problems.append(f"{where}: import the module you need, not the package root")
            elif not within(imp.target, ALLOWED[layer]) and imp.target != "truce":
                problems.append(f"{where}: the {layer} layer may import only {ALLOWED[layer]}")
        elif imp.target.split(".")[0] in FORBIDDEN.get(layer, ()):
            problems.append(f"{where}: the {layer} layer must not use {imp.target.split('.')[0]}")
    return problems


def call_violations(module: str, source: str) -> list[str]:
    """print() outside the CLI, open() where files are off limits, dynamic imports."""
    layer = layer_of(module)
    problems = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            func = node.func
            name = (
                func.id
                if isinstance(func, ast.Name)
                else func.attr
                if isinstance(func, ast.Attribute)
                else None
            )
            where = f"{module}:{node.lineno}"
            if isinstance(func, ast.Name) and name == "print" and layer != "cli":
                problems.append(
                    f"{where}: print() outside the command line (use logging or a callback)"
                )
            if (
                isinstance(func, ast.Name)
                and name == "open"
                and layer in OPEN_FORBIDDEN
                and module not in OPEN_ALLOWED
            ):
                problems.append(f"{where}: open() in the {layer} layer")
            if name in ("import_module", "__import__") and module != "truce._lazy":
                problems.append(f"{where}: dynamic import hides an edge from this check")
        if (
            isinstance(node, ast.Attribute)
            and node.attr in ("stdout", "stderr")
            and layer != "cli"
            and isinstance(node.value, ast.Name)
            and node.value.id == "sys"
        ):
            problems.append(f"{module}:{node.lineno}: sys.{node.attr} outside the command line")
    return problems


# --------------------------------------------------------------------------- the checker


KNOWN = {
    "truce",
    "truce.api",
    "truce.model",
    "truce.model.solve",
    "truce.model.baseline",
    "truce.policy",
}


def check(module: str, source: str, *, is_package: bool = False) -> list[str]:
    return import_violations(module, source, is_package=is_package, known=KNOWN) + call_violations(
        module, source
    )


@pytest.mark.parametrize(
    ("module", "source", "is_package", "expected"),
    [
        # relative import resolved against the module's package
        ("truce.policy.compile", "from ..model import solve\n", False, "imports truce.model.solve"),
        ("truce.policy", "from ..model.solve import solve\n", True, "imports truce.model.solve"),
        # `from truce import api` is the submodule truce.api
        ("truce.model.welfare", "from truce import api\n", False, "imports truce.api"),
        # a lazy import inside a function counts
        (
            "truce.data.world",
            "def f():\n    import truce.model.solve\n",
            False,
            "truce.data.world:2",
        ),
        ("truce.model.solve", "import pandas as pd\n", False, "must not use pandas"),
        ("truce.model.solve", "from pathlib import Path\n", False, "must not use pathlib"),
        ("truce.data.calibrate", "import jax.numpy as jnp\n", False, "must not use jax"),
        (
            "truce.cli.main",
            "from truce.model.solve import solve\n",
            False,
            "imports truce.model.solve",
        ),
        ("truce.cli.main", "import numpy\n", False, "must not use numpy"),
        ("truce.policy.spec", "from truce.report.tables import x\n", False, "imports truce.report"),
        ("truce.errors", "from truce._types import Code\n", False, "imports truce._types"),
        ("truce.api", "from truce.cli import main\n", False, "imports truce.cli"),
        ("truce.policy.spec", "from truce import Scenario\n", False, "not the package root"),
        ("truce.newthing", "x = 1\n", False, "belongs to no layer"),
        ("truce.model.solve", "print('x')\n", False, "print()"),
        (
            "truce.report.tables",
            "def f():\n    print('x')\n",
            False,
            "truce.report.tables:2: print()",
        ),
        ("truce.model.solve", "open('x')\n", False, "open()"),
        ("truce.data.world", "import sys\nsys.stderr.write('x')\n", False, "sys.stderr"),
        (
            "truce.api",
            "import importlib\nimportlib.import_module('truce.cli')\n",
            False,
            "dynamic import",
        ),
    ],
)
def test_checker_catches(module: str, source: str, is_package: bool, expected: str) -> None:
    problems = check(module, source, is_package=is_package)
    assert any(expected in p for p in problems), problems


@pytest.mark.parametrize(
    ("module", "source"),
    [
        (
            "truce.model.welfare",
            "from truce.model.baseline import Baseline\nfrom .solve import solve\n",
        ),
        (
            "truce.data.calibrate",
            "from truce.model.baseline import Baseline\nimport numpy, pandas\n",
        ),
        (
            "truce.policy.compile",
            "from truce.model.baseline import Shock\nimport jax.numpy as jnp\n",
        ),
        ("truce.cli.main", "from truce import api\nprint('ok')\n"),
        ("truce", "from truce.report.result import Result\n"),
        ("truce.policy.parse", "open('scenario.yaml')\n"),
    ],
)
def test_checker_allows(module: str, source: str) -> None:
    assert check(module, source) == []


def test_resolution_of_the_real_tree() -> None:
    # Spot checks that the resolver sees real edges: a test of the checker on the code.
    modules = all_modules()
    known = set(modules)
    assert {
        "truce",
        "truce.api",
        "truce.cli.main",
        "truce.model.solve",
        "truce.policy.parse",
    } <= known

    def targets(name: str) -> set[str]:
        path = modules[name]
        text = path.read_text(encoding="utf-8")
        return {
            i.target
            for i in imports_of(name, text, is_package=path.name == "__init__.py", known=known)
        }

    assert "truce.api" in targets("truce.cli.solve")  # via `from truce import api`
    assert "truce.model.baseline" in targets("truce.policy.compile")
    assert "truce.report.result" in targets("truce")


# --------------------------------------------------------------------------- the code


def test_every_module_follows_the_import_table() -> None:
    modules = all_modules()
    known = set(modules)
    problems = []
    for name, path in modules.items():
        text = path.read_text(encoding="utf-8")
        problems += import_violations(
            name, text, is_package=path.name == "__init__.py", known=known
        )
    assert problems == [], "\n".join(problems)


def test_only_front_ends_import_report() -> None:
    modules = all_modules()
    known = set(modules)
    importers = set()
    for name, path in modules.items():
        text = path.read_text(encoding="utf-8")
        for imp in imports_of(name, text, is_package=path.name == "__init__.py", known=known):
            if within(imp.target, ("truce.report",)):
                importers.add(name)
    outside = {m for m in importers if m != "truce" and not within(m, REPORT_IMPORTERS)}
    assert outside == set(), f"only api/cli/web and the package root may import report: {outside}"
    assert "truce.api.running" in importers  # the check sees the edge that must exist


def test_no_printing_or_file_access_where_forbidden() -> None:
    problems = []
    for name, path in all_modules().items():
        problems += call_violations(name, path.read_text(encoding="utf-8"))
    assert problems == [], "\n".join(problems)


def api_order_violations(
    module: str, source: str, *, is_package: bool, known: set[str]
) -> list[str]:
    """Imports of a later (or unlisted) module of the use-case package by an earlier one."""
    if module == "truce.api":
        return []
    if module not in API_ORDER:
        return [f"{module}: not in API_ORDER; place it among the use-case modules"]
    allowed = API_ORDER[: API_ORDER.index(module)]
    return [
        f"{module}:{imp.line} imports {imp.target}: a later module of truce.api"
        for imp in imports_of(module, source, is_package=is_package, known=known)
        if within(imp.target, ("truce.api",)) and not within(imp.target, allowed)
    ]


def test_api_order_checker() -> None:
    # Checks of the checker: an upward edge, the package root, an unlisted module.
    known = KNOWN | {"truce.api.running", "truce.api.draws"}
    up = "from truce.api.running import run\n"
    assert api_order_violations("truce.api.draws", up, is_package=False, known=known)
    down = "from truce.api.draws import band_draws\n"
    assert not api_order_violations("truce.api.running", down, is_package=False, known=known)
    root = "from truce import api\n"
    assert api_order_violations("truce.api.draws", root, is_package=False, known=known)
    assert api_order_violations("truce.api.newthing", "x = 1\n", is_package=False, known=known)


def test_api_modules_import_downwards() -> None:
    modules = all_modules()
    known = set(modules)
    problems = []
    for name, path in modules.items():
        if within(name, ("truce.api",)):
            text = path.read_text(encoding="utf-8")
            problems += api_order_violations(
                name, text, is_package=path.name == "__init__.py", known=known
            )
    assert problems == [], "\n".join(problems)
