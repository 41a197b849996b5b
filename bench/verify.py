"""How fast ``eid.verify`` checks an ID token, next to the raw floor and pyjwt.

    python -m bench.verify            # make bench
    python -m bench.verify --quick    # smoke run (a test uses it); the figures mean nothing

For each algorithm (RS256, PS256, ES256, EdDSA) one realistic ID token is signed with the test
key from ``fixtures/keys`` and verified, in one run, by four contenders:

* **dict**: :func:`eid.verify.verify_id_token` with ``jwks=`` the JWKS dict (the form the README
  shows; the same dict object on every call, as a portal that loaded it once would pass it),
  checking iss, aud, exp, iat, nonce and ``min_acr`` (plus everything the library always checks);
* **KeySet**: the same call with a pre-parsed :class:`~eid.verify.KeySet`;
* **floor**: the least any verifier must do: split on ``.``, base64url-decode the three segments,
  ``json.loads`` header and payload, and the bare ``cryptography`` ``verify()`` with a pre-loaded
  key (for ES256 including the R||S -> DER conversion);
* **pyjwt**: ``jwt.decode`` with a pre-loaded key object and the same checks (iss, aud, exp, iat
  required; nonce and acr compared by hand afterwards).

CPU time (``time.process_time``) is measured in interleaved slices (see :mod:`bench._timing`);
the ratios are per-round medians, robust to a busy shared machine.
"""

from __future__ import annotations

import argparse
import base64
import hmac
import json
import platform
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Final

import cryptography
import jwt
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from bench._args import positive
from bench._timing import interleaved
from eid.verify import Jwks, KeySet, verify_id_token

__all__ = ["ALGORITHMS", "COLUMNS", "GOAL", "main"]

ROOT: Final = Path(__file__).resolve().parents[1]
KEY_FILE: Final = ROOT / "fixtures" / "keys" / "test-signing-keys.json"
ALGORITHMS: Final = ("RS256", "PS256", "ES256", "EdDSA")
_KTY: Final = {"RS256": "RSA", "PS256": "RSA", "ES256": "EC", "EdDSA": "OKP"}
_PRIVATE: Final = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})

ISSUER: Final = "https://login.eid.test"
AUDIENCE: Final = "portal-binh-duong"
NONCE: Final = "n-0S6_WzA2Mj"
MIN_ACR: Final = "LoA2"
_ACR_RANK: Final = {"LoA1": 0, "LoA2": 1}

#: Both eid paths should reach this fraction of the floor's rate (issue 11).
GOAL: Final = 0.95
#: The table's columns, with their widths.
COLUMNS: Final = (("alg", 6), ("dict verif/s", 12), ("KeySet verif/s", 14),
                  ("floor verif/s", 13), ("pyjwt verif/s", 13), ("dict/floor", 10),
                  ("KeySet/floor", 12), ("pyjwt/floor", 11))
_EID_PATHS: Final = ("dict", "KeySet")

_SHA256 = hashes.SHA256()
_PKCS1 = padding.PKCS1v15()
_PSS = padding.PSS(mgf=padding.MGF1(_SHA256), salt_length=32)  # RFC 7518 §3.5
_ECDSA = ec.ECDSA(_SHA256)

Verifier = Callable[[], object]


def _signing_jwk(jwks: dict[str, Any], alg: str) -> dict[str, Any]:
    """The fixture key for ``alg``: the one whose ``alg`` names it, else the first of its type."""
    keys = [k for k in jwks["keys"] if k.get("kty") == _KTY[alg]]
    return next((k for k in keys if k.get("alg") == alg), keys[0])


def _public_jwk(jwk: dict[str, Any]) -> dict[str, Any]:
    # Private members would make the verifier refuse the set, and the private JWK's
    # key_ops ["sign"] does not allow "verify" (RFC 7517 §4.3).
    return {k: v for k, v in jwk.items() if k not in _PRIVATE and k != "key_ops"}


def _claims(now: int) -> dict[str, Any]:
    return {
        "iss": ISSUER, "sub": "pairwise-7f3a9c0e1d", "aud": AUDIENCE,
        "exp": now + 3600, "iat": now, "auth_time": now - 30, "nonce": NONCE,
        "acr": "LoA2", "amr": ["pwd", "otp"], "sid": "08a5019c-17e1-4977-8f42-65a12843ea02",
    }


def _pad(segment: str) -> str:
    return segment + "=" * (-len(segment) % 4)


