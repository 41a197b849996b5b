"""``eid demo``: mint an ID token with the fixture test keys and verify it.

The main job until the login service exists: it shows the verifier accepting
a good token and rejecting tampered ones, each with its error code.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from eid.datafiles import fixture_path
from eid.errors import TokenError
from eid.signing import load_signing_keys, public_jwks, sign_token
from eid.verify import KeySet, verify_id_token

__all__ = ["register", "run"]

ISSUER = "https://login.eid.test"
CLIENT = "portal-demo"


def run(args: argparse.Namespace) -> int:
    path = args.keys or fixture_path("keys", "test-signing-keys.json")
    keys = load_signing_keys(path)
    keyset = KeySet.from_jwks(public_jwks(keys))
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": ISSUER, "sub": "demo-citizen", "aud": CLIENT, "iat": now, "exp": now + 300,
        "auth_time": now, "nonce": "demo-nonce", "acr": "LoA2", "amr": ["pwd"],
    }

    def check(token: str) -> dict[str, Any]:
        return dict(verify_id_token(token, issuer=ISSUER, audience=CLIENT, jwks=keyset,
                                    nonce="demo-nonce", min_acr="LoA2"))

    print(f"Keys: {', '.join(keys)} ({path})")
    for kid, key in keys.items():
        token = sign_token(claims, key)
        verified = check(token)
        print(f"  {key.alg:7} {kid:11} accepted: sub={verified['sub']} acr={verified['acr']}")
    token = sign_token(claims, keys["ec-p256"])
    cases = {
        "tampered token": token[:-90] + ("A" if token[-90] != "A" else "B") + token[-89:],
        "wrong audience": sign_token({**claims, "aud": "other"}, keys["ec-p256"]),
        "expired": sign_token({**claims, "exp": now - 120}, keys["ec-p256"]),
        "level 1 where 2 required": sign_token({**claims, "acr": "LoA1"}, keys["ec-p256"]),
        "alg none": "eyJhbGciOiJub25lIn0.e30.",
    }
    for name, bad in cases.items():
        try:
            check(bad)
            print(f"  {name:26} ACCEPTED (unexpected)")
            return 1
        except TokenError as exc:
            print(f"  {name:26} rejected: {exc.code}")
    return 0


def register(sub: Any) -> None:
    parser = sub.add_parser("demo", help="mint and verify ID tokens with the fixture keys")
    parser.add_argument("--keys", type=Path, help="file of private test JWKs "
                        "(default: the shipped test keys)")
    parser.set_defaults(func=run)
