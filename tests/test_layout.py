"""The code keeps the layout written in src/ioc/packs/README.md (issue 17).

* one list of packs: ``ioc.packs.PACKS`` is every folder under ``src/ioc/packs`` and every
  module of the import-linter contract that keeps the packs independent (pyproject.toml);
* a pack's ``__init__.py`` holds its manifest and nothing else: no routes, no tables, no
  public helpers (those go to ``public.py``), and the manifest is the only plug (a pack never
  registers a listener or a derive handler itself, and names its model module);
* no vague or standard-library module names in a pack; templates under ``templates/<pack>/``;
* sizes, for all of ``src/ioc`` outside the migrations: no file over 600 lines, no function
  over 80 lines (demo generators excepted: modules named ``demo*.py`` or under ``demo/``).

What still breaks a rule is listed in :data:`KNOWN_DEBT`, one explained entry per violation.
The list may only shrink: a new violation fails the test, and so does an entry that no
longer violates (delete it when you fix it).
"""

from __future__ import annotations

import ast
import importlib
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

from ioc.core.registry import PackManifest
from ioc.packs import PACKS

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "ioc"
PACKS_DIR = SRC / "packs"

MAX_FILE_LINES = 600
MAX_FUNCTION_LINES = 80

# Role names that say nothing about what a module computes (packs/README.md).
VAGUE_NAMES = frozenset({"views", "routes", "routers", "utils", "helpers", "misc"})

TEMPLATE_SUFFIXES = frozenset({".html", ".jinja", ".j2"})

# What a pack's ``__init__.py`` exports: ``manifest()``, which ``ioc.app.load_registry`` and
# ``ioc.models_all`` call (the README's ``MANIFEST``).
MANIFEST_NAMES = frozenset({"manifest"})

# The registrations the manifest does for a pack (``listeners``, ``derive_handlers``), which
# a pack must therefore never call itself: (module, name).
REGISTRATIONS = frozenset(
    {
        ("ioc.core.series", "on_observations_written"),
        ("ioc.engines.derive", "register_handler"),
        ("ioc.engines.derive.queue", "register_handler"),
    }
)

# Violations still to be fixed, one entry each as "<rule>:<where>". Measured at 20:50 UTC on
# 5 December 2026 (issue 17): none left, so the set is empty and every rule holds. The rules:
#   size:<file>                   a file over 600 lines
#   function:<file>:<qualname>    a function over 80 lines
#   name:<file>                   a vague or standard-library module name in a pack
#   init:<pack>:<what>            something other than the manifest in a pack's __init__.py
#   template:<file>               a template outside templates/<pack>/
#   plug:<file>:<what>            a pack plugging itself in outside its manifest
# Paths are relative to src/ioc. Add an entry only with a comment saying why it must wait.
KNOWN_DEBT: frozenset[str] = frozenset()


def _relative(path: Path) -> str:
    return path.relative_to(SRC).as_posix()


def _python_files() -> Iterator[Path]:
    """Every Python file of src/ioc but the migrations (generated, one per schema change)."""
    for path in sorted(SRC.rglob("*.py")):
        if "migrations" not in path.relative_to(SRC).parts:
            yield path


def _is_demo(path: Path) -> bool:
    """A demo generator's module: ``demo*.py`` or anything under a ``demo/`` folder."""
    return path.name.startswith("demo") or "demo" in path.relative_to(SRC).parts[:-1]


