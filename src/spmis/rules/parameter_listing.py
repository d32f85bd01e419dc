"""Every parameter with its values over time and its source, for ``GET /api/v1/parameters``."""

from __future__ import annotations

from typing import Any

from openfisca_core.parameters import Parameter, ParameterNode, ParameterScale

from spmis.rules.system import tax_benefit_system


def _values(parameter: Parameter) -> list[dict[str, Any]]:
    """Values oldest first: {start, value}; a None value ends the parameter."""
    return [
        {"start": v.instant_str, "value": v.value} for v in reversed(parameter.values_list)
    ]


def _entry(name: str, item: Any, inherited: dict[str, Any]) -> dict[str, Any]:
    metadata = {**inherited, **(item.metadata or {})}
    return {
        "name": name,
        "description": item.description or inherited.get("description"),
        "reference": metadata.get("reference"),
        "unit": metadata.get("unit") or metadata.get("amount_unit"),
        "currency": metadata.get("currency"),
        "unconfirmed": "unconfirmed" in f"{item.description} {metadata.get('reference')}".lower(),
    }


def list_parameters(prefix: str | None = None) -> list[dict[str, Any]]:
    """Every parameter (and scale) under ``prefix`` (all by default), ordered by name."""
    out: list[dict[str, Any]] = []

    def walk(node: Any, name: str, inherited: dict[str, Any]) -> None:
        if isinstance(node, Parameter):
            entry = _entry(name, node, inherited)
            entry["kind"] = "value"
            entry["values"] = _values(node)
            out.append(entry)
        elif isinstance(node, ParameterScale):
            entry = _entry(name, node, inherited)
            entry["kind"] = "scale"
            entry["brackets"] = [
                {
                    key: _values(getattr(bracket, key))
                    for key in ("threshold", "amount", "rate")
                    if key in bracket.children
                }
                for bracket in node.brackets
            ]
            out.append(entry)
        elif isinstance(node, ParameterNode):
            passed = {**inherited, **(node.metadata or {})}
            if node.description:
                passed["description"] = node.description
            for key, child in node.children.items():
                walk(child, f"{name}.{key}" if name else key, passed)

    walk(tax_benefit_system().parameters, "", {})
    if prefix:
        out = [p for p in out if p["name"] == prefix or p["name"].startswith(prefix + ".")]
    return sorted(out, key=lambda p: p["name"])
