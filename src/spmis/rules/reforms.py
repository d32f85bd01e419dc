"""Parameter reforms from data: a YAML/dict of parameter changes becomes an OpenFisca ``Reform``.

Format (``reform.yaml``)::

    name: Rural COVID-19 base raised to 100,000 and the programme restarted
    changes:
      social_assistance.covid19.household_base.rural:
        - {start: 2026-01-01, value: 100000}
      social_assistance.covid19.active: {start: 2026-11-01, value: true}
      social_security.contributory_wage.pension_floor_applies_to_all_schemes: true

A change is a list of ``{start, stop?, value}``, one such mapping, or a bare value (which applies
from 2000-01-01 on). Scale brackets are addressed as ``<scale>.brackets.<n>.amount``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from openfisca_core.parameters import Parameter, ParameterNode, ParameterScale
from openfisca_core.periods import period as make_period
from openfisca_core.reforms import Reform
from openfisca_core.taxbenefitsystems import TaxBenefitSystem

from spmis.errors import FieldError, InvalidInput

ALWAYS = "2000-01-01"


def _find(root: ParameterNode, path: str) -> Parameter:
    node: Any = root
    for part in path.split("."):
        if isinstance(node, ParameterScale) and part == "brackets":
            continue
        if isinstance(node, ParameterScale):
            node = node.brackets[int(part)]
        elif isinstance(node, ParameterNode):
            node = node.children[part]
        else:
            node = getattr(node, part)
    if not isinstance(node, Parameter):
        raise KeyError(path)
    return node


def _changes(spec: Any) -> list[dict[str, Any]]:
    if isinstance(spec, list):
        return [dict(item) for item in spec]
    if isinstance(spec, Mapping) and "value" in spec:
        return [dict(spec)]
    return [{"start": ALWAYS, "value": spec}]


def validate_changes(changes: Mapping[str, Any], root: ParameterNode) -> None:
    """Raise ``InvalidInput`` naming each change whose parameter does not exist."""
    errors = []
    for path in changes:
        try:
            _find(root, path)
        except (KeyError, IndexError, ValueError, AttributeError):
            errors.append(
                FieldError(
                    ("changes", path),
                    "unknown_parameter",
                    f"no parameter named {path}",
                    f"គ្មានប៉ារ៉ាម៉ែត្រឈ្មោះ {path}",
                )
            )
    if errors:
        raise InvalidInput(errors)


def parameter_reform(changes: Mapping[str, Any], name: str = "reform") -> type[Reform]:
    """A ``Reform`` class applying ``changes`` ({parameter path: change(s)}) to the parameters."""

    def modify(parameters: ParameterNode) -> ParameterNode:
        for path, spec in changes.items():
            target = _find(parameters, path)
            for change in _changes(spec):
                start = make_period(str(change.get("start", ALWAYS))).start
                stop = change.get("stop")
                target.update(
                    start=start,
                    stop=make_period(str(stop)).start if stop else None,
                    value=change["value"],
                )
        return parameters

    class ParameterReform(Reform):
        def apply(self) -> None:
            self.modify_parameters(modifier_function=modify)

    ParameterReform.name = name
    ParameterReform.__name__ = f"ParameterReform_{name}"
    return ParameterReform


def load_reform(source: Path | str | Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """(name, changes) from a YAML file path or an already parsed mapping."""
    if isinstance(source, Mapping):
        data: Any = source
    else:
        with Path(source).open(encoding="utf-8") as fh:
            data = yaml.safe_load(fh)
    if not isinstance(data, Mapping) or not isinstance(data.get("changes"), Mapping):
        raise InvalidInput.one(
            ("changes",), "missing", "a reform needs a 'changes' mapping",
            "កំណែទម្រង់ត្រូវការផ្នែក 'changes'",
        )
    changes = {
        str(k): (v.isoformat() if isinstance(v, date) else v) for k, v in data["changes"].items()
    }
    return str(data.get("name", "reform")), changes


def apply_reform(system: TaxBenefitSystem, changes: Mapping[str, Any], name: str = "reform") -> Any:
    """``system`` with ``changes`` applied (a new system; ``system`` is unchanged)."""
    validate_changes(changes, system.parameters)
    return parameter_reform(changes, name)(system)
