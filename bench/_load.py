"""The load driver of :mod:`bench.flows`: complete login flows over keep-alive connections.

Each worker thread holds one persistent ``http.client`` connection to the server (a
portal's back channel keeps its connections; a new TCP handshake per request would measure
the kernel, not the provider) and runs flows until the batch's count or its time is used
up. Every request's latency is recorded under its endpoint, every flow's as ``flow``.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import secrets
import threading
import time
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from eid.oidc import RelyingParty
from eid.oidc.http import HttpResponse, basic_auth
from eid.signing import SigningKey
from eid.verify import Jwks, verify_id_token

__all__ = ["CITIZEN", "Batch", "Flow", "KeepAlive", "fapi_flow", "plain_flow", "run_batch"]

CITIZEN: Final = "074078000101"  # fixtures/README.md: Nguyễn Văn Hùng, level 2
TEST_HEADER: Final = "X-Eid-Test-Identity"
PLAIN: Final = ("eid-test-client", "eid-test-secret", "http://127.0.0.1:9999/cb")
FAPI: Final = ("eid-fapi-test-client", "http://127.0.0.1:9999/fapi-cb")


class KeepAlive:
    """An :class:`eid.oidc.HttpClient` on one persistent loopback connection; records each
    request's latency under its path's endpoint name in ``times``."""

    def __init__(self, base: str, names: Mapping[str, str], times: dict[str, list[float]]
                 ) -> None:
        parts = urllib.parse.urlsplit(base)
        if parts.hostname != "127.0.0.1":
            raise ValueError("the benchmark drives loopback servers only")
        self._conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        self._names, self.times = names, times

    def request(self, method: str, url: str, *, headers: dict[str, str] | None = None,
                form: dict[str, str] | None = None) -> HttpResponse:
        parts = urllib.parse.urlsplit(url)
        target = parts.path + ("?" + parts.query if parts.query else "")
        all_headers = dict(headers or {})
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form).encode()
            all_headers["Content-Type"] = "application/x-www-form-urlencoded"
        start = time.perf_counter()
        try:
            self._conn.request(method, target, body=body, headers=all_headers)
            resp = self._conn.getresponse()
            data = resp.read()
        except (http.client.HTTPException, OSError):
            self._conn.close()  # reconnect on the next request
            raise
        self.times.setdefault(self._names.get(parts.path, parts.path), []).append(
            time.perf_counter() - start)
        if resp.getheader("connection", "").lower() == "close":
            self._conn.close()
        return HttpResponse(resp.status, {k.lower(): v for k, v in resp.getheaders()}, data)

    def close(self) -> None:
        self._conn.close()


#: One flow on a worker's connection; raises when the flow does not complete.
Flow = Callable[[KeepAlive], None]


def _callback(resp: HttpResponse) -> dict[str, str]:
    if resp.status not in (302, 303) or "location" not in resp.headers:
        raise RuntimeError(f"authorization answered {resp.status}: {resp.body[:200]!r}")
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(resp.headers["location"]).query))


def plain_flow(meta: Mapping[str, Any], jwks: Jwks) -> Flow:
    """Authorize (PKCE, the test header), redeem the code with client_secret_basic, verify
    the ID token with :func:`eid.verify.verify_id_token`, fetch userinfo."""
    client_id, secret, redirect_uri = PLAIN
    issuer = meta["issuer"]
    authorization = meta["authorization_endpoint"]
    auth = basic_auth(client_id, secret)

    def run(http: KeepAlive) -> None:
        verifier = secrets.token_urlsafe(48)
        challenge = base64.urlsafe_b64encode(
            hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        state, nonce = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
        query = urllib.parse.urlencode({
            "response_type": "code", "client_id": client_id, "redirect_uri": redirect_uri,
            "scope": "openid profile", "state": state, "nonce": nonce,
            "code_challenge": challenge, "code_challenge_method": "S256"})
        callback = _callback(http.request("GET", f"{authorization}?{query}",
                                          headers={TEST_HEADER: CITIZEN}))
        if callback.get("state") != state or callback.get("iss", issuer) != issuer:
            raise RuntimeError(f"bad callback: {callback}")
        resp = http.request("POST", meta["token_endpoint"], headers={"Authorization": auth},
                            form={"grant_type": "authorization_code", "code": callback["code"],
                                  "redirect_uri": redirect_uri, "code_verifier": verifier})
        if resp.status != 200:
            raise RuntimeError(f"token answered {resp.status}: {resp.body[:200]!r}")
        tokens = resp.json()
        claims = verify_id_token(tokens["id_token"], issuer=issuer, audience=client_id,
                                 jwks=jwks, nonce=nonce, access_token=tokens["access_token"])
        resp = http.request("GET", meta["userinfo_endpoint"],
                            headers={"Authorization": f"Bearer {tokens['access_token']}"})
        if resp.status != 200 or resp.json().get("sub") != claims["sub"]:
            raise RuntimeError(f"userinfo answered {resp.status}: {resp.body[:200]!r}")
    return run


def fapi_flow(issuer: str, jwks: Jwks, key: SigningKey) -> Flow:
    """The FAPI 2.0 client through :class:`eid.oidc.RelyingParty`: PAR with private_key_jwt
    and DPoP, the authorization request with the test header, the token request, ID-token
    verification, userinfo with a DPoP proof. One relying party per connection (it keeps
    the server's DPoP nonces, as a portal would)."""
    client_id, redirect_uri = FAPI
    parties: dict[int, RelyingParty] = {}

    def run(http: KeepAlive) -> None:
        rp = parties.get(id(http))
        if rp is None:
            rp = parties[id(http)] = RelyingParty(
                issuer=issuer, client_id=client_id, redirect_uri=redirect_uri, http=http,
                private_key=key, use_par=True, dpop=True, keys=jwks)
        url, pending = rp.start_login(acr="LoA2")
        callback = _callback(http.request("GET", url, headers={TEST_HEADER: CITIZEN}))
        result = rp.complete_login(callback, pending)
        if result.tokens.token_type.lower() != "dpop" or not result.userinfo:
            raise RuntimeError(f"unexpected tokens: {result.tokens.token_type}")
    return run


@dataclass(slots=True)
class Batch:
    """What one batch measured."""

    flows: int = 0
    errors: int = 0
    first_error: str | None = None
    wall: float = 0.0
    server_cpu: float = 0.0
    #: Of ``server_cpu``, the stores' (Redis, PostgreSQL).
    store_cpu: float = 0.0
    driver_cpu: float = 0.0
    times: dict[str, list[float]] = field(default_factory=dict)


def run_batch(flow: Flow, base: str, names: Mapping[str, str], *, concurrency: int,
              flows: int, seconds: float, server_cpu: Callable[[], float],
              store_cpu: Callable[[], float] = lambda: 0.0) -> Batch:
    """Run up to ``flows`` flows (and for at most ``seconds``) on ``concurrency`` threads;
    ``server_cpu`` and ``store_cpu`` read the server's CPU seconds and its stores' share."""
    batch = Batch()
    lock = threading.Lock()
    left = [flows]
    deadline = time.monotonic() + seconds

    def worker() -> None:
        times: dict[str, list[float]] = {}
        http = KeepAlive(base, names, times)
        try:
            while time.monotonic() < deadline:
                with lock:
                    if left[0] <= 0:
                        break
                    left[0] -= 1
                start = time.perf_counter()
                try:
                    flow(http)
                except Exception as exc:  # counted and reported, never hidden
                    with lock:
                        batch.errors += 1
                        batch.first_error = batch.first_error or f"{type(exc).__name__}: {exc}"
                    continue
                times.setdefault("flow", []).append(time.perf_counter() - start)
        finally:
            http.close()
            with lock:
                for name, values in times.items():
                    batch.times.setdefault(name, []).extend(values)

    threads = [threading.Thread(target=worker, name=f"bench-flow-{i}")
               for i in range(concurrency)]
    cpu0, store0 = server_cpu(), store_cpu()
    driver0, wall0 = time.process_time(), time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    batch.wall = time.perf_counter() - wall0
    batch.driver_cpu = time.process_time() - driver0
    batch.server_cpu = server_cpu() - cpu0
    batch.store_cpu = store_cpu() - store0
    batch.flows = len(batch.times.get("flow", []))
    return batch
