"""Collect the OpenFisca YAML tests in ``openfisca/`` as ordinary pytest items, so they run in
``make test`` with the rest (each YAML case is one test, named after its ``name``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from openfisca_core.tools.test_runner import YamlItem

YAML_DIR = Path(__file__).parent / "openfisca"


class OpenFiscaYamlFile(pytest.File):
    """A YAML file of OpenFisca test cases, run with OpenFisca's own test item."""

    def collect(self) -> Any:
        from spmis.rules import tax_benefit_system

        with self.path.open(encoding="utf-8") as fh:
            cases = yaml.safe_load(fh)
        if not isinstance(cases, list):
            cases = [cases]
        for index, case in enumerate(cases):
            name = f"{index:02d} {case.get('name', '')}".strip()
            yield YamlItem.from_parent(
                self,
                name=name,
                baseline_tax_benefit_system=tax_benefit_system(),
                test=case,
                options={},
            )


def pytest_collect_file(parent: pytest.Collector, file_path: Path) -> pytest.Collector | None:
    if file_path.suffix in {".yaml", ".yml"} and file_path.parent == YAML_DIR:
        return OpenFiscaYamlFile.from_parent(parent, path=file_path)
    return None
