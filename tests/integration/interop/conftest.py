"""Fixtures for the DCI tests: the spec's schemas (loaded from tests/fixtures/dci), a second
registry, registry data with consent, and two registries connected to each other.

``registry_pair`` gives registry A on the parametrised database (SQLite and PostgreSQL) and
registry B on its own SQLite file, in process: each one's HTTP transport is the other's
TestClient. The two-server test (test_two_instances.py) does the same over real sockets.
"""

from __future__ import annotations

import base64
import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi import FastAPI
from fastapi.testclient import TestClient
from jsonschema import Draft7Validator, validators
from referencing import Registry
from referencing.jsonschema import DRAFT7

from spmis.app import create_app
from spmis.auth.accounts import AccountService
from spmis.auth.model import SYSTEM
from spmis.config import Settings
from spmis.context import AppContext
from spmis.db.migrate import upgrade
from spmis.interop.service import DciService
from spmis.interop.transport import Transport
from spmis.registry import schemas as rs
from spmis.registry.personal import PersonalDataService
from spmis.registry.service import RegistryService

FIXTURES = Path(__file__).parents[2] / "fixtures" / "dci"
SPEC_URI = "urn:spdci:social_api_v1.0.0"
JWKS_URI = "urn:spdci:jwks"
VILLAGE = "12010101"  # Phnom Penh, Chamkar Mon
OTHER_VILLAGE = "01020101"  # Banteay Meanchey


# ---------------------------------------------------------------- the spec's schemas
def _ptr(path: str) -> str:
    return path.replace("~", "~0").replace("/", "~1")


def _unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def _canonical(doc: dict[str, Any], ref: str, depth: int = 0) -> str:
    """Where a local ``$ref`` really points. The bundled spec has pointers that pass *through*
    another ``$ref`` (``.../oneOf/0/properties/...`` where ``oneOf/0`` is a ``$ref``); OpenAPI
    tools follow them, JSON Schema does not, so they are rewritten to the location reached."""
    assert depth < 20, ref
    node: Any = doc
    path: list[str] = []
    for token in [_unescape(t) for t in ref.lstrip("#").split("/") if t]:
        if isinstance(node, dict) and "$ref" in node and token not in node:
            target = _canonical(doc, node["$ref"], depth + 1)
            path = [_unescape(t) for t in target.lstrip("#").split("/") if t]
            node = doc
            for step in path:
                node = node[int(step)] if isinstance(node, list) else node[step]
        node = node[int(token)] if isinstance(node, list) else node[token]
        path.append(token)
    return "#/" + "/".join(_ptr(t) for t in path)


def _rewrite_refs(doc: dict[str, Any]) -> None:
    def walk(node: Any) -> None:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/"):
                node["$ref"] = _canonical(doc, ref)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(doc)


