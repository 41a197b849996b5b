"""``eid token dpop-proof``: a DPoP proof (RFC 9449 §4.2) for one request, for testers
whose portals are written in other languages (and for curl).

With ``--key-file`` the proof is signed by that private JWK (ES256, PS256 or EdDSA:
the algorithms the login service accepts, FAPI 2.0 §5.4.1); without, by a fresh
ES256 key, printed after the proof so the next proofs can use it too.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from eid.errors import ConfigurationError, KeySourceError

__all__ = ["dpop_proof", "register_dpop_proof"]


def _key(path: str | None) -> tuple[Any, dict[str, Any] | None]:
    from eid.signing import SigningKey

    if path is None:
        key, jwk = SigningKey.generate("ES256", "dpop")
        return key, dict(jwk)
    try:
        jwk = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigurationError(f"cannot read the key file {path}: {exc}",
                                 code="usage") from None
    if not isinstance(jwk, dict):
        raise ConfigurationError("the key file must hold one private JWK", code="usage")
    try:
        return SigningKey.from_jwk({"kid": "dpop", **jwk}), None
    except KeySourceError as exc:
        raise ConfigurationError(f"the key file is not a private JWK: {exc.message}",
                                 code="usage") from None


def dpop_proof(args: argparse.Namespace) -> int:
    from eid.oidc import DPOP_ALGS, DpopKey, jwk_thumbprint

    key, generated = _key(args.key_file)
    if key.alg not in DPOP_ALGS:
        raise ConfigurationError(f"DPoP proofs use {' '.join(DPOP_ALGS)}, not {key.alg}",
                                 code="usage")
    proof = DpopKey(key).proof(args.method, args.url, access_token=args.access_token,
                               nonce=args.nonce)
    if args.json:
        out: dict[str, Any] = {"proof": proof, "jkt": jwk_thumbprint(key.public_jwk)}
        if generated is not None:
            out["key"] = generated
        json.dump(out, sys.stdout, indent=1)
        print()
        return 0
    print(proof)
    if generated is not None:
        print(json.dumps(generated), file=sys.stderr)
    return 0


def register_dpop_proof(actions: Any) -> None:
    """Add ``dpop-proof`` to the ``eid token`` actions."""
    p = actions.add_parser(
        "dpop-proof", help="print a DPoP proof for one request",
        description="Print a DPoP proof JWT (RFC 9449) for the DPoP header of one request. "
                    "Without --key-file a fresh ES256 key signs it; its private JWK goes to "
                    "stderr, to pass as --key-file next time.")
    p.add_argument("--method", required=True, help="the request's method (htm)")
    p.add_argument("--url", required=True, help="the request's URL (htu: query dropped)")
    p.add_argument("--access-token", help="the access token sent with it (ath)")
    p.add_argument("--nonce", help="the server's DPoP-Nonce")
    p.add_argument("--key-file", help="a private JWK (JSON) to sign with")
    p.add_argument("--json", action="store_true",
                   help="one JSON object: proof, jkt and the generated key")
    p.set_defaults(func=dpop_proof)
