"""RFC 9396 ``vn_procedure`` authorization details: the parser and the client metadata."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from eid.errors import DataError, InvalidAuthorizationDetails
from eid.oidc.authorization_details import ProcedureDetail, parse_authorization_details
from eid.oidc.clients import Client, load_clients
from eid.prefill.procedures import load_procedure_catalogue

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = load_procedure_catalogue()
PROCEDURES = frozenset(CATALOGUE)
CT01 = {"type": "vn_procedure", "procedure": "ct01",
        "attributes": ["profile", "id_number", "contact", "household"]}


@pytest.fixture(scope="module")
def client() -> Client:
    found = load_clients(ROOT / "fixtures" / "test-clients.json").get("eid-test-client")
    assert found is not None
    return found


def test_a_registered_procedure_is_accepted(client: Client) -> None:
    detail = parse_authorization_details([CT01], client, PROCEDURES)
    assert detail == ProcedureDetail("ct01", ("profile", "id_number", "contact", "household"))
    assert detail.to_json() == CT01


def test_absent_or_empty_names_no_procedure(client: Client) -> None:
    assert parse_authorization_details(None, client, PROCEDURES) is None
    assert parse_authorization_details([], client, PROCEDURES) is None


def test_to_json_narrows_attributes_to_a_token_s_scopes() -> None:
    detail = ProcedureDetail.from_json(CT01)
    assert detail.to_json(frozenset({"openid", "profile"}))["attributes"] == ["profile"]


@pytest.mark.parametrize(("value", "why"), [
    (CT01, "an object, not an array"),
    ("ct01", "a string"),
    ([CT01, CT01], "two procedures"),
    (["ct01"], "an element that is no object"),
    ([{**CT01, "type": "payment_initiation"}], "unknown type"),
    ([{"procedure": "ct01", "attributes": ["profile"]}], "no type"),
    ([{**CT01, "type": ["vn_procedure"]}], "type not a string"),
    ([{**CT01, "locations": ["https://eid.gov.vn/userinfo"]}], "locations refused (§2.2)"),
    ([{**CT01, "actions": ["read"]}], "actions refused (§2.2)"),
    ([{**CT01, "purpose": "x"}], "an unknown member"),
    ([{**CT01, "procedure": "dang-ky-ket-hon"}], "an unknown procedure"),
    ([{**CT01, "procedure": ""}], "an empty procedure"),
    ([{**CT01, "procedure": 1}], "a procedure that is no string"),
    ([{k: v for k, v in CT01.items() if k != "procedure"}], "no procedure"),
    ([{k: v for k, v in CT01.items() if k != "attributes"}], "no attributes"),
    ([{**CT01, "attributes": []}], "no attribute"),
    ([{**CT01, "attributes": "profile"}], "attributes as a string"),
    ([{**CT01, "attributes": ["profile", "profile"]}], "a repeated attribute"),
    ([{**CT01, "attributes": ["profile", 3]}], "an attribute that is no string"),
    ([{**CT01, "attributes": ["profile", "made_up"]}], "no such scope"),
    ([{**CT01, "attributes": ["openid"]}], "openid is no attribute"),
    ([{**CT01, "attributes": ["profile", "offline_access"]}], "nor offline_access"),
])
def test_malformed_details_are_invalid_authorization_details(
        client: Client, value: Any, why: str) -> None:
    with pytest.raises(InvalidAuthorizationDetails) as err:
        parse_authorization_details(value, client, PROCEDURES)
    assert err.value.code == "invalid_authorization_details", why
    assert err.value.redirectable


def test_a_procedure_of_the_list_but_not_the_client_s_is_refused(
        client: Client, tmp_path: Path) -> None:
    import dataclasses
    narrow = dataclasses.replace(client, procedures=("khai-sinh",))
    with pytest.raises(InvalidAuthorizationDetails, match="not registered for this client"):
        parse_authorization_details([CT01], narrow, PROCEDURES)


def test_attributes_beyond_the_client_s_scopes_are_refused(client: Client) -> None:
    import dataclasses
    narrow = dataclasses.replace(client, scopes=frozenset({"openid", "profile"}))
    with pytest.raises(InvalidAuthorizationDetails, match="not registered for this client"):
        parse_authorization_details([CT01], narrow, PROCEDURES)


def test_a_client_without_the_type_is_refused(client: Client) -> None:
    import dataclasses
    plain = dataclasses.replace(client, authorization_details_types=(), procedures=())
    with pytest.raises(InvalidAuthorizationDetails, match="not registered for vn_procedure"):
        parse_authorization_details([CT01], plain, PROCEDURES)


# -- client metadata (RFC 9396 §10) ------------------------------------------------------

def _write(tmp_path: Path, **over: Any) -> Path:
    raw: dict[str, Any] = {
        "client_id": "c1", "client_name": {"vi": "Cổng", "en": "Portal"},
        "purpose": {"vi": "Mục đích", "en": "Purpose"},
        "redirect_uris": ["https://portal.example.vn/cb"], "scopes": ["openid", "profile"],
        "client_secret": "a-long-enough-secret-1", **over}
    path = tmp_path / "clients.json"
    path.write_text(json.dumps({"clients": [raw]}), encoding="utf-8")
    return path


def test_procedures_imply_the_type(tmp_path: Path) -> None:
    client = load_clients(_write(tmp_path, procedures=["ct01"]),
                          known_procedures=frozenset(CATALOGUE)).get("c1")
    assert client is not None
    assert client.procedures == ("ct01",)
    assert client.authorization_details_types == ("vn_procedure",)
    assert client.match is False


@pytest.mark.parametrize(("over", "field"), [
    ({"procedures": ["nope"]}, "clients[c1].procedures"),
    ({"procedures": ["ct01", "ct01"]}, "clients[c1].procedures"),
    ({"procedures": "ct01"}, "clients[c1].procedures"),
    ({"authorization_details_types": ["payment_initiation"]},
     "clients[c1].authorization_details_types"),
    ({"procedures": ["ct01"], "authorization_details_types": []},
     "clients[c1].authorization_details_types"),
    ({"match": True}, "clients[c1].match"),  # not a fapi2 client
    ({"match": "yes"}, "clients[c1].match"),
])
def test_invalid_purpose_metadata_names_the_field(
        tmp_path: Path, over: dict[str, Any], field: str) -> None:
    with pytest.raises(DataError) as err:
        load_clients(_write(tmp_path, **over), known_procedures=frozenset(CATALOGUE))
    assert err.value.field == field


def test_the_shipped_clients_register_the_shipped_procedures() -> None:
    codes = frozenset(CATALOGUE)
    hcm = load_clients(ROOT / "fixtures" / "clients.json", known_procedures=codes).get(
        "cong-dvc-hcm")
    fapi = load_clients(ROOT / "fixtures" / "test-clients.json", known_procedures=codes).get(
        "eid-fapi-test-client")
    assert hcm is not None and set(hcm.procedures) == codes
    assert fapi is not None and fapi.match and fapi.fapi2