def _functions(tree: ast.AST, prefix: str = "") -> Iterator[tuple[str, ast.AST, int]]:
    """(qualified name, node, lines) of every function and method, nested ones included."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            name = f"{prefix}{node.name}"
            assert node.end_lineno is not None
            yield name, node, node.end_lineno - node.lineno + 1
            yield from _functions(node, f"{name}.")
        elif isinstance(node, ast.ClassDef):
            yield from _functions(node, f"{prefix}{node.name}.")
        else:
            yield from _functions(node, prefix)


def size_violations() -> set[str]:
    """Files over 600 lines and functions over 80 lines (outside demo modules)."""
    found: set[str] = set()
    for path in _python_files():
        text = path.read_text(encoding="utf-8")
        if len(text.splitlines()) > MAX_FILE_LINES:
            found.add(f"size:{_relative(path)}")
        if _is_demo(path):
            continue
        for name, _node, lines in _functions(ast.parse(text, filename=str(path))):
            if lines > MAX_FUNCTION_LINES:
                found.add(f"function:{_relative(path)}:{name}")
    return found


def _pack_dirs() -> list[str]:
    return sorted(p.parent.name for p in PACKS_DIR.glob("*/__init__.py"))


def name_violations() -> set[str]:
    """Modules (files or sub-packages) inside a pack with a vague or standard-library name.
    The pack folders themselves are named for the service (``ioc.packs.warnings`` is always
    imported by its full name) and are not checked."""
    forbidden = VAGUE_NAMES | set(sys.stdlib_module_names)
    found: set[str] = set()
    for pack in PACKS:
        for path in sorted((PACKS_DIR / pack).rglob("*")):
            if path.suffix == ".py" and path.stem != "__init__":
                stem = path.stem
            elif path.is_dir() and (path / "__init__.py").exists():
                stem = path.name
            else:
                continue
            if stem in forbidden:
                found.add(f"name:{_relative(path)}")
    return found


def template_violations() -> set[str]:
    """Templates of a pack outside its ``templates/<pack>/`` folder: any file under a
    ``templates`` folder of the pack, and any Jinja/HTML file wherever it is."""
    found: set[str] = set()
    for pack in PACKS:
        home = PACKS_DIR / pack / "templates" / pack
        for path in sorted((PACKS_DIR / pack).rglob("*")):
            if not path.is_file() or "__pycache__" in path.parts:
                continue
            in_templates = "templates" in path.relative_to(PACKS_DIR / pack).parts
            if (in_templates or path.suffix in TEMPLATE_SUFFIXES) and home not in path.parents:
                found.add(f"template:{_relative(path)}")
    return found


def _type_checking_imports(node: ast.stmt) -> bool:
    """``if TYPE_CHECKING:`` with imports only (types the manifest's hooks are annotated with)."""
    return (
        isinstance(node, ast.If)
        and isinstance(node.test, ast.Name)
        and node.test.id == "TYPE_CHECKING"
        and not node.orelse
        and all(isinstance(n, ast.Import | ast.ImportFrom) for n in node.body)
    )


def _is_constant(target: ast.expr) -> bool:
    return isinstance(target, ast.Name) and (target.id.isupper() or target.id == "__all__")


def init_violations(pack: str) -> set[str]:
    """What a pack's ``__init__.py`` holds besides its manifest: classes (tables, schemas),
    routers, public functions other than ``manifest`` (they belong in ``public.py``), exports
    other than the manifest, and statements other than imports, private functions (the
    manifest's lazy hooks) and constants (the manifest's data, such as NGSI mappings)."""
    path = PACKS_DIR / pack / "__init__.py"
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            continue
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue  # the docstring
        if _type_checking_imports(node):
            continue
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            if node.decorator_list:
                found.add(f"init:{pack}:decorated {node.name}")  # a route, a listener …
            elif not node.name.startswith("_") and node.name not in MANIFEST_NAMES:
                found.add(f"init:{pack}:public {node.name}")
            continue
        if isinstance(node, ast.ClassDef):
            found.add(f"init:{pack}:class {node.name}")
            continue
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if all(_is_constant(t) for t in targets):
                if any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets):
                    exported = set(ast.literal_eval(node.value)) if node.value else set()
                    for name in sorted(exported - MANIFEST_NAMES):
                        found.add(f"init:{pack}:exports {name}")
                continue
        found.add(f"init:{pack}:statement line {node.lineno}")
    defined = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
    if not MANIFEST_NAMES & defined:
        found.add(f"init:{pack}:no manifest()")
    return found


def plug_violations() -> set[str]:
    """A pack calling a registration its manifest does for it (observation listeners, derive
    handlers), wherever in the pack."""
    found: set[str] = set()
    for pack in PACKS:
        for path in sorted((PACKS_DIR / pack).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            for node in ast.walk(tree):
                if isinstance(node, ast.ImportFrom) and node.module:
                    for alias in node.names:
                        if (node.module, alias.name) in REGISTRATIONS:
                            found.add(f"plug:{_relative(path)}:{alias.name}")
    return found


def all_violations() -> set[str]:
    """Every layout violation of src/ioc today."""
    found = size_violations() | name_violations() | template_violations() | plug_violations()
    for pack in PACKS:
        found |= init_violations(pack)
    return found


def test_packs_list_is_every_pack_folder() -> None:
    assert len(set(PACKS)) == len(PACKS), "a pack is listed twice in ioc.packs.PACKS"
    assert sorted(PACKS) == _pack_dirs(), (
        "ioc.packs.PACKS and the folders under src/ioc/packs differ: add the new pack's name "
        "to PACKS (src/ioc/packs/__init__.py)"
    )


def test_import_linter_independence_contract_lists_every_pack() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = config["tool"]["importlinter"]["contracts"]
    independence = [c for c in contracts if c["type"] == "independence"]
    assert len(independence) == 1, "one independence contract for the packs"
    listed = independence[0]["modules"]
    assert len(set(listed)) == len(listed)
    assert sorted(listed) == sorted(f"ioc.packs.{name}" for name in PACKS), (
        "the packs of [tool.importlinter] 'Packs are independent of each other' and "
        "ioc.packs.PACKS differ"
    )


def test_every_manifest_is_named_for_its_folder_and_names_its_models() -> None:
    for pack in PACKS:
        module = importlib.import_module(f"ioc.packs.{pack}")
        manifest = module.manifest()
        assert isinstance(manifest, PackManifest)
        assert manifest.name == pack
        has_models = (PACKS_DIR / pack / "models.py").exists() or (
            PACKS_DIR / pack / "models" / "__init__.py"
        ).exists()
        expected = f"ioc.packs.{pack}.models" if has_models else None
        assert manifest.models == expected, (
            f"{pack}: the manifest's models must name its model module (ioc.models_all)"
        )


def test_layout_violations_are_only_the_known_debt() -> None:
    found = all_violations()
    new = sorted(found - KNOWN_DEBT)
    fixed = sorted(KNOWN_DEBT - found)
    assert not new, "layout rules broken (packs/README.md):\n" + "\n".join(new)
    assert not fixed, "fixed: delete these lines from KNOWN_DEBT:\n" + "\n".join(fixed)
