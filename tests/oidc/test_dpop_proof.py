"""Checking DPoP proofs (RFC 9449 §4.3) and JWK thumbprints (RFC 7638)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from joserfc.jwk import ECKey, OKPKey, RSAKey

from eid.datafiles import fixture_path, read_json
from eid.errors import InvalidDpopProof, UseDpopNonce
from eid.oidc import DpopKey, DpopNonces, jwk_thumbprint, verify_dpop_proof
from eid.oidc.dpop_proof import access_token_hash, normalise_htu
from eid.signing import SigningKey, sign_segments
from eid.verify._codec import b64url_encode

NOW = 1_764_000_000
URL = "https://login.eid.test/token"
_PUBLIC = ("kty", "crv", "x", "y", "n", "e")


def _seg(doc: dict[str, Any]) -> str:
    return b64url_encode(json.dumps(doc, separators=(",", ":")).encode())


def _jwk(key: SigningKey) -> dict[str, Any]:
    return {k: v for k, v in key.public_jwk.items() if k in _PUBLIC}


def _proof(key: SigningKey, *, header: dict[str, Any] | None = None,
           claims: dict[str, Any] | None = None, drop: tuple[str, ...] = ()) -> str:
    head = {"typ": "dpop+jwt", "alg": key.alg, "jwk": _jwk(key), **(header or {})}
    body = {"jti": "jti-1", "htm": "POST", "htu": URL, "iat": NOW, **(claims or {})}
    for name in drop:
        head.pop(name, None)
        body.pop(name, None)
    return sign_segments(_seg(head), _seg(body), key)


class Seen:
    """The replay store: an ``EphemeralStore.add`` stand-in that records the TTL asked."""

    def __init__(self) -> None:
        self.keys: dict[str, float] = {}

    def __call__(self, key: str, ttl: float) -> bool:
        if key in self.keys:
            return False
        self.keys[key] = ttl
        return True


def _verify(proof: str | list[str], *, method: str = "POST", url: str = URL,
            now: float = NOW, seen: Callable[[str, float], bool] | None = None,
            **kw: Any) -> Any:
    values = [proof] if isinstance(proof, str) else proof
    return verify_dpop_proof(values, method=method, url=url, now=now,
                             remember_jti=seen or Seen(), **kw)


@pytest.fixture
def ec(signing_keys: dict[str, SigningKey]) -> SigningKey:
    return signing_keys["ec-p256"]


def test_a_valid_proof_gives_its_key_thumbprint(ec: SigningKey) -> None:
    seen = Seen()
    proof = _verify(_proof(ec), seen=seen)
    assert proof.jkt == ECKey.import_key(_jwk(ec)).thumbprint()
    assert (proof.jti, proof.iat, proof.nonce) == ("jti-1", NOW, None)
    # §11.1: the jti is remembered for the whole acceptance window (60 s each way).
    assert list(seen.keys.values()) == [120]


def test_a_proof_made_by_the_relying_party_passes() -> None:
    key = DpopKey(clock=lambda: NOW)
    proof = key.proof("GET", "https://login.eid.test/userinfo?x=1", access_token="at-1")
    result = _verify(proof, method="GET", url="https://login.eid.test/userinfo",
                     access_token="at-1")
    assert result.jkt == jwk_thumbprint(key.key.public_jwk)


@pytest.mark.parametrize("kid", ["rsa-2048-b", "ed25519"])
def test_ps256_and_eddsa_keys_are_accepted(signing_keys: dict[str, SigningKey],
                                           kid: str) -> None:
    jwk = dict(signing_keys[kid].public_jwk)
    key = SigningKey.from_jwk({**_private(kid), "alg": "PS256" if kid.startswith("rsa")
                               else "EdDSA"})
    expected = (RSAKey if kid.startswith("rsa") else OKPKey).import_key(
        {k: v for k, v in jwk.items() if k in _PUBLIC}).thumbprint()
    assert _verify(_proof(key)).jkt == expected


def _private(kid: str) -> dict[str, Any]:
    doc = read_json(fixture_path("keys/test-signing-keys.json"))
    return next(dict(k) for k in doc["keys"] if k["kid"] == kid)


def _rs256(signing_keys: dict[str, SigningKey]) -> str:
    key = SigningKey.from_jwk({**_private("rsa-2048"), "alg": "RS256"})
    return _proof(key)


def _hs256(ec: SigningKey) -> str:
    head = _seg({"typ": "dpop+jwt", "alg": "HS256", "jwk": _jwk(ec)})
    return f"{head}.{_seg({'jti': 'j', 'htm': 'POST', 'htu': URL, 'iat': NOW})}.c2ln"


def _none(ec: SigningKey) -> str:
    head = _seg({"typ": "dpop+jwt", "alg": "none", "jwk": _jwk(ec)})
    return f"{head}.{_seg({'jti': 'j', 'htm': 'POST', 'htu': URL, 'iat': NOW})}."


def _bad_signature(ec: SigningKey) -> str:
    head, _, sig = _proof(ec).split(".")
    other = _seg({"jti": "jti-2", "htm": "POST", "htu": URL, "iat": NOW})
    return f"{head}.{other}.{sig}"


def _other_key(ec: SigningKey, signing_keys: dict[str, SigningKey]) -> str:
    # Signed by one key, carrying another's public half.
    return _proof(ec, header={"jwk": _jwk(signing_keys["ec-p256-b"])})


_CASES: dict[str, Callable[[SigningKey, dict[str, SigningKey]], str | list[str]]] = {
    "no_typ": lambda k, _: _proof(k, drop=("typ",)),
    "typ_jwt": lambda k, _: _proof(k, header={"typ": "JWT"}),
    "alg_none": lambda k, _: _none(k),
    "alg_hs256": lambda k, _: _hs256(k),
    "alg_rs256": lambda k, s: _rs256(s),
    "no_jwk": lambda k, _: _proof(k, drop=("jwk",)),
    "private_jwk": lambda k, _: _proof(k, header={"jwk": {**_jwk(k), "d": "AAAA"}}),
    "symmetric_jwk": lambda k, _: _proof(k, header={"jwk": {"kty": "oct", "k": "AAAA"}}),
    "bad_signature": lambda k, _: _bad_signature(k),
    "signed_by_another_key": _other_key,
    "two_headers": lambda k, _: [_proof(k), _proof(k, claims={"jti": "jti-2"})],
    "no_header": lambda k, _: [],
    "not_a_jws": lambda k, _: "not.a.jws",
    "no_jti": lambda k, _: _proof(k, drop=("jti",)),
    "jti_not_a_string": lambda k, _: _proof(k, claims={"jti": 7}),
    "htm_get": lambda k, _: _proof(k, claims={"htm": "GET"}),
    "htm_lower_case": lambda k, _: _proof(k, claims={"htm": "post"}),
    "htu_other_host": lambda k, _: _proof(k, claims={"htu": "https://evil.test/token"}),
    "htu_other_path": lambda k, _: _proof(k, claims={"htu": URL + "/"}),
    "htu_http": lambda k, _: _proof(k, claims={"htu": "http://login.eid.test/token"}),
    "htu_not_a_url": lambda k, _: _proof(k, claims={"htu": "token"}),
    "iat_5_minutes_old": lambda k, _: _proof(k, claims={"iat": NOW - 300}),
    "iat_5_minutes_ahead": lambda k, _: _proof(k, claims={"iat": NOW + 300}),
    "iat_string": lambda k, _: _proof(k, claims={"iat": str(NOW)}),
    "iat_bool": lambda k, _: _proof(k, claims={"iat": True}),
    "no_iat": lambda k, _: _proof(k, drop=("iat",)),
}


@pytest.mark.parametrize("case", list(_CASES))
def test_a_bad_proof_is_refused(case: str, ec: SigningKey,
                                signing_keys: dict[str, SigningKey]) -> None:
    with pytest.raises(InvalidDpopProof) as info:
        _verify(_CASES[case](ec, signing_keys))
    assert info.value.code == "invalid_dpop_proof"


@pytest.mark.parametrize("offset", [-10, 10, -60, 60])
def test_dpop_proof_iat_10_seconds_early_and_late_is_accepted(ec: SigningKey,
                                                              offset: int) -> None:
    assert _verify(_proof(ec, claims={"iat": NOW + offset})).iat == NOW + offset


@pytest.mark.parametrize("offset", [-61, 61])
def test_dpop_proof_iat_outside_the_window_is_refused(ec: SigningKey, offset: int) -> None:
    with pytest.raises(InvalidDpopProof, match=r"future|old"):
        _verify(_proof(ec, claims={"iat": NOW + offset}))


def test_dpop_replay_is_refused(ec: SigningKey) -> None:
    seen = Seen()
    proof = _proof(ec)
    _verify(proof, seen=seen)
    with pytest.raises(InvalidDpopProof, match="replay"):
        _verify(proof, seen=seen)


def test_a_refused_proof_does_not_use_up_its_jti(ec: SigningKey) -> None:
    seen = Seen()
    with pytest.raises(InvalidDpopProof):
        _verify(_proof(ec), seen=seen, method="GET")
    assert not seen.keys


@pytest.mark.parametrize(("ath", "token"), [
    (None, "at-1"),
    ("wrong", "at-1"),
    (access_token_hash("at-2"), "at-1"),
])
def test_ath_must_hash_the_presented_access_token(ec: SigningKey, ath: str | None,
                                                  token: str) -> None:
    claims = {} if ath is None else {"ath": ath}
    with pytest.raises(InvalidDpopProof, match="ath"):
        _verify(_proof(ec, claims=claims), access_token=token)


@pytest.mark.parametrize(("claims", "error"), [
    ({}, UseDpopNonce),
    ({"nonce": "stale"}, UseDpopNonce),
    ({"nonce": 7}, InvalidDpopProof),
])
def test_a_required_nonce_must_be_current(ec: SigningKey, claims: dict[str, Any],
                                          error: type[Exception]) -> None:
    nonces = DpopNonces(b"k" * 32)
    with pytest.raises(error):
        _verify(_proof(ec, claims=claims), nonce_valid=lambda n: nonces.valid(n, NOW))


def test_the_current_and_previous_nonce_pass(ec: SigningKey) -> None:
    nonces = DpopNonces(b"k" * 32, period=300)
    old = nonces.current(NOW - 300)
    proof = _verify(_proof(ec, claims={"nonce": old}),
                    nonce_valid=lambda n: nonces.valid(n, NOW))
    assert proof.nonce == old
    assert not nonces.valid(nonces.current(NOW - 600), NOW)
    assert not DpopNonces(b"x" * 32).valid(nonces.current(NOW), NOW)  # another instance


@pytest.mark.parametrize(("given", "expected"), [
    ("HTTPS://Login.EID.test/token", "https://login.eid.test/token"),
    ("https://login.eid.test:443/token", "https://login.eid.test/token"),
    ("http://127.0.0.1:80/token", "http://127.0.0.1/token"),
    ("http://127.0.0.1:5000/token?x#y", "http://127.0.0.1:5000/token"),
    ("https://login.eid.test", "https://login.eid.test/"),
    ("http://[::1]:8080/token", "http://[::1]:8080/token"),
])
def test_htu_is_compared_in_normal_form(given: str, expected: str) -> None:
    # RFC 9449 §4.3 point 9 with RFC 3986 §6.2.2 (case) and §6.2.3 (default port).
    assert normalise_htu(given) == expected


@pytest.mark.parametrize("htu", ["HTTPS://LOGIN.eid.test:443/token", URL + "?a=1",
                                 URL + "#f"])
def test_an_equivalent_htu_is_accepted(ec: SigningKey, htu: str) -> None:
    # §4.3 point 9: compared "ignoring any query and fragment parts", on either side.
    assert _verify(_proof(ec, claims={"htu": htu}), url=URL + "?x=2").jti == "jti-1"


def test_thumbprint_is_rfc_7638(ec: SigningKey) -> None:
    assert jwk_thumbprint(_jwk(ec)) == ECKey.import_key(_jwk(ec)).thumbprint()
    assert jwk_thumbprint({**_jwk(ec), "kid": "ignored"}) == jwk_thumbprint(_jwk(ec))
    with pytest.raises(InvalidDpopProof):
        jwk_thumbprint({"kty": "oct", "k": "AAAA"})
