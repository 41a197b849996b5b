"""What the FAPI 2.0 additions cost per login flow, next to the plain flow, in one run.

    python -m bench.fapi              # make bench
    python -m bench.fapi --profile    # plus a cProfile of plain and FAPI flows
    python -m bench.fapi --quick      # smoke run (a test uses it); the figures mean nothing

What is measured: complete logins, in process, against the login service app (Flask's test
client, test mode, an in-memory short-lived store and a SQLite durable store in a temporary
directory; no network, no sockets). Each flow is the whole of both sides, the way a portal
runs it: :class:`eid.oidc.RelyingParty` starts the login (pushing it when PAR is on), a fresh
browser follows the authorization URL carrying ``X-Eid-Test-Identity`` (a silent sign-in of a
level 2 fixture citizen, so no login or consent page is rendered), and the relying party
redeems the code, verifies the ID token with :mod:`eid.verify` and fetches userinfo. The CPU
time (``time.process_time``) is therefore server + client together, as one process spends it.

Contenders, all in the same interleaved rounds (see :mod:`bench._timing`):

* **plain**: ``eid-test-client``, ``client_secret_basic``, Bearer tokens;
* **+PAR**: the same client pushing its request (RFC 9126);
* **+private_key_jwt**: a bench-local copy of the FAPI client that is not fapi2 (no PAR, no
  DPoP): ES256 client assertions (``ec-p256-b``) at the token endpoint;
* **+DPoP**: ``eid-test-client`` with DPoP (RFC 9449): proofs at token and userinfo, the
  tokens bound to the key, and server nonces (the service runs with ``dpop_nonce="always"``,
  so the nonce is demanded of this client as of a fapi2 one; the relying party keeps the
  last nonce, as a portal would, and retries only when it rotates);
* **FAPI**: ``eid-fapi-test-client`` (fapi2): PAR + private_key_jwt + DPoP, assertions and
  proofs at PAR and at the token endpoint, a proof at userinfo;
* **FAPI+JWE**: the FAPI flow with signed-then-encrypted ID tokens (``ECDH-ES+A256KW`` /
  ``A256GCM`` to the portal's ``ec-p256-enc`` key of ``fixtures/keys/test-encryption-keys.json``;
  a bench-local copy of the FAPI client registering it), decrypted by the relying party.

The marginal cost of an addition is its flow's CPU time minus the plain flow's, taken per
round (both measured under the same conditions) and then the median over the rounds.
"""

from __future__ import annotations

import argparse
import cProfile
import dataclasses
import importlib.metadata
import io
import json
import platform
import pstats
import statistics
import tempfile
import time
import urllib.parse
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Final

import cryptography
from flask import Flask

from bench._args import positive
from bench._timing import interleaved
from eid.oidc import RelyingParty
from eid.signing import SigningKey, load_signing_keys
from service import create_app
from service.config import Settings
from service.in_process import InProcessHttp

__all__ = ["COLUMNS", "CONTENDERS", "contenders", "main", "service"]

ROOT: Final = Path(__file__).resolve().parents[1]
KEY_FILE: Final = ROOT / "fixtures" / "keys" / "test-signing-keys.json"
ENC_KEY_FILE: Final = ROOT / "fixtures" / "keys" / "test-encryption-keys.json"
CITIZEN: Final = "074078000101"  # fixtures/README.md: Nguyễn Văn Hùng, level 2
PLAIN_ID: Final = "eid-test-client"
PLAIN_SECRET: Final = "eid-test-secret"  # noqa: S105 - published in service/README.md
PLAIN_REDIRECT: Final = "http://127.0.0.1:9999/cb"
FAPI_ID: Final = "eid-fapi-test-client"
FAPI_REDIRECT: Final = "http://127.0.0.1:9999/fapi-cb"
PKJWT_ID: Final = "bench-private-key-jwt"
PKJWT_REDIRECT: Final = "http://127.0.0.1:9999/bench-pkjwt-cb"
JWE_ID: Final = "bench-fapi-jwe"
JWE_REDIRECT: Final = "http://127.0.0.1:9999/bench-jwe-cb"
JWE_KID: Final = "ec-p256-enc"
#: OIDC Registration §2 id_token_encrypted_response_alg / _enc, as FAPI clients register them.
JWE_ALGS: Final = ("ECDH-ES+A256KW", "A256GCM")

