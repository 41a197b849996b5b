"""The data-access log's public endpoints (service.views.transparency) and its checkpoint
signer (service.transparency): what anyone can check, with hashes only."""

from __future__ import annotations

import base64
import time
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from eid.audit import (
    AccessEntry,
    entry_leaf,
    open_checkpoint,
    verify_consistency,
    verify_inclusion,
)
from eid.storage import DurableStore
from service import create_app
from service.config import Settings
from service.provider import Provider
from service.transparency import Checkpointer

CITIZEN = "074190000001"


@pytest.fixture
def app(settings: Settings) -> Flask:
    # No thread: the tests sign through the endpoints or call tick() themselves.
    return create_app({"TESTING": True,
                       "EID_SETTINGS": settings.with_(checkpoint_interval=0)})


def _p(app: Flask) -> Provider:
    p: Provider = app.extensions["eid"]
    return p


def _signer(app: Flask) -> Checkpointer:
    c: Checkpointer = app.extensions["eid.transparency"]
    return c


def _entry(n: int) -> AccessEntry:
    return AccessEntry(time=1_700_000_000 + n, citizen=CITIZEN, client_id="portal",
                       organisation="Cổng dịch vụ công", action="userinfo",
                       procedure="CT01", purpose=None, attributes=("name",),
                       basis="consent:openid profile", trace_id=f"trace-{n}")


def _append(durable: DurableStore, n: int) -> list[AccessEntry]:
    start = durable.access_size()
    entries = [_entry(start + i) for i in range(n)]
    for entry in entries:
        durable.append_access(entry)
    return entries


def _vkey(client: FlaskClient) -> str:
    r = client.get("/transparency/key")
    assert r.status_code == 200 and r.mimetype == "text/plain"
    return r.get_data(as_text=True).strip()


def _hashes(values: list[str]) -> list[bytes]:
    return [base64.b64decode(v) for v in values]


def test_the_checkpoint_is_a_signed_note_of_the_whole_log(app: Flask,
                                                           client: FlaskClient) -> None:
    _append(_p(app).durable, 3)
    r = client.get("/transparency/checkpoint")
    assert r.status_code == 200 and r.mimetype == "text/plain"
    assert r.headers["Cache-Control"] == "public, max-age=5"
    checkpoint = open_checkpoint(r.get_data(as_text=True), _vkey(client))
    assert (checkpoint.origin, checkpoint.size) == ("127.0.0.1:5000/audit", 3)


def test_an_empty_log_has_an_empty_checkpoint(client: FlaskClient) -> None:
    note = client.get("/transparency/checkpoint").get_data(as_text=True)
    assert open_checkpoint(note, _vkey(client)).size == 0


def test_an_inclusion_proof_verifies_against_its_checkpoint(app: Flask,
                                                             client: FlaskClient) -> None:
    entries = _append(_p(app).durable, 11)
    r = client.get("/transparency/inclusion?index=4")
    assert r.status_code == 200
    doc: dict[str, Any] = r.get_json()
    assert set(doc) == {"leaf_index", "tree_size", "inclusion_path", "checkpoint"}
    checkpoint = open_checkpoint(doc["checkpoint"], _vkey(client))
    assert checkpoint.size == doc["tree_size"] == 11
    verify_inclusion(entry_leaf(entries[4]), 4, 11, _hashes(doc["inclusion_path"]),
                     checkpoint.root)
    # Hashes only: nothing of the entry itself is served.
    assert CITIZEN not in r.get_data(as_text=True)


def test_a_proof_for_an_unsigned_size_signs_a_checkpoint_of_that_size(
        app: Flask, client: FlaskClient) -> None:
    durable = _p(app).durable
    _append(durable, 4)
    client.get("/transparency/checkpoint")  # size 4 is signed
    entries = _append(durable, 5)
    doc = client.get("/transparency/inclusion?index=6&size=7").get_json()
    checkpoint = open_checkpoint(doc["checkpoint"], _vkey(client))
    assert checkpoint.size == 7
    verify_inclusion(entry_leaf(entries[2]), 6, 7, _hashes(doc["inclusion_path"]),
                     checkpoint.root)
    # An older size is proved, but against the holder's own checkpoint.
    assert client.get("/transparency/inclusion?index=1&size=4").get_json()["checkpoint"] \
        is None