class DciSchemas:
    """Validate instances against the DCI spec's component and path schemas (OpenAPI 3.0
    schemas checked as JSON Schema draft 7; the spec's ``type: enum`` is read as a string)."""

    def __init__(self) -> None:
        spec = yaml.safe_load((FIXTURES / "social_api_v1.0.0.yaml").read_text("utf-8"))
        _rewrite_refs(spec)
        jwk = yaml.safe_load((FIXTURES / "jwks" / "JWK.yaml").read_text("utf-8"))
        jwks = yaml.safe_load((FIXTURES / "jwks" / "JWKSResponse.yaml").read_text("utf-8"))
        jwks["properties"]["keys"]["items"] = {"$ref": f"{JWKS_URI}/JWK.yaml"}
        self.spec = spec
        self.registry: Registry[Any] = Registry().with_resources([
            (SPEC_URI, DRAFT7.create_resource(spec)),
            (f"{JWKS_URI}/JWK.yaml", DRAFT7.create_resource(jwk)),
            (f"{JWKS_URI}/JWKSResponse.yaml", DRAFT7.create_resource(jwks)),
        ])
        checker = Draft7Validator.TYPE_CHECKER.redefine(
            "enum", lambda _checker, value: isinstance(value, str))
        self.validator_class = validators.extend(Draft7Validator, type_checker=checker)

    def errors(self, instance: Any, schema: dict[str, Any]) -> list[str]:
        validator = self.validator_class(schema, registry=self.registry)
        return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
                for e in validator.iter_errors(instance)]

    def check(self, instance: Any, schema: dict[str, Any]) -> None:
        problems = self.errors(instance, schema)
        assert not problems, "\n".join(problems)

    @staticmethod
    def component(name: str) -> dict[str, Any]:
        return {"$ref": f"{SPEC_URI}#/components/schemas/{name}"}

    @staticmethod
    def request_body(path: str) -> dict[str, Any]:
        return {"$ref": f"{SPEC_URI}#/paths/{_ptr(path)}/post/requestBody/content/"
                        "application~1json/schema"}

    @staticmethod
    def response(path: str, status: str = "default") -> dict[str, Any]:
        return {"$ref": f"{SPEC_URI}#/paths/{_ptr(path)}/post/responses/{status}/content/"
                        "application~1json/schema"}

    @staticmethod
    def ack() -> dict[str, Any]:
        return {"$ref": f"{SPEC_URI}#/components/responses/Response/content/"
                        "application~1json/schema"}

    @staticmethod
    def http_error() -> dict[str, Any]:
        return {"$ref": f"{SPEC_URI}#/components/responses/HttpErrorResponse/content/"
                        "application~1json/schema"}

    def envelope(self, header: str, action: str, message: str) -> dict[str, Any]:
        """An envelope schema for the actions whose paths the release lacks (subscribe,
        unsubscribe, notify, on-subscribe...): the shape every DCI path uses."""
        return {"type": "object", "required": ["header", "message"], "properties": {
            "signature": self.component("MsgSignature"),
            "header": {"allOf": [self.component(header),
                                 {"properties": {"action": {"enum": [action]}}}]},
            "message": self.component(message)}}

    def jwks(self) -> dict[str, Any]:
        return {"$ref": f"{JWKS_URI}/JWKSResponse.yaml"}


@pytest.fixture(scope="session")
def dci_schemas() -> DciSchemas:
    return DciSchemas()


# ---------------------------------------------------------------- registries
def _key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


def registry_settings(db_url: str, var_dir: Path, sender_id: str) -> Settings:
    return Settings(env="test", database_url=db_url, var_dir=var_dir,
                    secret_key=base64.b64encode(os.urandom(48)).decode(),
                    encryption_keys=f"t1:{_key()}", blind_index_key=_key(),
                    dci_sender_id=sender_id)


@dataclass
class Registry_:
    """One SPMIS instance: context, app and its base URL as the other registry knows it."""

    ctx: AppContext
    app: FastAPI
    base_url: str

    @property
    def sender_id(self) -> str:
        return self.ctx.settings.dci_sender_id

    def service(self) -> DciService:
        transport = getattr(self.app.state, "dci_transport", None)
        return DciService(self.ctx, transport=transport)


def connect(a: Registry_, b: Registry_, role: str = "programme_officer") -> dict[str, str]:
    """Make A and B peers of each other: API clients both ways, base URLs, public keys."""
    accounts_a, accounts_b = AccountService(a.ctx), AccountService(b.ctx)
    b_at_a, b_secret = accounts_a.create_client(f"DCI {b.sender_id}", role, "", SYSTEM)
    a_at_b, a_secret = accounts_b.create_client(f"DCI {a.sender_id}", role, "", SYSTEM)
    a.service().keys.add_peer(b.sender_id, b.base_url, "test", a_at_b, a_secret, b_at_a)
    b.service().keys.add_peer(a.sender_id, a.base_url, "test", b_at_a, b_secret, a_at_b)
    for jwk in b.service().keys.jwks()["keys"]:
        a.service().keys.add_peer_key(b.sender_id, jwk, "test")
    for jwk in a.service().keys.jwks()["keys"]:
        b.service().keys.add_peer_key(a.sender_id, jwk, "test")
    return {"b_at_a": b_at_a, "b_secret": b_secret, "a_at_b": a_at_b, "a_secret": a_secret}