#: The contenders, in table order; "plain" is the baseline.
CONTENDERS: Final = ("plain", "+PAR", "+private_key_jwt", "+DPoP", "FAPI", "FAPI+JWE")
#: The table's columns, with their widths.
COLUMNS: Final = (("contender", 16), ("flows", 5), ("flows/s", 7), ("CPU ms/flow", 11),
                  ("rate/plain", 10), ("CPU/plain", 9), ("+CPU ms", 7))

Flow = Callable[[], object]


@contextmanager
def service() -> Iterator[Flask]:
    """The login service in test mode, on a throw-away instance directory, with the
    bench-local private_key_jwt client registered beside the fixture test clients."""
    with tempfile.TemporaryDirectory(prefix="eid-bench-fapi-") as tmp:
        settings = Settings(instance=Path(tmp), durable_path=str(Path(tmp) / "eid.sqlite"),
                            test_mode=True, dpop_nonce="always")
        app = create_app({"TESTING": True, "EID_SETTINGS": settings})
        p = app.extensions["eid"]
        fapi = p.clients.get(FAPI_ID)
        if fapi is None:
            raise RuntimeError(f"{FAPI_ID} is not registered in test mode")
        # The FAPI client's keys and authentication without the rest of the fapi2 profile.
        local = dataclasses.replace(fapi, client_id=PKJWT_ID, redirect_uris=(PKJWT_REDIRECT,),
                                    profile="oidc", dpop_bound=False, require_par=False)
        # The FAPI client again, with an encryption key and encrypted ID tokens.
        public = {k: v for k, v in _enc_jwk().items() if k != "d"}
        jwe = dataclasses.replace(fapi, client_id=JWE_ID, redirect_uris=(JWE_REDIRECT,),
                                  jwks={"keys": [*(fapi.jwks or {}).get("keys", []), public]},
                                  id_token_encryption=JWE_ALGS)
        app.extensions["eid"] = dataclasses.replace(p, clients=p.clients.with_clients(local,
                                                                                      jwe))
        yield app


def _client_key(kid: str = "ec-p256-b") -> SigningKey:
    return load_signing_keys(KEY_FILE)[kid]


def _enc_jwk() -> dict[str, object]:
    keys = json.loads(ENC_KEY_FILE.read_text(encoding="utf-8"))["keys"]
    jwk: dict[str, object] = next(k for k in keys if k["kid"] == JWE_KID)
    return jwk


def _flow(app: Flask, rp: RelyingParty, *, dpop: bool, counter: list[int]) -> Flow:
    issuer = rp.issuer

    def run() -> object:
        url, pending = rp.start_login(acr="LoA2")
        parts = urllib.parse.urlsplit(url.removeprefix(issuer))
        browser = app.test_client()  # a new citizen's browser every flow
        r = browser.get(parts.path, query_string=parts.query,
                        headers={"X-Eid-Test-Identity": CITIZEN})
        if r.status_code != 302:
            raise RuntimeError(f"authorization answered {r.status_code}: {r.get_data()[:200]!r}")
        callback = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(r.location).query))
        result = rp.complete_login(callback, pending)
        if (result.tokens.token_type.lower() == "dpop") != dpop or not result.userinfo:
            raise RuntimeError(f"unexpected tokens: {result.tokens.token_type}")
        counter[0] += 1
        return result
    return run


