"""``eid token dpop-proof``: proofs the login service accepts, for testers in other languages."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from eid.cli import main
from eid.datafiles import fixture_path, read_json
from eid.oidc import jwk_thumbprint, verify_dpop_proof

URL = "http://127.0.0.1:5000/userinfo"


def _private(kid: str) -> dict[str, object]:
    doc = read_json(fixture_path("keys/test-signing-keys.json"))
    return next(dict(k) for k in doc["keys"] if k["kid"] == kid)


def _run(capsys: pytest.CaptureFixture[str], *extra: str) -> dict[str, object]:
    assert main(["token", "dpop-proof", "--method", "GET", "--url", URL + "?q=1",
                 "--access-token", "at-1", "--nonce", "n-1", "--json", *extra]) == 0
    out: dict[str, object] = json.loads(capsys.readouterr().out)
    return out


def test_a_generated_key_signs_a_proof_the_service_accepts(
        capsys: pytest.CaptureFixture[str]) -> None:
    out = _run(capsys)
    assert isinstance(out["proof"], str) and isinstance(out["key"], dict)
    proof = verify_dpop_proof([out["proof"]], method="GET", url=URL, now=time.time(),
                              remember_jti=lambda k, t: True, access_token="at-1",
                              nonce_valid=lambda n: n == "n-1")
    assert proof.jkt == out["jkt"] == jwk_thumbprint(out["key"])


def test_a_key_file_signs_the_proof(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    key = tmp_path / "dpop.json"
    jwk = _private("ec-p256-b")
    key.write_text(json.dumps(jwk), encoding="utf-8")
    out = _run(capsys, "--key-file", str(key))
    assert "key" not in out  # nothing generated, nothing printed
    assert out["jkt"] == jwk_thumbprint(jwk)


@pytest.mark.parametrize("content", ['{"kty": "RSA"}', "not json", "[]"])
def test_a_bad_key_file_is_a_usage_error(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                         content: str) -> None:
    key = tmp_path / "dpop.json"
    key.write_text(content, encoding="utf-8")
    assert main(["token", "dpop-proof", "--method", "GET", "--url", URL,
                 "--key-file", str(key)]) != 0
    assert "usage" in capsys.readouterr().err


def test_an_rs256_key_is_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    key = tmp_path / "dpop.json"
    key.write_text(json.dumps({**_private("rsa-2048"), "alg": "RS256"}), encoding="utf-8")
    assert main(["token", "dpop-proof", "--method", "GET", "--url", URL,
                 "--key-file", str(key)]) != 0
    assert "ES256 PS256 EdDSA" in capsys.readouterr().err
