"""What both registry backends share when they decode rows: a citizen kept decoded is
handed out again only for the very text it came from, and only so many are kept."""

from __future__ import annotations

import pytest

from eid.errors import ConfigurationError, StorageError
from eid.population import Citizen, load_citizens
from eid.population.codec import citizen_to_record
from eid.population.model import Address
from eid.population.rows import KeptDecodes, check_keep
from eid.population.stored import encode_stored

from .conftest import TODAY


@pytest.fixture(scope="module")
def texts() -> dict[str, str]:
    """ID number -> the record text a registry stores for that citizen."""
    citizens: list[Citizen] = load_citizens(today=TODAY)
    return {c.id_number: encode_stored(citizen_to_record(c)) for c in citizens[:5]}


def _places() -> dict[tuple[object, ...], Address]:
    return {}


def test_the_same_text_gives_the_kept_citizen(texts: dict[str, str]) -> None:
    kept = KeptDecodes(4)
    key, text = next(iter(texts.items()))
    first = kept.decode(text, key, _places())
    assert kept.decode(text, key, _places()) is first
    # Equal text that is another string object is still the same record.
    assert kept.decode("".join(list(text)), key, _places()) is first


def test_another_text_for_the_same_number_decodes_afresh(texts: dict[str, str]) -> None:
    kept = KeptDecodes(4)
    key, text = next(iter(texts.items()))
    first = kept.decode(text, key, _places())
    changed = text.replace('"active"', '"locked"')
    assert changed != text
    again = kept.decode(changed, key, _places())
    assert again is not first and again.account is not None
    assert again.account.status == "locked"
    assert kept.decode(changed, key, _places()) is again  # the new text is kept instead


def test_a_corrupt_text_is_refused_even_after_a_good_one(texts: dict[str, str]) -> None:
    kept = KeptDecodes(4)
    key, text = next(iter(texts.items()))
    kept.decode(text, key, _places())
    with pytest.raises(StorageError) as info:
        kept.decode(text[:-1], key, _places())
    assert info.value.code == "corrupt_record"


def test_only_so_many_are_kept_the_oldest_out_first(texts: dict[str, str]) -> None:
    kept = KeptDecodes(2)
    keys = list(texts)[:3]
    first = [kept.decode(texts[k], k, _places()) for k in keys]
    assert kept.decode(texts[keys[2]], keys[2], _places()) is first[2]
    assert kept.decode(texts[keys[1]], keys[1], _places()) is first[1]
    again = kept.decode(texts[keys[0]], keys[0], _places())
    assert again == first[0] and again is not first[0]


def test_nothing_is_kept_with_size_0(texts: dict[str, str]) -> None:
    kept = KeptDecodes(0)
    key, text = next(iter(texts.items()))
    assert kept.decode(text, key, _places()) is not kept.decode(text, key, _places())


@pytest.mark.parametrize("value", [-1, True, 1.5, "8", None])
def test_a_size_that_is_not_a_count_is_refused(value: object) -> None:
    with pytest.raises(ConfigurationError) as info:
        check_keep(value)
    assert info.value.code == "invalid_argument"
