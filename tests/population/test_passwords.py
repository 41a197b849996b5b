"""scrypt password hashes."""

from __future__ import annotations

from typing import Any

import pytest

from eid.errors import ConfigurationError, PopulationError
from eid.population import hash_password, is_password_hash, verify_password

# Cheap parameters: the tests check the format and logic, not the cost.
FAST: dict[str, Any] = {"n": 2**4, "r": 1, "p": 1}


def test_hash_is_self_describing_and_verifies() -> None:
    encoded = hash_password("Mật-khẩu 1", **FAST)
    assert encoded.startswith("scrypt$16$1$1$")
    assert is_password_hash(encoded)
    assert verify_password("Mật-khẩu 1", encoded)
    assert not verify_password("Mật-khẩu 2", encoded)


def test_salts_differ() -> None:
    assert hash_password("x", **FAST) != hash_password("x", **FAST)


def test_given_salt_is_deterministic() -> None:
    assert hash_password("x", salt=b"0123456789abcdef", **FAST) == hash_password(
        "x", salt=b"0123456789abcdef", **FAST
    )


@pytest.mark.parametrize(
    "encoded",
    ["", "plain", "bcrypt$1$1$1$AA$AA", "scrypt$15$1$1$AAAA$" + "A" * 43, "scrypt$16$1$1$AAAA$AAAA",
     "scrypt$x$1$1$AAAA$" + "A" * 43, "scrypt$16$1$1$$" + "A" * 43],
)
def test_malformed_hashes_are_refused(encoded: str) -> None:
    assert not is_password_hash(encoded)
    with pytest.raises(PopulationError) as info:
        verify_password("x", encoded)
    assert info.value.code == "bad_password_hash"


@pytest.mark.parametrize("params", [{"n": 15}, {"n": 1}, {"r": 0}, {"p": 0}])
def test_bad_parameters_are_the_callers_mistake(params: dict[str, int]) -> None:
    with pytest.raises(ConfigurationError) as info:
        hash_password("x", **{**FAST, **params})
    assert info.value.code == "bad_scrypt_parameters"
