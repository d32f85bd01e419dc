"""The architecture contracts in ``.importlinter`` (run by ``make test`` as ``lint-imports``):
their lists stay complete as packages are added, and a deliberate bad import breaks each of them
(import-linter is run on a copy of the sources with the bad imports added). And the dead-code
check (``vulture``, also in ``make test``): the sources pass it, and a planted unused function
fails it."""

from __future__ import annotations

import configparser
import os
import re
import shutil
import subprocess
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "spmis"
CONFIG = ROOT / ".importlinter"
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
STDLIB = sys.stdlib_module_names


def contracts() -> dict[str, configparser.SectionProxy]:
    """Each contract's section of ``.importlinter``, by contract id."""
    parser = configparser.ConfigParser()
    parser.read(CONFIG, encoding="utf-8")
    prefix = "importlinter:contract:"
    return {s.removeprefix(prefix): parser[s] for s in parser.sections() if s.startswith(prefix)}


def listed(section: configparser.SectionProxy, key: str) -> list[str]:
    return section.get(key, "").split()


def lint(src_root: Path) -> tuple[dict[str, str], str]:
    """Run ``lint-imports`` on the ``spmis`` package found in ``src_root``: each contract's
    name -> ``KEPT`` or ``BROKEN``, and the report."""
    env = {**os.environ, "PYTHONPATH": str(src_root)}
    done = subprocess.run(
        [str(LINT_IMPORTS), "--config", str(CONFIG), "--no-cache"],
        cwd=src_root, env=env, capture_output=True, text=True, timeout=120, check=False)
    names = {c["name"] for c in contracts().values()}
    out = {}
    for line in done.stdout.splitlines():
        name, _, verdict = line.rpartition(" ")
        if name in names and verdict in ("KEPT", "BROKEN"):
            out[name] = verdict
    assert set(out) == names, done.stdout + done.stderr
    assert done.returncode == (1 if "BROKEN" in out.values() else 0), done.stdout + done.stderr
    return out, done.stdout


def test_every_store_has_its_contract() -> None:
    """A package's tables (``store.py``) may be imported only from inside the package: a new
    capability's store gets its ``protected`` contract too."""
    protected = {
        tuple(listed(c, "protected_modules")): listed(c, "allowed_importers")
        for c in contracts().values() if c["type"] == "protected"}
    for store in sorted(SRC.glob("*/store.py")):
        package = f"spmis.{store.parent.name}"
        assert protected.get((f"{package}.store",)) == [package], f"{package}.store"


#: the modules that may import only the standard library and each other
PURE = {"spmis.errors", "spmis.names"}


def test_models_are_forbidden_every_other_package() -> None:
    """The models contract lists every third-party package SPMIS depends on (pyproject.toml)
    or imports, and every module of spmis but the pure ones."""
    models = contracts()["models"]
    assert set(listed(models, "source_modules")) == {"spmis.*.model", *PURE}
    forbidden = set(listed(models, "forbidden_modules"))

    graph = grimp.build_graph("spmis", include_external_packages=True, cache_dir=None)
    imported = {m for m in graph.modules if m.split(".")[0] not in {"spmis", *STDLIB}}
    assert imported - forbidden == set()
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    by_distribution = packages_distributions()
    dependencies = {re.split(r"[\[<>=!~ ;]", d)[0].lower().replace("_", "-")
                    for d in declared["dependencies"]}
    modules_of: dict[str, set[str]] = {}
    for module, dists in by_distribution.items():
        for dist in dists:
            modules_of.setdefault(dist.lower().replace("_", "-"), set()).add(module)
    assert {d for d in dependencies if not modules_of[d] & forbidden} == set()

    top = {m for m in graph.find_children("spmis") if not graph.find_children(m)}
    assert top - PURE - forbidden == set()
    assert "spmis.*.*" in forbidden  # each package's modules, a model's siblings too


def test_every_package_is_on_a_layer() -> None:
    """Each package and top-level module of spmis is on one line of the layers contract: a new
    one is placed on the line of its kind (docs/architecture.md, "Packages and layers")."""
    lines = [line.split(":") for line in contracts()["layers"]["layers"].strip().splitlines()]
    placed = [name.strip() for line in lines for name in line]
    assert len(placed) == len(set(placed))
    graph = grimp.build_graph("spmis", cache_dir=None)
    children = {m.removeprefix("spmis.") for m in graph.find_children("spmis")}
    assert children - set(placed) == set(), "add these to a line of [layers] in .importlinter"
    assert set(placed) - children == set()


