"""Strict base64url and JSON decoding of token segments."""

from __future__ import annotations

import pytest

from eid.errors import TokenError
from eid.verify._codec import b64url_decode, b64url_encode, json_object


@pytest.mark.parametrize("data", [b"", b"f", b"fo", b"foo", b"foob", bytes(range(256))])
def test_base64url_round_trip(data: bytes) -> None:
    assert b64url_decode(b64url_encode(data), "x") == data


@pytest.mark.parametrize(
    ("segment", "why"),
    [
        ("Zm9v=", "padding"),
        ("Zg==", "padding"),
        ("Zm 9v", "whitespace"),
        ("Zm9v\n", "newline"),
        ("Zm+v", "standard alphabet +"),
        ("Zm/v", "standard alphabet /"),
        ("Zm9vY", "length 1 mod 4"),
        ("Zh", "stray bits after one octet"),
        ("Zm9", "stray bits after two octets"),
        ("Zm9v\x00", "NUL"),
        ("Zm9vé", "non-ASCII"),
    ],
)
def test_non_canonical_base64url_is_rejected(segment: str, why: str) -> None:
    with pytest.raises(TokenError) as err:
        b64url_decode(segment, "payload")
    assert err.value.code == "bad_base64", why


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (b'{"a":1,"a":2}', "bad_json"),
        (b'{"a":{"b":1,"b":1}}', "bad_json"),
        (b'{"a":NaN}', "bad_json"),
        (b'{"a":Infinity}', "bad_json"),
        (b'{"a":-Infinity}', "bad_json"),
        (b'{"a":1e999}', "bad_json"),
        (b'{"a":"\\ud800"}', "bad_json"),
        (b'{"\\udfff":1}', "bad_json"),
        (b'{"a":["\\uDC00"]}', "bad_json"),
        (b"[1,2]", "bad_json"),
        (b'"text"', "bad_json"),
        (b"", "bad_json"),
        (b"\xff\xfe{}", "bad_json"),
        (b'{"a":"\xed\xa0\x80"}', "bad_json"),  # an encoded surrogate is not UTF-8
        (b"\xef\xbb\xbf{}", "bad_json"),  # BOM
        (b'{"a":1} x', "bad_json"),
        (b'{"a":' * 100_000 + b"1" + b"}" * 100_000, "too_deep"),
        (b'{"a":' + b"[" * 100_000 + b"]" * 100_000 + b"}", "too_deep"),
        # Deep enough for a recursive search to overflow, shallow enough to parse.
        (b'{"a":' + b"[" * 500 + b'"\\ud800"' + b"]" * 500 + b"}", "bad_json"),
    ],
    ids=lambda v: v[:20] if isinstance(v, bytes) else v,
)
def test_strict_json_rejects(raw: bytes, code: str) -> None:
    with pytest.raises(TokenError) as err:
        json_object(raw, "payload")
    assert err.value.code == code


def test_a_deep_valid_surrogate_pair_is_accepted() -> None:
    raw = b'{"a":' + b"[" * 500 + b'"\\ud83d\\ude00"' + b"]" * 500 + b"}"
    value = json_object(raw, "payload")["a"]
    for _ in range(500):
        value = value[0]
    assert value == "\U0001f600"


def test_json_accepts_a_valid_surrogate_pair_and_unicode() -> None:
    assert json_object('{"e":"\\ud83d\\ude00","n":"Nguyễn"}'.encode(), "p") == {
        "e": "\U0001f600",
        "n": "Nguyễn",
    }
