"""Pairwise subjects (OIDC Core §8.1)."""

from __future__ import annotations

import pytest

from eid.errors import ConfigurationError
from eid.oidc.subjects import pairwise_subject

SECRET = b"s" * 32


def test_stable_per_sector_and_different_across_sectors() -> None:
    a = pairwise_subject(SECRET, "dichvucong.gov.vn", "074190000001")
    assert a == pairwise_subject(SECRET, "dichvucong.gov.vn", "074190000001")
    assert a != pairwise_subject(SECRET, "dichvucong.hochiminhcity.gov.vn", "074190000001")
    assert a != pairwise_subject(SECRET, "dichvucong.gov.vn", "074190000002")
    assert a != pairwise_subject(b"t" * 32, "dichvucong.gov.vn", "074190000001")
    assert "074190000001" not in a


def test_sector_boundary_cannot_be_shifted() -> None:
    assert pairwise_subject(SECRET, "ab", "c|1") != pairwise_subject(SECRET, "a", "bc|1")


@pytest.mark.parametrize(("secret", "sector"), [(b"short", "s"), (SECRET, "")])
def test_bad_arguments(secret: bytes, sector: str) -> None:
    with pytest.raises(ConfigurationError):
        pairwise_subject(secret, sector, "074190000001")
