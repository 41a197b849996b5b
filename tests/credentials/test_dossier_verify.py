"""A receiving office verifies a dossier field by field: every tampering fails the fields
it touches, and only those."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eid.credentials import Dossier, DossierField, dossier_nonce, present, verify_dossier
from eid.credentials.dossier_seal import disclosable_claims
from eid.signing import SigningKey, public_jwks
from eid.verify import split_sd_jwt
from tests.credentials.dossier_kit import (
    ISSUER,
    NOW,
    OFFICE,
    OTHER,
    Keys,
    credential,
    filed,
    seal,
)

REGISTRY_FIELDS = {"full_name", "birth_date", "sex", "id_number", "head_full_name",
                   "relationship_to_head", "head_id_number", "members"}


@pytest.fixture(scope="module")
def keys(signing_keys: dict[str, SigningKey]) -> Keys:
    return Keys(issuer=signing_keys["ec-p256"], holder=signing_keys["ec-p256-b"],
                other_holder=signing_keys["ed25519"], stranger=signing_keys["rsa-2048-b"])


@pytest.fixture(scope="module")
def sealed(keys: Keys) -> Dossier:
    return seal(keys)


def check(dossier: Dossier, keys: Keys, **kw: Any) -> Any:
    args: dict[str, Any] = {"issuer": ISSUER, "jwks": public_jwks([keys.issuer]),
                            "audience": OFFICE, "now": NOW + 120}
    args.update(kw)
    return verify_dossier(dossier, **args)


def statuses(report: Any) -> dict[str, tuple[str, str | None]]:
    return {f.field: (f.status, f.code) for f in report.fields}


def test_a_sealed_dossier_is_verified_field_by_field(sealed: Dossier, keys: Keys) -> None:
    report = check(sealed, keys)
    assert report.ok, report.as_dict()
    got = statuses(report)
    assert {f for f, (s, _) in got.items() if s == "verified"} == REGISTRY_FIELDS
    assert {f for f, (s, _) in got.items() if s == "typed"} == {
        "receiving_office", "request", "phone", "email"}
    assert report.problems == ()


def test_the_presentation_discloses_only_what_the_registry_fields_use(sealed: Dossier,
                                                                      keys: Keys) -> None:
    full = disclosable_claims(credential(keys))
    shown = {n for n in disclosable_claims(sealed.presentation.rsplit("~", 1)[0] + "~")}
    assert shown == {"name", "birthdate", "gender", "vn_id_number", "vn_household_head",
                     "vn_household_relationship", "vn_household_members"}
    assert {"phone_number", "email"} <= full - shown  # consented, not state-held: withheld


def test_the_kb_jwt_binds_the_dossier_nonce(sealed: Dossier) -> None:
    kb = split_sd_jwt(sealed.presentation).kb_jwt
    assert kb is not None
    payload = json.loads(base64.urlsafe_b64decode(kb.split(".")[1] + "=="))
    assert payload["nonce"] == dossier_nonce(sealed) and payload["aud"] == OFFICE


def test_a_dossier_is_judged_when_the_portal_presented_it(keys: Keys) -> None:
    # Verified a year later, long after the credential's exp: still the registry's data.
    assert check(seal(keys), keys, now=NOW + 365 * 86400).ok


# --- tampering: mutation -> {field: (status, code)} for the fields it touches, problems ---
def _edit_disclosure(claim: str, new: Any) -> Callable[[Dossier, Keys], Dossier]:
    def mutate(d: Dossier, keys: Keys) -> Dossier:
        parts = d.presentation.split("~")
        for i, enc in enumerate(parts[1:-1], 1):
            salt, *rest = json.loads(base64.urlsafe_b64decode(enc + "=" * (-len(enc) % 4)))
            if rest and rest[0] == claim:
                raw = json.dumps([salt, claim, new], ensure_ascii=False).encode()
                parts[i] = base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
        return replace(d, presentation="~".join(parts))
    return mutate


def _swap_disclosure(claim: str) -> Callable[[Dossier, Keys], Dossier]:
    """The Disclosure of ``claim`` replaced by the one of another citizen's credential
    (a real issuer's Disclosure, but not of this credential)."""
    def mutate(d: Dossier, keys: Keys) -> Dossier:
        other = split_sd_jwt(credential(keys, OTHER)).disclosures
        theirs = next(e for e in other if _names(e) == claim)
        parts = d.presentation.split("~")
        parts = [theirs if _names(p) == claim else p for p in parts]
        return replace(d, presentation="~".join(parts))
    return mutate


def _names(enc: str) -> str | None:
    """The claim name of a Disclosure (None: an array element, or not a Disclosure)."""
    try:
        value = json.loads(base64.urlsafe_b64decode(enc + "=" * (-len(enc) % 4)))
    except ValueError:
        return None
    return value[1] if isinstance(value, list) and len(value) == 3 else None


def _drop_disclosure(claim: str) -> Callable[[Dossier, Keys], Dossier]:
    def mutate(d: Dossier, keys: Keys) -> Dossier:
        parts = d.presentation.split("~")
        kept = [parts[0], *(p for p in parts[1:-1] if _names(p) != claim)]
        # Re-signed by the holder over what is left: a portal presenting less.
        shown = sorted(disclosable_claims("~".join(kept) + "~"))
        return replace(d, presentation=present(credential(keys), disclose=shown,
                                               holder_key=keys.holder, audience=OFFICE,
                                               nonce=dossier_nonce(d), iat=NOW + 60))
    return mutate


def _field(name: str, value: Any, source: str | None = None) -> Callable[[Dossier, Keys], Dossier]:
    def mutate(d: Dossier, keys: Keys) -> Dossier:
        old = d.forms["ct01"][name]
        fields = {**d.forms["ct01"], name: DossierField(value, source or old.source)}  # type: ignore[arg-type]
        return replace(d, forms={"ct01": fields})
    return mutate


def _member(**kw: Any) -> Callable[[Dossier, Keys], Dossier]:
    return lambda d, keys: replace(d, **kw)


def _other_portal(d: Dossier, keys: Keys) -> Dossier:
    # Portal B's genuine presentation (its own credential, its own key) to this office.
    theirs = seal(keys, credential(keys, holder=keys.other_holder, portal="cong-dvc-khac"),
                  holder=keys.other_holder, portal="cong-dvc-khac")
    return replace(d, presentation=theirs.presentation)


def _to_another_office(d: Dossier, keys: Keys) -> Dossier:
    return replace(d, presentation=seal(keys, audience="https://other.office").presentation)


def _without_kb(d: Dossier, keys: Keys) -> Dossier:
    return replace(d, presentation=d.presentation.rsplit("~", 1)[0] + "~")


def _kb_by_another_key(d: Dossier, keys: Keys) -> Dossier:
    # Another P-256 key (the fixtures have two): the same alg, not the holder's key.
    theirs = seal(keys, credential(keys, holder=keys.issuer), holder=keys.issuer)
    # This credential's JWT and Disclosures, the KB-JWT of another holder.
    return replace(d, presentation=d.presentation.rsplit("~", 1)[0] + "~"
                   + theirs.presentation.rsplit("~", 1)[1])


def _forged_issuer(d: Dossier, keys: Keys) -> Dossier:
    return replace(d, presentation=seal(keys, credential(keys, issuer_key=keys.stranger))
                   .presentation)


def _expired_at_filing(d: Dossier, keys: Keys) -> Dossier:
    old = credential(keys, iat=NOW - 7200, exp=NOW - 3600)
    return replace(d, presentation=seal(keys, old).presentation)


ALL_FIELDS = "every field"
TYPED_FIELDS = {"receiving_office", "request", "phone", "email"}


@pytest.mark.parametrize(("mutate", "failed", "code", "problem"), [
    # an edited verified value, in the form or in its Disclosure
    (_field("full_name", "Nguyễn Văn Hưng"), {"full_name"}, "value_mismatch", None),
    (_field("id_number", "074078000999"), {"id_number"}, "value_mismatch", None),
    # a table's rows are the citizen's choice, bound by the nonce too
    (_field("members", [{"full_name": "Người Lạ"}]), TYPED_FIELDS | {"members"}, None,
     "nonce_mismatch"),
    (_edit_disclosure("name", "Nguyễn Văn Hưng"), {"full_name"}, "unreferenced_disclosure",
     "unreferenced_disclosure"),
    (_edit_disclosure("birthdate", "1990-01-01"), {"birth_date"}, "unreferenced_disclosure",
     "unreferenced_disclosure"),
    # a Disclosure swapped in from another citizen's credential
    (_swap_disclosure("name"), {"full_name"}, "unreferenced_disclosure",
     "unreferenced_disclosure"),
    # a Disclosure left out (the portal presented less than it claims)
    (_drop_disclosure("gender"), {"sex"}, "claim_not_disclosed", None),
    # typed content, the filing, or a field's provenance changed after sealing
    (_field("request", "Tách hộ"), TYPED_FIELDS, "nonce_mismatch", "nonce_mismatch"),
    (_member(filing="HS-20251124-FFFFFFFF"), TYPED_FIELDS, "nonce_mismatch", "nonce_mismatch"),
    (_member(procedure="khai-sinh"), None, None, "nonce_mismatch"),
    (_field("full_name", "Nguyễn Văn Hùng", "citizen"), TYPED_FIELDS | {"full_name"},
     "nonce_mismatch", "nonce_mismatch"),
    # another portal's presentation; the dossier claiming another portal
    (_other_portal, ALL_FIELDS, "portal_mismatch", "portal_mismatch"),
    (_member(portal="cong-dvc-khac"), ALL_FIELDS, "portal_mismatch", "portal_mismatch"),
    # not addressed to this office, not by the holder, no holder binding at all
    (_to_another_office, ALL_FIELDS, "invalid_audience", "invalid_audience"),
    (_kb_by_another_key, ALL_FIELDS, "kb_bad_signature", "kb_bad_signature"),
    (_without_kb, ALL_FIELDS, "kb_jwt_missing", "kb_jwt_missing"),
    # the credential itself: not the trusted issuer's key, expired when presented
    (_forged_issuer, ALL_FIELDS, "unknown_kid", "unknown_kid"),
    (_expired_at_filing, ALL_FIELDS, "expired", "expired"),
])
def test_tampering_fails_the_fields_it_touches(sealed: Dossier, keys: Keys, mutate: Any,
                                               failed: Any, code: str | None,
                                               problem: str | None) -> None:
    report = check(mutate(sealed, keys), keys)
    if code is None and failed is not None:  # mixed codes: the table's own is value_mismatch
        assert statuses(report)["members"] == ("failed", "value_mismatch")
    assert not report.ok
    got = statuses(report)
    if failed == ALL_FIELDS:
        failed = REGISTRY_FIELDS | TYPED_FIELDS
    if failed is not None:
        assert {f for f, (s, _) in got.items() if s == "failed"} == failed, got
        if code is not None:
            assert {got[f][1] for f in failed} == {code}
        # Everything else keeps its verdict.
        for name, (status, _) in got.items():
            if name not in failed:
                assert status == ("verified" if name in REGISTRY_FIELDS else "typed"), name
    if problem is not None:
        assert problem in report.problems


def _members(keep: Any) -> dict[str, DossierField]:
    fields = filed()
    rows = fields["members"].value
    assert isinstance(rows, list)
    return {**fields, "members": DossierField(keep(rows), "registry")}


def test_a_table_trimmed_by_the_citizen_is_still_the_registrys(keys: Keys) -> None:
    # CT01 item 11: only the members who move together are kept.
    report = check(seal(keys, fields=_members(lambda rows: rows[1:3])), keys)
    assert report.ok and statuses(report)["members"] == ("verified", None)


@pytest.mark.parametrize("keep", [
    lambda rows: [*rows[:2], {**rows[2], "full_name": "Người Lạ"}],  # a row edited
    lambda rows: [rows[0], rows[0]],  # a member twice
    lambda rows: [],  # nothing kept, yet claimed the registry's
])
def test_a_table_with_rows_not_the_registrys_fails(keys: Keys, keep: Any) -> None:
    report = check(seal(keys, fields=_members(keep)), keys)
    assert statuses(report)["members"] == ("failed", "value_mismatch")


def test_a_row_dropped_after_sealing_is_seen(keys: Keys) -> None:
    dossier = seal(keys)
    trimmed = _members(lambda rows: rows[:-1])
    report = check(replace(dossier, forms={"ct01": trimmed}), keys)
    assert not report.ok and "nonce_mismatch" in report.problems
    assert statuses(report)["request"] == ("failed", "nonce_mismatch")


def test_an_issuer_the_office_does_not_trust_fails_everything(sealed: Dossier,
                                                              keys: Keys) -> None:
    report = check(sealed, keys, issuer="https://login.other.test")
    assert not report.ok
    assert {s for s, _ in statuses(report).values()} == {"failed"}
    assert "issuer_mismatch" in report.problems


def test_a_presentation_from_the_future_is_refused(keys: Keys) -> None:
    report = check(seal(keys, iat=NOW + 10_000), keys, now=NOW)
    assert not report.ok and "issued_in_future" in report.problems


def test_an_unknown_procedure_fails_its_registry_fields(sealed: Dossier, keys: Keys) -> None:
    report = check(sealed, keys, forms={})
    failed = {f.field: f.code for f in report.fields if f.status == "failed"}
    assert set(failed) == REGISTRY_FIELDS and set(failed.values()) == {"unknown_form"}


def test_a_garbled_presentation_fails_everything(sealed: Dossier, keys: Keys) -> None:
    report = check(replace(sealed, presentation="not an sd-jwt"), keys)
    assert {s for s, _ in statuses(report).values()} == {"failed"}
    assert report.problems == ("sd_jwt_malformed",)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cuts=st.lists(st.tuples(st.integers(0, 4000), st.integers(0, 40),
                               st.text("~.-_aZ09", max_size=6)), max_size=4))
def test_any_mangled_presentation_gives_a_report_not_an_exception(
        sealed_for_property: tuple[Dossier, Keys], cuts: list[tuple[int, int, str]]) -> None:
    dossier, keys = sealed_for_property
    text = dossier.presentation
    for offset, length, insert in cuts:
        at = offset % (len(text) + 1)
        text = text[:at] + insert + text[at + length:]
    report = check(replace(dossier, presentation=text), keys)
    assert report.ok == (text == dossier.presentation)
    assert {f.status for f in report.fields} <= {"verified", "typed", "failed"}


@pytest.fixture(scope="module")
def sealed_for_property(sealed: Dossier, keys: Keys) -> tuple[Dossier, Keys]:
    return sealed, keys
