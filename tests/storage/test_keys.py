"""Key names of the short-lived store: the hash tag is always the first ``{...}``."""

from __future__ import annotations

import pytest

from eid.errors import ConfigurationError
from eid.storage import tagged
from eid.storage.keys import check_prefix


def test_a_key_is_its_tag_then_its_kind_and_parts() -> None:
    assert tagged("abc_-.9", "code") == "{abc_-.9}:code"
    assert tagged("sid", "client", 3) == "{sid}:client:3"


@pytest.mark.parametrize("hostile", ["a}b", "{x}", "a b", "", "x" * 129, "é", "a:b"])
def test_a_tag_outside_the_safe_alphabet_is_hashed(hostile: str) -> None:
    key = tagged(hostile, "authreq")
    tag = key[1:key.index("}")]
    assert key.count("{") == 1 and key.count("}") == 1
    assert len(tag) == 65 and tag.startswith("h")
    assert key == tagged(hostile, "authreq")  # the same value names the same key


def test_a_part_outside_the_safe_alphabet_is_hashed() -> None:
    key = tagged("t", "session", "x}{y")
    assert "{" not in key[1:] and key.startswith("{t}:session:h")


@pytest.mark.parametrize("prefix", ["eid:{", "a}b:"])
def test_a_prefix_with_braces_is_refused(prefix: str) -> None:
    with pytest.raises(ConfigurationError) as err:
        check_prefix(prefix)
    assert err.value.code == "invalid_prefix"