def member(rel: str = "head", **kw: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"relationship": rel, "family_name_latin": "Sok",
                            "given_name_latin": "Dara", "family_name_km": "សុខ",
                            "given_name_km": "តារា", "sex": "F", "date_of_birth": "1988-04-12"}
    body.update(kw)
    return body


def add_household(ctx: AppContext, *members: dict[str, Any], village: str = VILLAGE,
                  consent: tuple[str, ...] = ("data_sharing",),
                  **kw: Any) -> rs.HouseholdOut:
    """A household; every member consents to ``consent`` purposes."""
    hh = RegistryService(ctx).create_household(
        rs.HouseholdCreate(village_code=village, members=list(members) or [member()], **kw),
        SYSTEM)
    for person in hh.members:
        for purpose in consent:
            PersonalDataService(ctx).record_consent(person.id, SYSTEM, purpose, "given",
                                                    date(2026, 1, 1))
    return hh


@dataclass
class Pair:
    a: Registry_
    b: Registry_
    clients: dict[str, str]
    b_http: TestClient


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to the newest schema once; registries start from a copy."""
    path = tmp_path_factory.mktemp("dci-template") / "migrated.db"
    upgrade(f"sqlite:///{path}")
    return path


def fresh_sqlite(template: Path, target: Path) -> str:
    shutil.copyfile(template, target)
    return f"sqlite:///{target}"


@pytest.fixture
def registry_pair(ctx: AppContext, tmp_path: Path, migrated_sqlite: Path) -> Iterator[Pair]:
    """A (the parametrised database) and B (SQLite) connected in process."""
    b_url = fresh_sqlite(migrated_sqlite, tmp_path / "registry-b.db")
    ctx.settings.dci_sender_id = "registry-a.test"
    ctx_b = AppContext.create(registry_settings(b_url, tmp_path / "var-b", "registry-b.test"))
    app_a, app_b = create_app(ctx=ctx), create_app(ctx=ctx_b)
    with TestClient(app_a) as http_a, TestClient(app_b) as http_b:
        # a TestClient is an httpx client: each registry's transport reaches the other app
        app_a.state.dci_transport = Transport(http=http_b, delays=(0.0,))  # type: ignore[arg-type]
        app_b.state.dci_transport = Transport(http=http_a, delays=(0.0,))  # type: ignore[arg-type]
        a = Registry_(ctx, app_a, "http://testserver")
        b = Registry_(ctx_b, app_b, "http://testserver")
        clients = connect(a, b)
        yield Pair(a, b, clients, http_b)
    ctx_b.engine.dispose()


@pytest.fixture
def token_for() -> Callable[[Registry_, str, str], str]:
    """``token_for(registry, client_id, secret)``: a bearer token from that registry."""

    def make(reg: Registry_, client_id: str, secret: str) -> str:
        return AccountService(reg.ctx).client_token(client_id, secret).token

    return make


@pytest.fixture
def pair_seeded(registry_pair: Pair) -> tuple[Pair, dict[str, Any]]:
    """The registry pair with registry B holding three households (one without consent to data
    sharing)."""
    b = registry_pair.b.ctx
    hh1 = add_household(b, member(identifiers={"national_id": "100200300",
                                               "phone": "012 345 678"}),
                        member("child", given_name_latin="Vannak", sex="M",
                               date_of_birth="2015-06-01",
                               identifiers={"birth_certificate": "BC-2015-77"}),
                        idpoor_level=1, idpoor_card_number="EC-12-0001",
                        idpoor_valid_from=date(2024, 1, 1), idpoor_valid_to=date(2028, 12, 31))
    hh2 = add_household(b, member(given_name_latin="Sophea", family_name_latin="Chan",
                                  date_of_birth="1950-02-02",
                                  identifiers={"national_id": "200300400"}),
                        village=OTHER_VILLAGE)
    hh3 = add_household(b, member(given_name_latin="Bopha", family_name_latin="Keo",
                                  date_of_birth="1949-12-30",
                                  identifiers={"national_id": "300400500"}),
                        village=OTHER_VILLAGE, consent=("research",))
    return registry_pair, {"hh1": hh1, "hh2": hh2, "hh3": hh3}
