"""The one safe-redirect rule for ``next=`` values (RFC 9700 §4.11 open redirectors)."""

from __future__ import annotations

import pytest

from eid.oidc import quote_path, safe_local_path


@pytest.mark.parametrize(
    "target",
    [
        "/",
        "/ct01",
        "/ct01?x=1#frag",
        "/procedures/ct01?step=2&lang=en",
        "/th%E1%BB%A7-t%E1%BB%A5c/%C4%91%C4%83ng-k%C3%BD",  # "thủ-tục/đăng-ký", encoded
        "/thủ-tục",  # what Werkzeug's decoded request.path gives
        "/search?q=100%25",
        "/a:b/@c",  # a colon or an at sign inside a path names no scheme or userinfo
    ],
)
def test_same_site_paths_are_kept(target: str) -> None:
    assert safe_local_path(target) == target


@pytest.mark.parametrize(
    "target",
    [
        None,
        "",
        42,
        "ct01",  # relative to the current path, not to the site
        "https://evil.test/",
        "http://127.0.0.1:5001/",
        "javascript:alert(1)",
        "data:text/html,x",
        "//evil.test/x",
        "///evil.test",
        "/\\evil.test",
        "\\\\evil.test",
        "/a\\b",
        "//user@evil.test",
        "https://user:pass@evil.test/",
        # WHATWG URL parsing drops tab and newlines anywhere: "/\t/x" is "//x".
        "/\t/evil.test",
        "/\n/evil.test",
        "/\r/evil.test",
        "/ct01\r\nSet-Cookie: x=1",
        "/\x00/evil.test",
        "/\x7f/evil.test",
        "/\x0b/evil.test",
        "/\x1f",
        "/\x85",  # C1 next-line
        " /ct01",  # browsers strip leading spaces
        "/a b",
        "/\u00a0/evil.test",
        "/\u200b/evil.test",  # zero-width space (format)
        "/\u2028/evil.test",  # line separator
        "/\u2029",
        "/\u3000",
        "/\ufeff/evil.test",
        "/%2Fevil.test",
        "/%2fevil.test",
        "/%5Cevil.test",
        "/%5cevil.test",
        "/%252Fevil.test",  # double-encoded
        "/%25252F",  # triple-encoded
        "/%255Cevil.test",
        "/a%2Fb",
        "/%09/evil.test",  # an encoded tab
        "/ct01%0D%0ASet-Cookie:x",
        "/%00",
        "/%E2%80%A8",  # an encoded line separator
        "/" + "a" * 5000,
    ],
)
def test_anything_else_falls_back(target: object) -> None:
    assert safe_local_path(target) == "/"
    assert safe_local_path(target, default="/home") == "/home"


@pytest.mark.parametrize(
    ("decoded", "encoded"),
    [("/thủ-tục", "/th%E1%BB%A7-t%E1%BB%A5c"), ("/a b", "/a%20b"), ("/\\host", "/%5Chost"),
     ("/100%", "/100%25"), ("/a?b#c", "/a%3Fb%23c"), ("/x:y@z;p=1", "/x:y@z;p=1")])
def test_a_decoded_path_is_encoded_again(decoded: str, encoded: str) -> None:
    assert quote_path(decoded) == encoded