#: bad imports: (the contract each breaks, the file under src/spmis it is appended to, the
#: import, what import-linter's report must say)
BAD_IMPORTS = [
    ("registry-store", "linkage/review.py", "from spmis.registry.store import person",
     "spmis.linkage.review -> spmis.registry.store (l."),
    ("pages", "jobs/pages.py", "from spmis.jobs import store",
     "spmis.jobs.pages -> spmis.jobs.store (l."),
    ("indicators-reads-queries", "indicators/compute.py", "from spmis.db.tables import metadata",
     "spmis.indicators.compute -> spmis.db.tables (l."),
    ("models", "registry/model.py", "import sqlalchemy",
     "spmis.registry.model -> sqlalchemy (l."),
    ("models", "payments/model.py", "from spmis.payments import store",  # its own package too
     "spmis.payments.model -> spmis.payments.store (l."),
    ("models", "names.py", "from spmis.config import Settings",
     "spmis.names -> spmis.config (l."),
    # the registry imports spmis.db (history, tables): a foundation importing it back is a cycle
    ("acyclic", "db/history.py", "from spmis.registry import queries",
     "- .db -> .registry (1 import)"),
    ("web-top", "backup.py", "from spmis.web import programme_info",
     "spmis.backup -> spmis.web.programme_info (l."),
    # no cycle (auth imports no health check), but the platform reaching up into auth
    ("layers", "health.py", "from spmis.auth import scope",
     "spmis.health -> spmis.auth.scope (l."),
]


def test_each_contract_is_broken_by_a_bad_import(tmp_path: Path) -> None:
    """The copy of the sources keeps every contract; with the bad imports added, exactly their
    contracts are broken and each bad import is named."""
    copy = tmp_path / "spmis"
    shutil.copytree(SRC, copy, ignore=shutil.ignore_patterns(
        "__pycache__", "static", "translations", "templates", "data", "parameters"))
    assert set(lint(tmp_path)[0].values()) == {"KEPT"}

    for _cid, path, line, _link in BAD_IMPORTS:
        with (copy / path).open("a", encoding="utf-8") as f:
            f.write(f"\n{line}\n")
    verdicts, report = lint(tmp_path)
    by_id = contracts()
    broken = {by_id[cid]["name"] for cid, *_ in BAD_IMPORTS}
    assert {n for n, v in verdicts.items() if v == "BROKEN"} == broken
    for _cid, _path, _line, said in BAD_IMPORTS:
        assert said in report, said


# --- Dead code: vulture, configured in pyproject.toml ([tool.vulture]) with the reviewed
# --- allow-list vulture_allowlist.py.

VULTURE = Path(sys.executable).parent / "vulture"


def vulture(root: Path) -> subprocess.CompletedProcess[str]:
    """Run ``vulture`` as ``make test`` does (its paths and rules from ``root/pyproject.toml``)."""
    return subprocess.run([str(VULTURE)], cwd=root, capture_output=True, text=True, timeout=300,
                          check=False)


def test_no_dead_code() -> None:
    """Nothing in the sources is unused: each finding is deleted, or, when a framework uses it
    by reflection, named with its reason in vulture_allowlist.py."""
    done = vulture(ROOT)
    assert (done.returncode, done.stdout) == (0, ""), done.stdout + done.stderr


def test_vulture_finds_planted_dead_code(tmp_path: Path) -> None:
    """On a copy of what vulture reads, a function that nothing calls is reported, by file and
    line, and nothing else is."""
    def python_only(folder: str, names: list[str]) -> set[str]:
        return {n for n in names if not n.endswith(".py") and not (Path(folder) / n).is_dir()}

    for folder in ("src/spmis", "bench", "examples", "tests"):
        shutil.copytree(ROOT / folder, tmp_path / folder, ignore=python_only)
    for name in ("pyproject.toml", "vulture_allowlist.py"):
        shutil.copy(ROOT / name, tmp_path / name)
    assert vulture(tmp_path).returncode == 0

    target = tmp_path / "src/spmis/registry/queries.py"
    lines = target.read_text("utf-8").count("\n")
    with target.open("a", encoding="utf-8") as f:
        f.write("\n\ndef forgotten_helper(x: int) -> int:\n    return x + 1\n")
    done = vulture(tmp_path)
    assert done.returncode == 3, done.stdout + done.stderr  # vulture: dead code found
    assert done.stdout.splitlines() == [
        f"src/spmis/registry/queries.py:{lines + 3}: unused function 'forgotten_helper' "
        "(60% confidence)"]
