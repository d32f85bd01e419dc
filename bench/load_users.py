"""Locust users for ``bench/load.py`` (run by it, headless; not on its own). What each sends
comes from the environment that ``load.py`` prepares: session cookies of signed-in staff, a DCI
client's bearer token and a file of signed DCI search envelopes, household ids and area codes.

Each class paces itself to ``LOAD_RATE`` requests a second per user (``constant_throughput``), so
``users x rate`` is the offered load; ``load.py`` names the classes of a phase on locust's
command line. The public phase's users are split by ``fixed_count`` (``LOAD_SCREENER_USERS``
screener visitors, ``LOAD_CATALOGUE_USERS`` catalogue readers), so each route's offered load is
known exactly.
"""

from __future__ import annotations

import json
import os
import random
from pathlib import Path

from locust import constant_throughput, task
from locust.contrib.fasthttp import FastHttpUser

RATE = float(os.environ.get("LOAD_RATE", "1"))
DATA = json.loads(Path(os.environ["LOAD_DATA"]).read_text()) if "LOAD_DATA" in os.environ else {}

SCREENER_BODIES = [
    {"idpoor_level": 1, "commune_code": "120101", "members": [
        {"age": 34, "sex": "female", "pregnant": True}, {"age": 1, "sex": "male"}]},
    {"idpoor_level": 2, "commune_code": "010201", "flood_affected": True, "members": [
        {"age": 45, "sex": "male"}, {"age": 40, "sex": "female"}, {"age": 12, "sex": "female",
                                                                   "school_level": "primary"}]},
    {"idpoor_level": 0, "commune_code": "170101", "members": [
        {"age": 67, "sex": "female"}, {"age": 30, "sex": "male", "employment": "employee",
                                       "nssf_member": True, "monthly_wage_khr": 1_200_000}]},
]


class ScreenerVisitor(FastHttpUser):
    """Someone asking "am I eligible?" (the screener). ``LOAD_SCREENER_USERS`` of them."""

    wait_time = constant_throughput(RATE)
    fixed_count = int(os.environ.get("LOAD_SCREENER_USERS", "0"))

    @task
    def screener(self) -> None:
        self.client.post("/api/v1/screener", json=random.choice(SCREENER_BODIES),
                         name="POST /api/v1/screener")


class CatalogueReader(FastHttpUser):
    """Someone reading the programme catalogue, offered on top of the screener's load (so the
    screener alone is offered its target). ``LOAD_CATALOGUE_USERS`` of them."""

    wait_time = constant_throughput(RATE)
    fixed_count = int(os.environ.get("LOAD_CATALOGUE_USERS", "0"))

    @task
    def catalogue(self) -> None:
        self.client.get("/api/v1/programmes", name="GET /api/v1/programmes")


class OfficeUser(FastHttpUser):
    """A signed-in registrar: household search by area, then a household's page."""

    wait_time = constant_throughput(RATE)

    def on_start(self) -> None:
        self.cookie = {"Cookie": f"spmis_session={random.choice(DATA['sessions'])}"}

    @task(5)
    def search(self) -> None:
        area = random.choice(DATA["areas"])
        self.client.get(f"/office/households?area={area}&page=1", headers=self.cookie,
                        name="GET /office/households (search)")

    @task(1)
    def household(self) -> None:
        hid = random.choice(DATA["household_ids"])
        self.client.get(f"/office/households/{hid}", headers=self.cookie,
                        name="GET /office/households/{id}")


class DciClient(FastHttpUser):
    """Another registry's client: signed DCI sync searches (each envelope used once)."""

    wait_time = constant_throughput(RATE)
    _file = os.environ.get("LOAD_ENVELOPES") or DATA.get("envelopes")  # the warm-up's own
    envelopes: list[dict[str, object]] = (
        json.loads(Path(_file).read_text()) if _file and Path(_file).exists() else [])

    @task
    def search(self) -> None:
        if not DciClient.envelopes:
            return
        envelope = DciClient.envelopes.pop()
        with self.client.post("/registry/sync/search", json=envelope,
                              headers={"Authorization": f"Bearer {DATA['dci_token']}"},
                              name="POST /registry/sync/search", catch_response=True) as resp:
            try:
                answers = resp.json()["message"]["search_response"]
                statuses = {a.get("status") for a in answers}
            except (ValueError, KeyError, TypeError):
                statuses = {"unreadable"}
            if statuses != {"succ"}:  # a signed refusal is an error of the load test too
                resp.failure(f"search answered {statuses}")