def _floor(token: str, alg: str, key: Any) -> Verifier:
    """The raw floor for ``alg``: decode, parse, verify; nothing else."""
    b64 = base64.urlsafe_b64decode
    loads = json.loads

    if alg == "ES256":
        def run() -> object:
            h, p, s = token.split(".")
            loads(b64(h + "=" * (-len(h) % 4)))
            claims = loads(b64(p + "=" * (-len(p) % 4)))
            sig = b64(s + "=" * (-len(s) % 4))
            der = encode_dss_signature(int.from_bytes(sig[:32], "big"),
                                       int.from_bytes(sig[32:], "big"))
            key.verify(der, f"{h}.{p}".encode(), _ECDSA)
            return claims
    elif alg == "EdDSA":
        def run() -> object:
            h, p, s = token.split(".")
            loads(b64(h + "=" * (-len(h) % 4)))
            claims = loads(b64(p + "=" * (-len(p) % 4)))
            key.verify(b64(s + "=" * (-len(s) % 4)), f"{h}.{p}".encode())
            return claims
    else:
        pad = _PKCS1 if alg == "RS256" else _PSS

        def run() -> object:
            h, p, s = token.split(".")
            loads(b64(h + "=" * (-len(h) % 4)))
            claims = loads(b64(p + "=" * (-len(p) % 4)))
            key.verify(b64(s + "=" * (-len(s) % 4)), f"{h}.{p}".encode(), pad, _SHA256)
            return claims
    return run


def _pyjwt(token: str, alg: str, key: Any) -> Verifier:
    decode = jwt.decode
    options: Any = {"require": ["exp", "iat", "iss", "aud", "sub"]}

    def run() -> object:
        claims = decode(token, key, algorithms=[alg], audience=AUDIENCE, issuer=ISSUER,
                        leeway=60, options=options)
        nonce = claims.get("nonce")
        if not isinstance(nonce, str) or not hmac.compare_digest(nonce, NONCE):
            raise ValueError("nonce mismatch")
        if _ACR_RANK.get(str(claims.get("acr")), -1) < _ACR_RANK[MIN_ACR]:
            raise ValueError("acr too low")
        return claims
    return run


def _eid(token: str, jwks: Jwks, now: int) -> Verifier:
    def run() -> object:
        return verify_id_token(token, issuer=ISSUER, audience=AUDIENCE, jwks=jwks,
                               nonce=NONCE, min_acr=MIN_ACR, now=now)
    return run


def contenders(alg: str, key_file: Path = KEY_FILE) -> dict[str, Verifier]:
    """The four verifiers of one token signed with ``alg``, each checked to accept it once."""
    jwks = json.loads(key_file.read_text(encoding="utf-8"))
    jwk = _signing_jwk(jwks, alg)
    private = jwt.PyJWK(jwk, algorithm=alg).key
    now = int(time.time())
    token = jwt.encode(_claims(now), private, algorithm=alg,
                       headers={"kid": jwk["kid"], "typ": "JWT"})
    # Every fixture key is in the trusted set, as in a real JWKS (the kid picks one).
    trusted = {"keys": [_public_jwk(k) for k in jwks["keys"]]}
    public = private.public_key()
    verifiers = {
        "dict": _eid(token, trusted, now),
        "KeySet": _eid(token, KeySet.from_jwks(trusted), now),
        "floor": _floor(token, alg, public),
        "pyjwt": _pyjwt(token, alg, public),
    }
    for name, verify in verifiers.items():
        claims = verify()
        if not isinstance(claims, dict) or claims.get("sub") != _claims(now)["sub"]:
            raise RuntimeError(f"{name} did not accept the {alg} token")
    return verifiers


def _row(cells: Sequence[str]) -> str:
    return " | ".join(c.rjust(w) if i else c.ljust(w) for i, (c, (_, w)) in
                      enumerate(zip(cells, COLUMNS, strict=True)))


def _rate(value: float) -> str:
    return f"{value:,.0f}" if value != float("inf") else "inf"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.verify", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="a few small rounds: checks the benchmark runs, not the speed")
    parser.add_argument("--rounds", type=positive,
                        help="measured rounds per algorithm (default 15)")
    parser.add_argument("--batch", type=positive,
                        help="verifications per contender per round (default 400)")
    parser.add_argument("--alg", action="append", choices=ALGORITHMS,
                        help="only this algorithm (repeatable)")
    args = parser.parse_args(argv)
    rounds = (3 if args.quick else 15) if args.rounds is None else args.rounds
    batch = (20 if args.quick else 400) if args.batch is None else args.batch
    algs = args.alg or list(ALGORITHMS)

    print(f"Python {platform.python_version()}, cryptography {cryptography.__version__}, "
          f"pyjwt {jwt.__version__}; CPU time, {rounds} interleaved rounds x {batch} "
          f"verifications; medians")
    print(_row([name for name, _ in COLUMNS]))
    print("-+-".join("-" * w for _, w in COLUMNS))
    short: list[str] = []
    for alg in algs:
        m = interleaved(contenders(alg), baseline="floor", rounds=rounds, batch=batch)
        rates = [_rate(m.rates[name]) for name in (*_EID_PATHS, "floor", "pyjwt")]
        ratios = [f"{m.median_ratio[name]:.2f}x" for name in (*_EID_PATHS, "pyjwt")]
        print(_row([alg, *rates, *ratios]), flush=True)
        short += [f"{alg} {name} ({m.median_ratio[name]:.3f}x)" for name in _EID_PATHS
                  if m.median_ratio[name] < GOAL]
    if short and not args.quick:
        print(f"below the {GOAL:.2f}x goal: {', '.join(short)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
