"""Package boundaries (issue 11), read from the source with ``ast``:

- no package imports, or reaches through an imported name, another package's private
  (``_underscore``) names;
- the foundations (``db``, ``auth``, ``pagekit``) import no capability, and the registry nothing
  built on it (the auth <-> registry cycle is gone); the cycles of the import graph are listed
  (none: the ``acyclic`` contract of ``.importlinter`` keeps it so);
- every package declares its public names (``__all__`` in ``__init__.py``).

``python tests/unit/test_boundaries.py`` prints every violation (a listing for review); the
tests fail on any. What import-linter can check (stores, models, cycles) is in the contracts of
``.importlinter`` (tests/unit/test_contracts.py)."""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"
ROOT = SRC / "spmis"
PACKAGES = sorted(p.name for p in ROOT.iterdir() if p.is_dir() and any(p.glob("*.py")))


@dataclass(frozen=True)
class Import:
    module: str  #: the importing module, e.g. spmis.linkage.review
    target: str  #: the imported module, e.g. spmis.registry.service
    name: str | None  #: the imported name (None for ``import x``)
    line: int


def _module_name(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _package(module: str) -> str | None:
    """The first-level package of ``spmis.<package>...`` (None for top-level modules)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 2 or (len(parts) == 2 and parts[1] in PACKAGES) else None


Source = tuple[str, Path, ast.Module]


def _sources() -> Iterator[Source]:
    for path in sorted(ROOT.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        yield _module_name(path), path, ast.parse(path.read_text("utf-8"), str(path))


def _imports(module: str, tree: ast.Module) -> Iterator[Import]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("spmis."):
                    yield Import(module, alias.name, None, node.lineno)
        elif (isinstance(node, ast.ImportFrom) and node.module and node.level == 0
              and node.module.startswith("spmis")):
            for alias in node.names:
                yield Import(module, node.module, alias.name, node.lineno)


def _cross_package(imp: Import) -> bool:
    mine, theirs = _package(imp.module), _package(imp.target)
    if theirs is None and imp.name is not None and imp.target == "spmis":
        theirs = imp.name if imp.name in PACKAGES else None
    return mine is not None and theirs is not None and mine != theirs


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def private_imports(sources: Iterable[Source] | None = None) -> list[str]:
    """Imports of another package's private names or modules, and attribute reaches
    (``Imported(...)._name``) into them."""
    out = []
    for module, _path, tree in sources or _sources():
        foreign: set[str] = set()
        for imp in _imports(module, tree):
            if not _cross_package(imp):
                continue
            parts = imp.target.split(".") + ([imp.name] if imp.name else [])
            if any(_private(p) for p in parts):
                out.append(f"{module}:{imp.line} imports {imp.target}"
                           f"{'.' + imp.name if imp.name else ''}")
            if imp.name:
                foreign.add(imp.name)
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and _private(node.attr):
                root: ast.AST = node.value
                while isinstance(root, ast.Attribute | ast.Call):
                    root = root.value if isinstance(root, ast.Attribute) else root.func
                if isinstance(root, ast.Name) and root.id in foreign:
                    out.append(f"{module}:{node.lineno} reaches {root.id}...{node.attr}")
    return out


def _node(module: str) -> str:
    """A package, or a top-level module (``spmis.context``): the nodes of the import graph."""
    return _package(module) or module.removeprefix("spmis.")


def package_cycles() -> list[list[str]]:
    """Cycles in the graph of static imports between packages and top-level modules
    (function-level imports included)."""
    graph: dict[str, set[str]] = {}
    for module, _path, tree in _sources():
        if module == "spmis":
            continue
        mine = _node(module)
        graph.setdefault(mine, set())
        for imp in _imports(module, tree):
            target = imp.target
            if target == "spmis" and imp.name:
                target = f"spmis.{imp.name}"
            theirs = _node(target)
            if theirs != mine and target != "spmis":
                graph[mine].add(theirs)
                graph.setdefault(theirs, set())
    cycles: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        for nxt in sorted(graph[node]):
            if nxt in path:
                cycle = path[path.index(nxt):]
                if min(cycle) == cycle[0] and cycle not in cycles:
                    cycles.append(cycle)
            elif len(path) < len(graph):
                visit(nxt, [*path, nxt])

    for start in sorted(graph):
        visit(start, [start])
    return cycles


def _public(package: str) -> list[str] | None:
    """The names in ``spmis.<package>.__all__`` (None without an ``__init__.py`` or ``__all__``)."""
    init = ROOT / package / "__init__.py"
    if not init.exists():
        return None
    for node in ast.parse(init.read_text("utf-8")).body:
        if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
            return [str(v) for v in ast.literal_eval(node.value)]
    return None


def non_public_imports() -> list[str]:
    """Imports from another package of a module (or name) its ``__all__`` does not list."""
    out = []
    for module, _path, tree in _sources():
        for imp in _imports(module, tree):
            if not _cross_package(imp):
                continue
            parts = imp.target.split(".")
            package = parts[1] if len(parts) > 1 else str(imp.name)
            first = parts[2] if len(parts) > 2 else imp.name
            public = _public(package)
            if public is not None and first is not None and first not in public:
                out.append(f"{module}:{imp.line} imports spmis.{package}.{first}")
    return sorted(set(out))


def packages_without_all() -> list[str]:
    out = []
    for package in PACKAGES:
        init = ROOT / package / "__init__.py"
        if not init.exists():
            out.append(package)
            continue
        tree = ast.parse(init.read_text("utf-8"))
        names = {t.id for node in tree.body if isinstance(node, ast.Assign | ast.AnnAssign)
                 for t in (node.targets if isinstance(node, ast.Assign) else [node.target])
                 if isinstance(t, ast.Name)}
        if "__all__" not in names:
            out.append(package)
    return out


def test_no_package_imports_another_packages_private_names() -> None:
    assert private_imports() == []


#: what each foundation package may import among the packages: nothing above it. Shared
#: mechanisms (history, scope, access log, approvals) live in them, and capabilities plug into
#: them (manifests, registered kinds), never the other way round.
FOUNDATIONS = {"db": set(), "auth": {"db"}, "pagekit": {"auth", "db"}}
#: packages built on the registry, which it must not import
ABOVE_REGISTRY = {"interop", "linkage", "rules", "web"}


def package_imports() -> dict[str, set[str]]:
    """For each package, the other packages it imports (statically, at any depth in a module)."""
    out: dict[str, set[str]] = {p: set() for p in PACKAGES}
    for module, _path, tree in _sources():
        for imp in _imports(module, tree):
            if _cross_package(imp):
                mine = _package(imp.module)
                theirs = _package(imp.target) or imp.name
                assert mine is not None and theirs is not None
                out[mine].add(theirs)
    return out


def test_foundations_import_no_capability() -> None:
    graph = package_imports()
    assert {p: graph[p] - allowed for p, allowed in FOUNDATIONS.items()} == {
        p: set() for p in FOUNDATIONS}


def test_the_registry_imports_nothing_built_on_it() -> None:
    assert package_imports()["registry"] & ABOVE_REGISTRY == set()


def test_every_package_declares_its_public_names() -> None:
    assert packages_without_all() == []


def test_packages_import_only_each_others_public_modules() -> None:
    assert non_public_imports() == []


def test_the_checks_see_violations() -> None:
    """The listings are not blind: a module written against the rules is reported."""
    bad = ast.parse("from spmis.registry.service_base import _csv_list\n"
                    "from spmis.registry.store import person\n"
                    "from spmis.registry import store\n"
                    "from spmis.registry.service import RegistryService\n"
                    "RegistryService(ctx)._masked_identifiers(conn, [])\n")
    sources = [("spmis.linkage.example", Path("example.py"), bad)]
    assert private_imports(sources) == [
        "spmis.linkage.example:1 imports spmis.registry.service_base._csv_list",
        "spmis.linkage.example:5 reaches RegistryService..._masked_identifiers"]
    own = [("spmis.registry.example", Path("example.py"), bad)]
    assert private_imports(own) == []


if __name__ == "__main__":
    for title, found in (("private names", private_imports()),
                         ("cycles (the acyclic contract)", package_cycles()),
                         ("no __all__", packages_without_all()),
                         ("not in __all__", non_public_imports())):
        print(f"# {title}: {len(found)}")
        for item in found:
            print(f"  {item}")
    sys.exit(0)