def test_a_consistency_proof_joins_an_old_checkpoint_to_the_latest(
        app: Flask, client: FlaskClient) -> None:
    durable = _p(app).durable
    vkey = _vkey(client)
    _append(durable, 6)
    old = open_checkpoint(client.get("/transparency/checkpoint").get_data(as_text=True), vkey)
    _append(durable, 9)
    _signer(app).tick(now=time.time())  # the periodic signer's next round
    doc = client.get(f"/transparency/consistency?first={old.size}").get_json()
    new = open_checkpoint(doc["checkpoint"], vkey)
    assert (doc["tree_size_1"], doc["tree_size_2"]) == (6, 15) == (old.size, new.size)
    verify_consistency(6, 15, old.root, new.root, _hashes(doc["consistency_path"]))


@pytest.mark.parametrize(("query", "code"), [
    ("/transparency/inclusion", "invalid_request"),
    ("/transparency/inclusion?index=-1", "invalid_request"),
    ("/transparency/inclusion?index=%D9%A1", "invalid_request"),  # Arabic-Indic digit one
    ("/transparency/inclusion?index=1&index=2", "invalid_request"),
    ("/transparency/inclusion?index=99999999999999999999", "invalid_request"),
    ("/transparency/inclusion?index=3", "invalid_tree_size"),
    ("/transparency/inclusion?index=1&size=1", "invalid_tree_size"),
    ("/transparency/inclusion?index=0&size=9", "invalid_tree_size"),
    ("/transparency/consistency", "invalid_request"),
    ("/transparency/consistency?first=0&second=2", "invalid_tree_size"),
    ("/transparency/consistency?first=3&second=2", "invalid_tree_size"),
    ("/transparency/consistency?first=1&second=4", "invalid_tree_size"),
    ("/transparency/consistency?first=1.5", "invalid_request"),
])
def test_bad_parameters_get_a_stable_code(app: Flask, client: FlaskClient, query: str,
                                          code: str) -> None:
    _append(_p(app).durable, 3)
    r = client.get(query)
    assert r.status_code == 400
    assert r.get_json()["error"] == code


def test_the_endpoints_are_in_discovery(client: FlaskClient) -> None:
    log = client.get("/.well-known/openid-configuration").get_json()["eid_transparency_log"]
    for uri in log.values():
        path = uri.removeprefix("http://127.0.0.1:5000")
        # Each named endpoint exists (a proof endpoint without parameters is a 400).
        assert client.get(path).status_code in (200, 400)


def test_the_key_survives_a_restart(app: Flask, settings: Settings,
                                    client: FlaskClient) -> None:
    again = create_app({"TESTING": True, "EID_SETTINGS": settings.with_(checkpoint_interval=0)})
    assert _vkey(again.test_client()) == _vkey(client)


def test_a_tick_signs_only_when_the_log_grew(app: Flask) -> None:
    signer, durable = _signer(app), _p(app).durable
    _append(durable, 2)
    assert signer.tick(now=1.0) is True
    assert signer.tick(now=2.0) is False
    _append(durable, 1)
    assert signer.tick(now=3.0) is True
    latest = durable.latest_checkpoint()
    assert latest is not None and (latest.size, latest.signed_at) == (3, 3.0)


def test_two_instances_share_one_checkpoint_per_size(app: Flask, settings: Settings) -> None:
    other = create_app({"TESTING": True, "EID_SETTINGS": settings.with_(checkpoint_interval=0)})
    _append(_p(app).durable, 4)
    assert _signer(app).tick(now=1.0) is True
    assert _signer(other).tick(now=1.5) is False  # the first instance's note is the one
    latest = _p(other).durable.latest_checkpoint()
    assert latest is not None and latest.signed_at == 1.0


def test_the_thread_signs_a_grown_log_and_ends_when_idle(settings: Settings) -> None:
    app = create_app({"TESTING": True,
                      "EID_SETTINGS": settings.with_(checkpoint_interval=0.05)})
    durable = _p(app).durable
    _append(durable, 3)
    app.test_client().get("/healthz")  # a request starts the thread
    thread = _signer(app)._thread
    assert thread is not None
    deadline = time.monotonic() + 10
    while durable.latest_checkpoint() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    latest = durable.latest_checkpoint()
    assert latest is not None and latest.size == 3
    thread.join(timeout=10)  # six idle ticks later
    assert not thread.is_alive()
    _signer(app).stop()


@pytest.mark.parametrize("interval", [-1.0, 3601.0, float("nan")])
def test_a_bad_interval_is_refused(interval: float) -> None:
    from eid.errors import ConfigurationError

    with pytest.raises(ConfigurationError) as caught:
        Settings(checkpoint_interval=interval)
    assert caught.value.code == "invalid_setting"
