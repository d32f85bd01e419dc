"""No merge-conflict marker is left in the sources, templates, translations or docs: a page once
showed one to the public (a rebase resolved in a hurry), and no other test looked at that text."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MARKER = re.compile(r"^(<{7} |>{7} |={7}$)", re.M)
SUFFIXES = {".py", ".html", ".css", ".po", ".md", ".yaml", ".yml", ".toml", ".txt", ".cfg", ".js"}


def test_no_conflict_markers() -> None:
    found = []
    for folder in ("src", "tests", "docs", "bench", "examples"):
        for path in (ROOT / folder).rglob("*"):
            if path.suffix in SUFFIXES and path.is_file() and "vendor" not in path.parts:
                text = path.read_text(encoding="utf-8", errors="replace")
                found += [f"{path.relative_to(ROOT)}:{text[:m.start()].count(chr(10)) + 1}"
                          for m in MARKER.finditer(text)]
    found += [str(p) for p in [ROOT / "README.md", ROOT / "CHANGELOG.md"]
              if MARKER.search(p.read_text(encoding="utf-8"))]
    assert not found, f"merge-conflict markers: {found}"
