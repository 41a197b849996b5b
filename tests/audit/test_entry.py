"""An entry's canonical bytes: one spelling, read back exactly, anything else refused."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from eid.audit import AccessEntry, canonical_bytes, entry_from_bytes, entry_leaf, leaf_hash
from eid.errors import AuditError

ENTRY = AccessEntry(time=1_700_000_000, citizen="074190000001", client_id="portal",
                    organisation="Cổng dịch vụ công Hà Nội", action="userinfo",
                    procedure="CT01", purpose=None, attributes=("name", "birthdate"),
                    basis="consent:openid profile", trace_id="t-1")


def test_canonical_bytes_are_sorted_compact_utf8_json() -> None:
    data = canonical_bytes(ENTRY)
    assert data.startswith(b'{"action":"userinfo","attributes":["name","birthdate"],')
    assert "Cổng".encode() in data  # UTF-8, not \\u escapes
    assert b" " not in data.replace("Cổng dịch vụ công Hà Nội".encode(), b"") \
        .replace(b"openid profile", b"")


def test_an_entry_reads_back_from_its_bytes() -> None:
    assert entry_from_bytes(canonical_bytes(ENTRY)) == ENTRY
    assert entry_leaf(ENTRY) == leaf_hash(canonical_bytes(ENTRY))


@pytest.mark.parametrize("data", [
    b"not json",
    b"\xff\xfe",
    b"[]",
    canonical_bytes(ENTRY).replace(b'"trace_id":"t-1"', b'"trace_id":"t-1","extra":1'),
    canonical_bytes(ENTRY).replace(b',"trace_id":"t-1"', b""),
    canonical_bytes(ENTRY).replace(b'["name","birthdate"]', b'"name"'),
    canonical_bytes(ENTRY).replace(b":", b": "),  # parses, but not the logged spelling
], ids=["not-json", "not-utf8", "not-object", "extra-field", "missing-field",
        "attributes-not-list", "not-canonical"])
def test_bytes_that_are_not_an_entry_are_refused(data: bytes) -> None:
    with pytest.raises(AuditError) as caught:
        entry_from_bytes(data)
    assert caught.value.code == "invalid_entry"


@pytest.mark.parametrize("change", [
    {"time": -1}, {"time": 1.5}, {"time": True}, {"citizen": ""}, {"client_id": ""},
    {"action": "peek"}, {"procedure": 5}, {"purpose": b"x"}, {"attributes": ["name"]},
    {"attributes": ("name", 1)}, {"basis": None}, {"trace_id": 3},
], ids=str)
def test_a_malformed_entry_cannot_be_built(change: dict[str, Any]) -> None:
    with pytest.raises(AuditError) as caught:
        replace(ENTRY, **change)
    assert caught.value.code == "invalid_entry"


@pytest.mark.parametrize("field", ["time", "citizen", "client_id", "organisation", "action",
                                   "procedure", "purpose", "attributes", "basis", "trace_id"])
def test_every_field_is_covered_by_the_leaf_hash(field: str) -> None:
    other = {"time": 1, "citizen": "x", "client_id": "y", "organisation": "z",
             "action": "match", "procedure": "HK02", "purpose": "p", "attributes": ("a",),
             "basis": "law", "trace_id": "t-2"}[field]
    assert entry_leaf(replace(ENTRY, **{field: other})) != entry_leaf(ENTRY)
