"""private_key_jwt client authentication on the login service (RFC 7523, OIDC Core §9),
at every endpoint where a client authenticates: /token, /par, /revoke, /introspect.

Test names follow the FAPI 2.0 Security Profile test plan where a check applies.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from freezegun import freeze_time

from eid.oidc.client_assertion import JWT_BEARER
from eid.signing import SigningKey
from eid.testing import JwksServer, TestIssuer, make_client_assertion
from tests.service.fapi import (
    FAPI_ID,
    PAR_ID,
    add_par_client,
    assertion_form,
    client_key,
    dpop_post,
    pushed,
)
from tests.service.flow import HCM, Flow


@pytest.fixture
def flow(test_mode_app: Flask) -> Flow:
    add_par_client(test_mode_app)
    return Flow(test_mode_app)


def _introspect(flow: Flow, form: dict[str, str], headers: dict[str, str] | None = None
                ) -> Any:
    return flow.api.post("/introspect", data={"token": "unknown", **form},
                         headers=headers or {})


def _rs256_key() -> SigningKey:
    rsa = client_key("rsa-2048-b")
    return SigningKey(kid=rsa.kid, kty=rsa.kty, alg="RS256", key=rsa.key,
                      public_jwk=rsa.public_jwk)


def test_private_key_jwt_accepted_at_every_endpoint(flow: Flow) -> None:
    assert _introspect(flow, assertion_form(flow)).json == {"active": False}
    revoke = flow.api.post("/revoke", data={"token": "unknown", **assertion_form(flow)})
    assert revoke.status_code == 200
    par = flow.api.post("/par", data={**pushed(flow).params, **assertion_form(flow)})
    assert par.status_code == 201
    token = dpop_post(flow, "/token", {"grant_type": "authorization_code", "code": "x",
                                       "redirect_uri": "x", **assertion_form(flow)})
    assert token.json["error"] == "invalid_grant"  # authenticated; the code is unknown


def test_ps256_assertion_accepted(flow: Flow) -> None:
    form = assertion_form(flow, key=client_key("rsa-2048-b"))
    assert _introspect(flow, form).status_code == 200


# Each mutation: 401 invalid_client (RFC 6749 §5.2), whatever the rule it broke.
@pytest.mark.parametrize(("name", "claims"), [
    ("fapi2_client_assertion_wrong_aud", {"aud": "https://other.example"}),
    ("fapi2_client_assertion_aud_as_array", {"aud": "ARRAY"}),
    ("fapi2_client_assertion_no_sub", {"sub": None}),
    ("fapi2_client_assertion_exp_in_past", {"exp": "PAST"}),
    ("fapi2_client_assertion_nbf_70s_in_future", {"nbf": "+70"}),
    ("client_assertion_iat_70s_in_future", {"iat": "+70"}),
    ("client_assertion_no_exp", {"exp": None}),
    ("client_assertion_exp_too_far", {"exp": "+301"}),
    ("client_assertion_no_jti", {"jti": None}),
    ("client_assertion_wrong_iss", {"iss": PAR_ID}),
])
def test_fapi2_bad_client_assertion_rejected(flow: Flow, name: str,
                                              claims: dict[str, Any]) -> None:
    with freeze_time() as clock:
        now = int(clock().timestamp())
        resolved = {k: [flow.issuer] if v == "ARRAY" else now - 120 if v == "PAST"
                    else now + int(v) if isinstance(v, str) and v.startswith("+") else v
                    for k, v in claims.items()}
        r = _introspect(flow, assertion_form(flow, **resolved))
    assert r.status_code == 401, name
    assert r.json["error"] == "invalid_client"
    assert r.headers["Cache-Control"] == "no-store"


def test_fapi2_client_assertion_signed_rs256_rejected(flow: Flow) -> None:
    r = _introspect(flow, assertion_form(flow, key=_rs256_key()))
    assert r.status_code == 401 and r.json["error"] == "invalid_client"


def test_fapi2_client_assertion_nbf_8s_in_future_accepted(flow: Flow) -> None:
    with freeze_time() as clock:
        now = int(clock().timestamp())
        r = _introspect(flow, assertion_form(flow, nbf=now + 8, iat=now + 8))
    assert r.status_code == 200


def test_fapi2_client_assertion_replayed_jti_rejected(flow: Flow) -> None:
    form = assertion_form(flow)
    assert _introspect(flow, form).status_code == 200
    again = _introspect(flow, form)
    assert again.status_code == 401 and again.json["error"] == "invalid_client"


def test_same_jti_of_two_clients_is_no_replay(flow: Flow) -> None:
    assert _introspect(flow, assertion_form(flow, jti="shared")).status_code == 200
    assert _introspect(flow, assertion_form(flow, PAR_ID, jti="shared")).status_code == 200


def test_jti_forgotten_after_the_assertion_expires(flow: Flow) -> None:
    with freeze_time() as clock:
        form = assertion_form(flow, jti="j-1")
        assert _introspect(flow, form).status_code == 200
        clock.tick(60 + 60 + 1)  # exp + skew: the assertion itself is refused now
        assert _introspect(flow, assertion_form(flow, jti="j-1")).status_code == 200


@pytest.mark.parametrize(("client_id", "aud", "status"), [
    (PAR_ID, "/token", 200),  # RFC 7523 §3: the token endpoint URL names the server
    (PAR_ID, "/par", 200),  # RFC 9126 §2
    (FAPI_ID, "/token", 401),  # FAPI 2.0 §5.3.2.1: the issuer identifier only
    (FAPI_ID, "/par", 401),
])
def test_audience_per_profile(flow: Flow, client_id: str, aud: str, status: int) -> None:
    form = assertion_form(flow, client_id, aud=flow.issuer + aud)
    assert _introspect(flow, form).status_code == status


def test_fapi2_client_with_client_secret_rejected(flow: Flow) -> None:
    # Registered for private_key_jwt only: a secret (it has none) never authenticates it.
    r = _introspect(flow, {"client_id": FAPI_ID, "client_secret": "x" * 20})
    assert r.status_code == 401 and r.json["error"] == "invalid_client"


def test_secret_client_cannot_use_private_key_jwt(flow: Flow) -> None:
    form = assertion_form(flow, HCM.client_id)
    r = _introspect(flow, form)
    assert r.status_code == 401 and r.json["error"] == "invalid_client"


@pytest.mark.parametrize(("form", "expected"), [
    ({"client_assertion_type": "urn:other"}, "invalid_client"),
    ({"client_assertion": None}, "invalid_client"),
    ({"client_assertion": "not-a-jwt"}, "invalid_client"),
    ({"client_id": "nobody"}, "invalid_client"),
    ({"client_secret": "x" * 20}, "invalid_request"),  # two methods (RFC 6749 §2.3)
])
def test_malformed_private_key_jwt(flow: Flow, form: dict[str, str | None],
                                   expected: str) -> None:
    data = {k: v for k, v in {**assertion_form(flow), **form}.items() if v is not None}
    r = _introspect(flow, data)
    assert r.json["error"] == expected


def test_assertion_beside_basic_is_two_methods(flow: Flow) -> None:
    headers, _ = flow.client_auth(HCM)
    r = _introspect(flow, assertion_form(flow), headers)
    assert r.status_code == 400 and r.json["error"] == "invalid_request"


def test_assertion_without_client_id_names_the_client_by_sub(flow: Flow) -> None:
    form = assertion_form(flow)
    del form["client_id"]
    assert _introspect(flow, form).status_code == 200


@pytest.fixture
def remote_keys() -> Iterator[tuple[JwksServer, SigningKey]]:
    issuer = TestIssuer(alg="ES256")
    with JwksServer(issuer) as server:
        yield server, issuer.rotate()


def test_keys_from_jwks_uri(test_mode_app: Flask,
                            remote_keys: tuple[JwksServer, SigningKey]) -> None:
    # The client registers jwks_uri (loopback http is allowed for tests); fetched strictly.
    server, key = remote_keys
    add_par_client(test_mode_app, jwks=None, jwks_uri=server.url + "/jwks")
    flow = Flow(test_mode_app)
    token = make_client_assertion(PAR_ID, flow.issuer, key)
    form = {"client_id": PAR_ID, "client_assertion_type": JWT_BEARER,
            "client_assertion": token}
    assert _introspect(flow, form).status_code == 200
    other = make_client_assertion(PAR_ID, flow.issuer, client_key())
    form["client_assertion"] = other  # a key not in the fetched set
    assert _introspect(flow, form).status_code == 401


def test_unreachable_jwks_uri_is_invalid_client(test_mode_app: Flask,
                                                remote_keys: tuple[JwksServer, SigningKey]
                                                ) -> None:
    server, key = remote_keys
    server.fail(503)
    add_par_client(test_mode_app, jwks=None, jwks_uri=server.url + "/jwks")
    flow = Flow(test_mode_app)
    form = {"client_id": PAR_ID, "client_assertion_type": JWT_BEARER,
            "client_assertion": make_client_assertion(PAR_ID, flow.issuer, key)}
    r = _introspect(flow, form)
    assert r.status_code == 401 and r.json["error"] == "invalid_client"


def test_changed_registration_uses_the_new_keys(flow: Flow, test_mode_app: Flask) -> None:
    # The keys of a client are cached per registration, not per client id.
    assert _introspect(flow, assertion_form(flow, PAR_ID)).status_code == 200
    only_rsa = {"keys": [k for k in (test_mode_app.extensions["eid"].clients.get(PAR_ID)
                                     .jwks["keys"]) if k["kty"] == "RSA"]}
    add_par_client(test_mode_app, jwks=only_rsa)
    assert _introspect(flow, assertion_form(flow, PAR_ID)).status_code == 401
