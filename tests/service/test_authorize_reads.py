"""What an authorization asks the durable store before it issues a code: the pair's
consent and revocation epoch once, in one read (``consent_and_epoch``), on each way to
a code: the test sign-in, a live session with a remembered consent, an approved consent."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from service.provider import Provider
from tests.service.flow import LOA2, TEST_CLIENT, Flow, query


class Reads:
    """The calls of the durable store's consent and epoch reads, by name."""

    NAMES = ("consent", "revocation_epoch", "consent_and_epoch")

    def __init__(self, monkeypatch: pytest.MonkeyPatch, p: Provider) -> None:
        self.calls: list[str] = []
        for name in self.NAMES:
            monkeypatch.setattr(p.durable, name, self._spy(name, getattr(p.durable, name)))

    def _spy(self, name: str, read: Callable[..., Any]) -> Callable[..., Any]:
        def spy(*args: Any) -> Any:
            self.calls.append(name)
            return read(*args)
        return spy


def test_the_test_sign_in_reads_the_pair_once(
        test_mode_app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    reads = Reads(monkeypatch, test_mode_app.extensions["eid"])
    flow = Flow(test_mode_app)
    for state in ("first", "again"):  # the consent written, then remembered
        reads.calls.clear()
        auth = flow.request(TEST_CLIENT, state=state)
        r = flow.start(auth, headers={"X-Eid-Test-Identity": LOA2[0]})
        assert r.status_code == 302 and query(r.location)["state"] == state, r.location
        assert reads.calls == ["consent_and_epoch"]
        auth.result = query(r.location)
        assert flow.redeem(auth, TEST_CLIENT).status_code == 200


def test_a_live_session_with_a_remembered_consent_reads_the_pair_once(
        flow: Flow, app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    flow.authorize(flow.request())  # logs in and consents
    reads = Reads(monkeypatch, app.extensions["eid"])
    auth = flow.request(state="again")
    assert flow.authorize(auth)["state"] == "again"
    assert reads.calls == ["consent_and_epoch"]
    assert flow.redeem(auth).status_code == 200


def test_an_approved_consent_reads_the_pair_once_after_the_screen(
        flow: Flow, app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    reads = Reads(monkeypatch, app.extensions["eid"])
    auth = flow.request()
    flow.authorize(auth)  # login, then the consent screen (one read), then approval
    assert reads.calls == ["consent_and_epoch", "consent_and_epoch"]
    assert flow.redeem(auth).status_code == 200
