"""The architecture contracts in ``.importlinter`` (run by ``make test`` as ``lint-imports``):
their lists stay complete as packages are added, and a deliberate bad import breaks each of them
(import-linter is run on a copy of the sources with the bad imports added)."""

from __future__ import annotations

import configparser
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "spmis"
CONFIG = ROOT / ".importlinter"
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def contracts() -> dict[str, configparser.SectionProxy]:
    """Each contract's section of ``.importlinter``, by contract id."""
    parser = configparser.ConfigParser()
    parser.read(CONFIG, encoding="utf-8")
    prefix = "importlinter:contract:"
    return {s.removeprefix(prefix): parser[s] for s in parser.sections() if s.startswith(prefix)}


def listed(section: configparser.SectionProxy, key: str) -> list[str]:
    return section.get(key, "").split()


def lint(src_root: Path) -> dict[str, str]:
    """Run ``lint-imports`` on the ``spmis`` package found in ``src_root``: each contract's
    name -> ``KEPT`` or ``BROKEN``."""
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
    return out


def test_every_store_has_its_contract() -> None:
    """A package's tables (``store.py``) may be imported only from inside the package: a new
    capability's store gets its ``protected`` contract too."""
    protected = {
        tuple(listed(c, "protected_modules")): listed(c, "allowed_importers")
        for c in contracts().values() if c["type"] == "protected"}
    for store in sorted(SRC.glob("*/store.py")):
        package = f"spmis.{store.parent.name}"
        assert protected.get((f"{package}.store",)) == [package], f"{package}.store"


#: one bad import per contract: (file under src/spmis, the line appended to it)
BAD_IMPORTS = {
    "registry-store": ("linkage/review.py", "from spmis.registry.store import person"),
    "pages": ("jobs/pages.py", "from spmis.jobs import store"),
}


def test_each_contract_is_broken_by_a_bad_import(tmp_path: Path) -> None:
    """The copy of the sources keeps every contract; with one bad import added per contract,
    exactly those contracts are broken."""
    copy = tmp_path / "spmis"
    shutil.copytree(SRC, copy, ignore=shutil.ignore_patterns(
        "__pycache__", "static", "translations", "templates", "data", "parameters"))
    assert set(lint(tmp_path).values()) == {"KEPT"}

    for path, line in BAD_IMPORTS.values():
        with (copy / path).open("a", encoding="utf-8") as f:
            f.write(f"\n{line}\n")
    verdicts = lint(tmp_path)
    by_id = contracts()
    broken = {by_id[cid]["name"] for cid in BAD_IMPORTS}
    assert {n for n, v in verdicts.items() if v == "BROKEN"} == broken

