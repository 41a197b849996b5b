"""``eid token mint`` (a signed ID token and the JWKS that verifies it) and
``eid token client-assertion`` (a ``private_key_jwt`` client assertion), for testers
whose portals are written in other languages."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from eid.errors import ConfigurationError
from eid.testing.dpop_cli import register_dpop_proof

__all__ = ["register"]


def _claim(text: str) -> tuple[str, Any]:
    name, sep, raw = text.partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    try:
        return name, json.loads(raw)  # numbers, booleans, lists, objects
    except ValueError:
        return name, raw


def mint(args: argparse.Namespace) -> int:
    from eid.population.fixtures import load_fixture_registry
    from eid.testing.faults import TOKEN_FAULTS
    from eid.testing.issuer import TestIssuer

    if args.list_faults:
        for fault in TOKEN_FAULTS.values():
            print(f"{fault.name:18} {fault.expected_code:18} {fault.description}")
        return 0
    if not args.aud:
        raise ConfigurationError("--aud is required to mint a token", code="usage")
    issuer = TestIssuer(args.issuer, registry=load_fixture_registry(args.identities),
                        alg=args.alg)
    token = issuer.id_token(args.persona, audience=args.aud, nonce=args.nonce, acr=args.acr,
                            lifetime=args.lifetime, claims=dict(args.claim), fault=args.fault)
    if args.json:
        json.dump({"id_token": token, "jwks": issuer.jwks(), "issuer": issuer.issuer},
                  sys.stdout, ensure_ascii=False, indent=1)
        print()
    else:
        print(token)
        print(json.dumps(issuer.jwks()), file=sys.stderr if args.token_only else sys.stdout)
    return 0


def client_assertion(args: argparse.Namespace) -> int:
    from eid.signing import SigningKey, load_signing_keys, public_jwks
    from eid.testing.assertions import make_client_assertion

    if args.key_file:
        keys = load_signing_keys(args.key_file)
        if args.kid is None and len(keys) != 1:
            raise ConfigurationError(f"--kid is needed: the file holds {sorted(keys)}",
                                     code="usage")
        key = keys.get(args.kid) if args.kid else next(iter(keys.values()))
        if key is None:
            raise ConfigurationError(f"no key {args.kid!r} in {args.key_file}", code="usage")
    else:
        key, _ = SigningKey.generate(args.alg, args.kid or "client-assertion-test")
    print(make_client_assertion(args.client_id, args.aud, key, lifetime=args.lifetime))
    if not args.key_file:  # a fresh key: its JWKS is what the client must register
        print(json.dumps(public_jwks([key])), file=sys.stderr)
    return 0


def register(sub: Any) -> None:
    token = sub.add_parser("token", help="test tokens for portal testers")
    actions = token.add_subparsers(dest="token_command", required=True, metavar="ACTION")
    p = actions.add_parser("mint", help="print a signed ID token and the JWKS that verifies it",
                           description="Mint an ID token for a fixture citizen with fresh test "
                                       "keys; print the token, then the JWKS (one line each).")
    p.add_argument("--persona", help="ID number of a fixture citizen (omit for a bare subject)")
    p.add_argument("--aud", help="the client_id the token is for (required to mint)")
    p.add_argument("--issuer", default="https://login.eid.test")
    p.add_argument("--nonce")
    p.add_argument("--acr", choices=["LoA1", "LoA2"],
                   help="default: the persona's account level")
    p.add_argument("--claim", action="append", type=_claim, default=[], metavar="NAME=VALUE",
                   help="add or override a claim (VALUE parsed as JSON when it is JSON)")
    p.add_argument("--fault", help="inject a named fault (see --list-faults)")
    p.add_argument("--list-faults", action="store_true", help="list the faults and exit")
    p.add_argument("--alg", default="ES256", choices=["ES256", "RS256", "PS256", "EdDSA"])
    p.add_argument("--lifetime", type=int, default=300, help="seconds until exp")
    p.add_argument("--identities", help="a tester's own identities file (same format)")
    p.add_argument("--json", action="store_true", help="one JSON object with both")
    p.add_argument("--token-only", action="store_true", help="JWKS to stderr")
    p.set_defaults(func=mint)
    c = actions.add_parser(
        "client-assertion", help="print a private_key_jwt client assertion (RFC 7523)",
        description="Sign a client assertion (iss = sub = client id, a fresh jti) with the "
                    "client's private key; without --key-file a fresh key is made and its "
                    "JWKS printed to stderr.")
    c.add_argument("--client-id", required=True)
    c.add_argument("--aud", required=True, help="the provider's issuer identifier")
    c.add_argument("--key-file", help="private JWKs ({\"keys\": [...]})")
    c.add_argument("--kid", help="which key of --key-file (or the fresh key's kid)")
    c.add_argument("--alg", default="ES256", choices=["ES256", "PS256"],
                   help="for a fresh key only")
    c.add_argument("--lifetime", type=int, default=60, help="seconds until exp (max 300)")
    c.set_defaults(func=client_assertion)
    register_dpop_proof(actions)
