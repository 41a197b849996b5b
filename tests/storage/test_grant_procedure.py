"""The durable-store contract for a grant's RFC 9396 authorization details, on SQLite and
PostgreSQL (``durable_backend``): kept with the grant, exposed as ``Grant.procedure``."""

from __future__ import annotations

from eid.storage import Consent, DurableStore, Grant

from .conftest import DurableBackend

CITIZEN = "074190000001"
DETAIL = {"type": "vn_procedure", "procedure": "ct01", "attributes": ["profile", "household"]}
NEEDS = frozenset({"openid", "profile", "household", "procedure:ct01"})


def _grant(details: dict[str, object]) -> Grant:
    return Grant("g1", CITIZEN, "portal", frozenset({"openid", "profile", "household"}),
                 details, None, 100.0, 1100.0)


def test_a_grant_keeps_its_procedure_across_connections(
        store: DurableStore, durable_backend: DurableBackend) -> None:
    store.save_consent(Consent(CITIZEN, "portal", NEEDS, 1.0))
    grant = _grant({"acr": "LoA2", "authorization_details": [DETAIL]})
    assert store.save_grant_if_consented(grant, NEEDS, 0) is True
    again = durable_backend.open()
    got = again.grant("g1")
    assert got is not None
    assert got.authorization_details == (DETAIL,)
    assert got.procedure == "ct01"
    assert [g.procedure for g in again.live_grants(CITIZEN, 500.0)] == ["ct01"]


def test_a_consent_for_one_procedure_does_not_cover_another(store: DurableStore) -> None:
    store.save_consent(Consent(CITIZEN, "portal", NEEDS, 1.0))
    other = (NEEDS - {"procedure:ct01"}) | {"procedure:khai-sinh"}
    assert store.save_grant_if_consented(_grant({}), other, 0) is False
    assert store.grant("g1") is None


def test_a_grant_without_details_has_no_procedure(store: DurableStore) -> None:
    store.save_grant(_grant({"acr": "LoA2"}))
    got = store.grant("g1")
    assert got is not None and got.procedure is None and got.authorization_details == ()