def contenders(app: Flask) -> tuple[dict[str, Flow], dict[str, list[int]]]:
    """One flow per contender (each run once here, to check it completes) and each one's
    counter of completed flows."""
    issuer: str = app.extensions["eid"].issuer
    http = InProcessHttp(app.test_client())
    key = _client_key()

    def rp(client_id: str, redirect_uri: str, **kw: object) -> RelyingParty:
        return RelyingParty(issuer=issuer, client_id=client_id, redirect_uri=redirect_uri,
                            http=http, **kw)  # type: ignore[arg-type]

    parties = {
        "plain": (rp(PLAIN_ID, PLAIN_REDIRECT, client_secret=PLAIN_SECRET), False),
        "+PAR": (rp(PLAIN_ID, PLAIN_REDIRECT, client_secret=PLAIN_SECRET, use_par=True),
                 False),
        "+private_key_jwt": (rp(PKJWT_ID, PKJWT_REDIRECT, private_key=key), False),
        "+DPoP": (rp(PLAIN_ID, PLAIN_REDIRECT, client_secret=PLAIN_SECRET, dpop=True), True),
        "FAPI": (rp(FAPI_ID, FAPI_REDIRECT, private_key=key, use_par=True, dpop=True), True),
        # require_encrypted_id_token follows from decryption_keys: a plain one is refused.
        "FAPI+JWE": (rp(JWE_ID, JWE_REDIRECT, private_key=key, use_par=True, dpop=True,
                        decryption_keys={"keys": [_enc_jwk()]}), True),
    }
    counters = {name: [0] for name in parties}
    flows = {name: _flow(app, party, dpop=dpop, counter=counters[name])
             for name, (party, dpop) in parties.items()}
    for run in flows.values():
        run()
    return flows, counters


def _row(cells: Sequence[str]) -> str:
    return " | ".join(c.rjust(w) if i else c.ljust(w) for i, (c, (_, w)) in
                      enumerate(zip(cells, COLUMNS, strict=True)))


def _ms(rate: float) -> float:
    return 1000 / rate if rate not in (0, float("inf")) else 0.0


def _profile(flows: dict[str, Flow], names: Sequence[str], count: int, top: int) -> None:
    for name in names:
        # CPU time, as the table: by wall time, the durable store's commits (fsync) would
        # dominate, and they cost waiting, not CPU.
        profiler = cProfile.Profile(time.process_time)
        profiler.enable()
        for _ in range(count):
            flows[name]()
        profiler.disable()
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats("tottime").print_stats(top)
        print(f"\n--- cProfile: {count} {name} flows, by own time ---")
        print("\n".join(line for line in out.getvalue().splitlines()
                        if line.strip() and not line.startswith("   Ordered")))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.fapi", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="a round or two of one flow: checks the benchmark runs, not the speed")
    parser.add_argument("--rounds", type=positive, help="measured rounds (default 15)")
    parser.add_argument("--batch", type=positive, help="flows per contender per round (default 20)")
    parser.add_argument("--profile", action="store_true",
                        help="afterwards, profile the plain and FAPI flows with cProfile")
    args = parser.parse_args(argv)
    rounds = (2 if args.quick else 15) if args.rounds is None else args.rounds
    batch = (1 if args.quick else 20) if args.batch is None else args.batch
    warmup = 0 if args.quick else 1

    with service() as app:
        flows, counters = contenders(app)
        m = interleaved(flows, baseline="plain", rounds=rounds, batch=batch, warmup=warmup)
        flask_version = importlib.metadata.version("flask")
        print(f"Python {platform.python_version()}, Flask {flask_version}, cryptography "
              f"{cryptography.__version__}; in-process login flows (server + client CPU, no "
              f"network); CPU time, {rounds} interleaved rounds x {batch} flows; medians")
        print(_row([name for name, _ in COLUMNS]))
        print("-+-".join("-" * w for _, w in COLUMNS))
        base = m.round_rates["plain"]
        for name in CONTENDERS:
            extra = [_ms(r) - _ms(b) for r, b in zip(m.round_rates[name], base, strict=True)]
            cost = statistics.median(1 / x if x else float("inf") for x in m.ratios[name])
            print(_row([name, str(counters[name][0]), f"{m.rates[name]:,.0f}",
                        f"{_ms(m.rates[name]):.2f}", f"{m.median_ratio[name]:.2f}x",
                        f"{cost:.2f}x", f"{statistics.median(extra):+.2f}"]), flush=True)
        if args.profile:
            _profile(flows, ("plain", "FAPI"), 5 if args.quick else 200, 25)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
