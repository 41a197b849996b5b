"""A rotation under load: a portal polls the whole time and never fails to verify.

The service runs on a real loopback server and signs ID tokens with its key
store (the call ``service.tokens`` makes); the portal verifies them with
``RemoteKeySource`` over HTTP; ``eid keys rotate`` runs in another process on
the same instance file. Times are shrunk to fit a test: the service re-reads
its keys every 0.2 s and the portal caches the JWKS for 1 s, so a delay of
2 s covers both (the arithmetic of ``eid.oidc.keystore`` with small numbers).
The portal's refetch on an unknown ``kid`` is disabled: only publication
ahead of signing can keep it verifying. The negative control switches at once
(delay 0) and shows that the test catches the failure a rotation used to cause.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from eid.errors import TokenError
from eid.signing import sign_token
from eid.verify import RemoteKeySource, verify_id_token
from service import create_app
from service.config import Settings
from service.provider import Provider
from service.serving import Server

_AUDIENCE = "cong-dvc-hcm"
_RELOAD = 0.2


@dataclass
class Served:
    url: str
    provider: Provider
    instance: Path


@pytest.fixture
def served(keys_db: Path, tmp_path: Path) -> Iterator[Served]:
    instance = tmp_path / "instance"
    instance.mkdir(mode=0o700)
    shutil.copy(keys_db, instance / "eid.sqlite")
    with Server("127.0.0.1", 0) as server:
        settings = Settings(issuer=server.url, instance=instance,
                            key_reload_interval=_RELOAD)
        app = create_app({"EID_SETTINGS": settings})
        server.mount(app).start()
        yield Served(server.url, app.extensions["eid"], instance)


def _rotate(instance: Path, delay: float) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EID_")}
    return subprocess.Popen(  # noqa: S603 - our own command, fixed arguments
        [sys.executable, "-m", "eid", "keys", "rotate", "--alg", "ES256",
         "--delay", str(delay), "--instance", str(instance)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


@dataclass
class Polled:
    verified: int = 0
    failures: list[str] = field(default_factory=list)
    kids: list[str] = field(default_factory=list)  # the signing kid, each time it changed


def _poll(served: Served, portal: RemoteKeySource, rotation: subprocess.Popen[bytes], *,
          settle: float, stop_at_failure: bool, limit: float = 30) -> Polled:
    """Mint and verify ID tokens until the rotation is done and ``settle`` seconds have
    passed since the new key first signed (or ``limit``, or a failure if asked)."""
    polled = Polled()
    deadline = time.monotonic() + limit
    switched_at: float | None = None
    while time.monotonic() < deadline:
        key = served.provider.keys.signing_key("ES256")
        if not polled.kids or polled.kids[-1] != key.kid:
            polled.kids.append(key.kid)
            if len(polled.kids) > 1 and switched_at is None:
                switched_at = time.monotonic()
        now = time.time()
        token = sign_token({"iss": served.url, "aud": _AUDIENCE, "sub": "citizen",
                            "iat": int(now), "exp": int(now) + 600}, key)
        try:
            verify_id_token(token, issuer=served.url, audience=_AUDIENCE, jwks=portal)
            polled.verified += 1
        except TokenError as exc:
            polled.failures.append(exc.code)
            if stop_at_failure:
                break
        if switched_at is not None and rotation.poll() is not None \
                and time.monotonic() - switched_at > settle:
            break
        time.sleep(0.002)
    rotation.wait(timeout=30)
    return polled


def _portal(served: Served, cache: float) -> RemoteKeySource:
    # Cache-Control max-age (300) clamped to `cache`; no refetch for an unknown kid.
    return RemoteKeySource(served.url, min_cache=cache, default_cache=cache, max_cache=cache,
                           min_refresh_interval=3600)


def test_a_rotation_with_a_portal_polling_the_whole_time_and_no_failed_verification(
        served: Served) -> None:
    portal = _portal(served, cache=1.0)
    rotation = _rotate(served.instance, delay=2.0)
    polled = _poll(served, portal, rotation, settle=1.5, stop_at_failure=False)
    assert rotation.returncode == 0, rotation.stdout.read() if rotation.stdout else ""
    assert len(polled.kids) == 2  # the rotation happened while the portal polled
    assert polled.failures == []
    assert polled.verified > 0


def test_negative_control_an_immediate_switch_fails_a_caching_portal(served: Served) -> None:
    portal = _portal(served, cache=30.0)
    portal.key_set()  # cached before the rotation, as a portal in production would have
    rotation = _rotate(served.instance, delay=0)
    polled = _poll(served, portal, rotation, settle=1.0, stop_at_failure=True)
    assert len(polled.kids) == 2
    assert polled.failures == ["unknown_kid"]


# --- the delay arithmetic, against the real header and the real portal cache -------------

def test_a_portal_holds_the_jwks_no_longer_than_the_delay_assumes(app_client_jwks: str) -> None:
    from eid.oidc.keystore import (
        CLOCK_SKEW,
        DEFAULT_ACTIVATION_DELAY,
        JWKS_MAX_AGE,
        MIN_SAFE_DELAY,
        RELOAD_INTERVAL,
    )
    from eid.verify.remote import FetchResult

    assert app_client_jwks == f"public, max-age={JWKS_MAX_AGE}"
    clock = [0.0]
    fetches = []

    def fetch(url: str) -> FetchResult:
        fetches.append(clock[0])
        return FetchResult(b'{"keys": []}', app_client_jwks)

    portal = RemoteKeySource("https://id.example", jwks_uri="https://id.example/jwks",
                             fetch=fetch, clock=lambda: clock[0])  # the portal's defaults
    portal.key_set()
    clock[0] = JWKS_MAX_AGE
    portal.key_set()
    assert fetches == [0.0, JWKS_MAX_AGE]  # refetched once max-age is over, not later
    # A shared cache may add one more max-age; a service sees a rotation within its reload.
    assert MIN_SAFE_DELAY >= 2 * JWKS_MAX_AGE + RELOAD_INTERVAL + CLOCK_SKEW
    assert DEFAULT_ACTIVATION_DELAY >= MIN_SAFE_DELAY


@pytest.fixture
def app_client_jwks(settings: Settings) -> str:
    response = create_app({"TESTING": True, "EID_SETTINGS": settings}).test_client().get("/jwks")
    return str(response.headers["Cache-Control"])
