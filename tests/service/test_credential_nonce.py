"""OpenID4VCI c_nonce values (§7) that carry their own proof: nothing is stored when one is
handed out, a used one is kept until it would have expired."""

from __future__ import annotations

from typing import Any

import pytest

from eid.errors import ConfigurationError
from eid.verify._codec import b64url_decode, b64url_encode
from service.credential_nonce import C_NONCE_TTL, CNonces
from service.provider import Provider
from tests.service.flow import Flow

SECRET = b"s" * 32
NOW = 1_764_600_000


def test_a_fresh_nonce_is_valid_for_its_ttl_and_no_longer() -> None:
    nonces = CNonces(SECRET)
    nonce = nonces.new(NOW)
    assert nonces.expires(nonce, NOW) == NOW + C_NONCE_TTL
    assert nonces.expires(nonce, NOW + C_NONCE_TTL - 1) == NOW + C_NONCE_TTL
    assert nonces.expires(nonce, NOW + C_NONCE_TTL) is None


def test_each_nonce_is_new() -> None:
    nonces = CNonces(SECRET)
    assert len({nonces.new(NOW) for _ in range(100)}) == 100


@pytest.mark.parametrize(("offset", "valid"), [(-5, True), (-6, False)])
def test_a_nonce_from_the_future_passes_only_within_the_leeway(offset: int,
                                                               valid: bool) -> None:
    nonces = CNonces(SECRET)
    assert (nonces.expires(nonces.new(NOW), NOW + offset) is not None) is valid


def _flipped(nonce: str, index: int) -> str:
    raw = bytearray(b64url_decode(nonce, "nonce"))
    raw[index] ^= 1
    return b64url_encode(bytes(raw))


@pytest.mark.parametrize("case", ["time", "random", "mac", "other secret", "short", "long",
                                  "not base64url", "padded", "non-ASCII", "empty", "huge"])
def test_a_nonce_not_made_by_this_issuer_is_refused(case: str) -> None:
    nonces = CNonces(SECRET)
    good = nonces.new(NOW)
    forged = {
        "time": _flipped(good, 7), "random": _flipped(good, 10), "mac": _flipped(good, 39),
        "other secret": CNonces(b"t" * 32).new(NOW),
        "short": b64url_encode(b64url_decode(good, "nonce")[:-1]),
        "long": b64url_encode(b64url_decode(good, "nonce") + b"x"),
        "not base64url": good[:-1] + "*", "padded": good + "=", "non-ASCII": good[:-1] + "é",
        "empty": "", "huge": "A" * 100_000,
    }[case]
    assert nonces.expires(forged, NOW) is None


@pytest.mark.parametrize(("secret", "ttl"), [(b"s" * 15, 120), (SECRET, 0), (SECRET, -1)])
def test_a_weak_secret_or_a_ttl_that_is_not_positive_is_refused(secret: bytes,
                                                                ttl: int) -> None:
    with pytest.raises(ConfigurationError) as info:
        CNonces(secret, ttl=ttl)
    assert info.value.code == "invalid_argument"


def test_the_nonce_endpoint_stores_nothing(flow: Flow, monkeypatch: pytest.MonkeyPatch
                                           ) -> None:
    # Anyone may ask (§7.1): asking must not fill the short-lived store.
    p: Provider = flow.app.extensions["eid"]
    writes: list[Any] = []
    for name in ("put", "add", "write_many", "incr", "reserve"):
        if hasattr(p.ephemeral, name):
            monkeypatch.setattr(p.ephemeral, name,
                                lambda *args, _n=name, **kwargs: writes.append(_n))
    for _ in range(20):
        assert flow.api.post("/nonce").status_code == 200
    assert writes == []


def test_a_nonce_from_one_worker_passes_at_another(flow: Flow) -> None:
    # Every worker of an instance reads the same secret from the durable store.
    p: Provider = flow.app.extensions["eid"]
    other = CNonces(p.durable.instance_secret("c_nonce"))
    assert other.expires(flow.api.post("/nonce").json["c_nonce"], p.now()) is not None
