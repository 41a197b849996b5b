"""Reading a dossier file as hostile input: every malformed file is a DataError with a code."""

from __future__ import annotations

import contextlib
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eid.credentials import MAX_DOSSIER_BYTES, Dossier, DossierField, parse_dossier
from eid.errors import DataError, EidError

GOOD: dict[str, Any] = {
    "dossier": "urn:eid:vn:dossier:1", "filing": "HS-20251124-0A1B2C3D", "procedure": "ct01",
    "submitted_at": "2025-11-24T16:01:00Z", "portal": "cong-dvc-hcm",
    "issuer": "https://login.eid.test", "audience": "https://office.eid.test",
    "forms": {"ct01": {"full_name": {"value": "Nguyễn Văn Hùng", "source": "registry"},
                       "members": {"value": [{"full_name": "A", "sex": "Nam"}],
                                   "source": "registry"},
                       "request": {"value": "Đăng ký tạm trú", "source": "citizen"}}},
    "presentation": "eyJ.eyJ.sig~WyJ~eyJ.eyJ.sig",
}


def doc(**changes: Any) -> bytes:
    body = {**GOOD, **changes}
    return json.dumps({k: v for k, v in body.items() if v is not None}).encode()


def field(entry: Any) -> bytes:
    return doc(forms={"ct01": {"full_name": entry}})


def test_a_good_file_round_trips() -> None:
    dossier = parse_dossier(doc())
    assert dossier.forms["ct01"]["full_name"] == DossierField("Nguyễn Văn Hùng", "registry")
    assert parse_dossier(dossier.to_bytes()) == dossier
    assert isinstance(parse_dossier(doc().decode()), Dossier)


@pytest.mark.parametrize(("data", "code", "where"), [
    (b"x" * (MAX_DOSSIER_BYTES + 1), "dossier_too_large", None),
    (b"", "dossier_not_json", None),
    (b"[1, 2]", "dossier_not_json", None),
    (b'{"dossier": NaN}', "dossier_not_json", None),
    (b'{"a": 1, "a": 2}', "dossier_not_json", None),
    (b'{"a": "\\ud800"}', "dossier_not_json", None),
    (b"\xff\xfe{}", "dossier_not_json", None),
    (b"[" * 100_000, "dossier_not_json", None),
    (doc(dossier="urn:eid:vn:dossier:2"), "dossier_invalid", "dossier"),
    (doc(dossier=None), "dossier_invalid", "dossier"),
    (doc(extra=1), "dossier_invalid", "extra"),
    (doc(filing=None), "dossier_invalid", "filing"),
    (doc(filing=5), "dossier_invalid", "filing"),
    (doc(filing="../../etc"), "dossier_invalid", "filing"),
    (doc(procedure="CT 01"), "dossier_invalid", "procedure"),
    (doc(portal=""), "dossier_invalid", "portal"),
    (doc(issuer=["x"]), "dossier_invalid", "issuer"),
    (doc(audience="a" * 600), "dossier_invalid", "audience"),
    (doc(submitted_at=True), "dossier_invalid", "submitted_at"),
    (doc(presentation="ảnh~"), "dossier_invalid", "presentation"),
    (doc(presentation={}), "dossier_invalid", "presentation"),
    (doc(forms=None), "dossier_invalid", "forms"),
    (doc(forms={}), "dossier_invalid", "forms"),
    (doc(forms=[]), "dossier_invalid", "forms"),
    (doc(forms={f"f{i}": {} for i in range(9)}), "dossier_invalid", "forms"),
    (doc(forms={"CT01": {}}), "dossier_invalid", "forms.CT01"),
    (doc(forms={"ct01": []}), "dossier_invalid", "forms.ct01"),
    (doc(forms={"ct01": {f"f{i}": {"value": "", "source": "citizen"} for i in range(201)}}),
     "dossier_invalid", "forms"),
    (field("Nguyễn Văn Hùng"), "dossier_invalid", "forms.ct01.full_name"),
    (field({"value": "x"}), "dossier_invalid", "forms.ct01.full_name"),
    (field({"value": "x", "source": "registry", "verified": True}), "dossier_invalid",
     "forms.ct01.full_name"),
    (field({"value": "x", "source": "population_db"}), "dossier_invalid",
     "forms.ct01.full_name.source"),
    (field({"value": 5, "source": "registry"}), "dossier_invalid", "forms.ct01.full_name.value"),
    (field({"value": None, "source": "registry"}), "dossier_invalid",
     "forms.ct01.full_name.value"),
    (field({"value": "x" * 2001, "source": "citizen"}), "dossier_invalid",
     "forms.ct01.full_name.value"),
    (field({"value": [{"a": "b"}] * 51, "source": "registry"}), "dossier_invalid",
     "forms.ct01.full_name.value"),
    (field({"value": ["row"], "source": "registry"}), "dossier_invalid",
     "forms.ct01.full_name.value[0]"),
    (field({"value": [{"a": 1}], "source": "registry"}), "dossier_invalid",
     "forms.ct01.full_name.value[0]"),
    (field({"value": [{"A B": "x"}], "source": "registry"}), "dossier_invalid",
     "forms.ct01.full_name.value[0]"),
    (doc(forms={"ct01": {"Bad Id": {"value": "", "source": "citizen"}}}), "dossier_invalid",
     "forms.ct01.Bad Id"),
])
def test_malformed_files_are_refused(data: bytes, code: str, where: str | None) -> None:
    with pytest.raises(DataError) as err:
        parse_dossier(data)
    assert err.value.code == code
    assert err.value.field == where


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.binary(max_size=2000), st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from([*GOOD, "value", "source", "ct01", "x"]), inner, max_size=6),
    max_leaves=30).map(lambda v: json.dumps(v).encode())))
def test_only_eid_errors_escape_for_any_input(data: bytes) -> None:
    with contextlib.suppress(EidError):
        parse_dossier(data)
