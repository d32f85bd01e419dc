"""Shared pieces of the targeting tests: households in two communes, a round, and a
questionnaire instance as ODK Collect writes it."""

from __future__ import annotations

from datetime import date
from typing import Any

from spmis.auth.model import SYSTEM, Actor
from spmis.context import AppContext
from spmis.registry import schemas as s
from spmis.registry.service import RegistryService
from spmis.targeting.model import RoundDraft
from spmis.targeting.service import TargetingService

HOME, OTHER = "12010101", "12020101"  # villages of communes 120101 and 120201
ENUMERATOR = Actor("enum-120101", frozenset({"enumerator"}), "120101")
OFFICER = Actor("po-12", frozenset({"programme_officer"}), "12")

#: a very poor household's answers (97 points in 2026, 91 with the 2020 parameters)
VERY_POOR: dict[str, Any] = {
    "roof": "thatch", "walls": "thatch_or_bamboo", "floor_area": "small", "land": "none",
    "transport": "none", "durables": "none", "livestock": "none", "income": "casual_labour",
    "shocks": "major", "members": 5, "dependants": 3, "disabled": 1, "chronic_ill": 3}
#: 45 points in 2026 (Poor Level 2), 44 in 2020 (not poor)
ON_THE_LINE: dict[str, Any] = {
    "roof": "tiles_or_concrete", "walls": "brick_or_concrete", "floor_area": "medium",
    "land": "under_half_ha", "transport": "bicycle", "durables": "phone_or_radio",
    "livestock": "poultry_only", "income": "own_farm", "shocks": "none", "members": 5,
    "dependants": 2, "disabled": 0, "chronic_ill": 2}
WELL_OFF: dict[str, Any] = {
    "roof": "tiles_or_concrete", "walls": "brick_or_concrete", "floor_area": "large",
    "land": "over_one_ha", "transport": "car_or_tractor", "durables": "tv_and_fridge",
    "livestock": "three_plus_large", "income": "salary_or_remittance", "shocks": "none",
    "members": 4, "dependants": 1, "disabled": 0, "chronic_ill": 0}


def household(ctx: AppContext, village: str = HOME, name: str = "Dara") -> int:
    return RegistryService(ctx).create_household(s.HouseholdCreate.model_validate({
        "village_code": village, "reason": "field visit", "members": [{
            "relationship": "head", "family_name_latin": "Sok", "given_name_latin": name,
            "sex": "F", "date_of_birth": "1988-04-12"}]}), SYSTEM).id


def new_round(ctx: AppContext, code: str = "2026-R1", on: date = date(2026, 1, 1),
              area: str = "12") -> int:
    return TargetingService(ctx).create_round(RoundDraft(
        code=code, name=f"Round {code}", kind="village", area_code=area, parameter_date=on,
        opens_on=on, closes_on=date(on.year, 12, 31)), SYSTEM)


def instance(round_id: int, household_id: int, answers: dict[str, Any],
             instance_id: str = "uuid:6b1f0c2e-1111-4c55-9a0a-000000000001") -> bytes:
    """The XML instance ODK Collect sends for the round's form (groups as in the XLSForm)."""
    a = {k: str(v) for k, v in answers.items()}
    return (
        f'<?xml version="1.0" ?><data xmlns:jr="http://openrosa.org/javarosa" '
        f'xmlns:orx="http://openrosa.org/xforms" id="spmis_idpoor_r{round_id}" '
        f'version="2026120601"><start>2026-03-02T09:15:00.000+07:00</start>'
        f'<end>2026-03-02T09:31:12.000+07:00</end><round>{round_id}</round>'
        f'<household_id>{household_id}</household_id>'
        f'<house><roof>{a["roof"]}</roof><walls>{a["walls"]}</walls>'
        f'<floor_area>{a["floor_area"]}</floor_area></house>'
        f'<assets><land>{a["land"]}</land><transport>{a["transport"]}</transport>'
        f'<durables>{a["durables"]}</durables><livestock>{a["livestock"]}</livestock></assets>'
        f'<people><members>{a["members"]}</members><dependants>{a["dependants"]}</dependants>'
        f'<disabled>{a["disabled"]}</disabled><chronic_ill>{a["chronic_ill"]}</chronic_ill>'
        f'</people><livelihood><income>{a["income"]}</income><shocks>{a["shocks"]}</shocks>'
        f'</livelihood><meta><instanceID>{instance_id}</instanceID></meta></data>'
    ).encode()
