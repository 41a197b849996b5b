"""The stored form of a citizen record: a positional JSON array (what a registry row holds).

A registry stores each record as a JSON *array* in :class:`Citizen` field
order, nested objects as arrays in their field order and dates as
``[year, month, day]``: half the size of the keyed form of
:mod:`eid.population.codec` and twice as fast to parse, which is what makes a
lookup among millions cheap. ``null`` is absent, ``""`` is empty, so the
difference survives storage.

Decoding is the lookup hot path (tens of thousands a second), so it trusts
what only the registry writes (names already NFC, value types) and skips the
per-field checks of :func:`~eid.population.codec.citizen_from_record`. A row of
the wrong shape still fails, so a damaged row is never returned half-filled.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from eid.population.codec import RecordError
from eid.population.model import Account, Address, Citizen, Household, PartialDate, Relative

__all__ = ["decode_stored", "encode_stored", "stored_from_record"]

_FIELDS = tuple(Citizen.__dataclass_fields__)
_NESTED: dict[str, Any] = {
    "birth_registration_place": Address,
    "hometown": Address,
    "permanent_residence": Address,
    "temporary_residence": Address,
    "current_residence": Address,
    "household": Household,
    "father": Relative,
    "mother": Relative,
    "spouse": Relative,
    "legal_representative": Relative,
    "account": Account,
}
_NESTED_FIELDS = {
    cls: tuple(cls.__dataclass_fields__) for cls in (Address, Household, Relative, Account)
}
_DATES = ("birth_date", "death_date")
# decode_stored() unpacks positionally for speed: it must follow the model's field order.
_ORDER = (
    "id_number", "full_name", "birth_date", "sex", "family_name", "middle_name", "given_name",
    "birth_registration_place", "hometown", "ethnicity", "religion", "nationality",
    "marital_status", "blood_type", "permanent_residence", "temporary_residence",
    "current_residence", "temporary_absence", "household", "father", "mother", "spouse",
    "legal_representative", "death_date", "old_id_number", "account",
)
if _FIELDS != _ORDER:  # pragma: no cover - a guard for whoever changes the model
    raise ImportError("eid.population.stored is out of step with the Citizen fields")
_LENGTH = len(_FIELDS)
_PLACES_MAX = 10_000
# The C scanner behind json.loads, without the wrapper's two whitespace regex passes.
_SCAN = json.JSONDecoder().scan_once  # type: ignore[attr-defined]


def stored_from_record(rec: Mapping[str, Any]) -> list[Any]:
    """The stored (positional) form of a keyed record (as ``citizen_to_record`` gives).

    The record is trusted (already validated, or made by the generator).
    """
    out: list[Any] = []
    for name in _FIELDS:
        value = rec.get(name)
        if value is not None:
            cls = _NESTED.get(name)
            if cls is not None:
                value = [value.get(k) for k in _NESTED_FIELDS[cls]]
                if cls is Address and value[3] is None:
                    value[3] = "VNM"
            elif name in _DATES:
                date = PartialDate.parse(value)
                value = [date.year, date.month, date.day]
        out.append(value)
    return out


def encode_stored(rec: Mapping[str, Any]) -> str:
    """The stored text of a keyed record: compact JSON, Vietnamese text kept as is."""
    return json.dumps(stored_from_record(rec), ensure_ascii=False, separators=(",", ":"))


def _place(value: list[Any], places: dict[tuple[Any, ...], Address]) -> Address:
    # Birth-registration places and hometowns repeat (a few hundred across a province):
    # share one frozen Address each instead of building it again per lookup.
    key = tuple(value)
    found = places.get(key)
    if found is None:
        found = Address(*value)
        if len(places) < _PLACES_MAX:
            places[key] = found
    return found


def decode_stored(text: str, places: dict[tuple[Any, ...], Address] | None = None) -> Citizen:
    """The :class:`Citizen` a stored text holds.

    ``places`` is a cache the caller keeps (a registry keeps one) of the
    addresses that repeat across records; sharing them is safe, they are frozen.

    :raises RecordError: the text is not a stored record of the right length.
    :raises ValueError: bad JSON or a bad date. :raises TypeError: a value of
        the wrong shape (a nested object that is not an array, too many items).
    """
    try:
        values, end = _SCAN(text, 0)
    except StopIteration as exc:
        raise RecordError("record", "not JSON") from exc
    if end != len(text) or type(values) is not list or len(values) != _LENGTH:
        raise RecordError("record", "not a stored citizen record")
    (id_number, full_name, birth, sex, family, middle, given, registered, hometown, ethnicity,
     religion, nationality, marital, blood, permanent, temporary, current, absence, household,
     father, mother, spouse, representative, death, old_id, account) = values
    if places is None:
        places = {}
    lives = None if permanent is None else Address(*permanent)
    return Citizen(
        id_number, full_name, PartialDate(*birth), sex, family, middle, given,
        None if registered is None else _place(registered, places),
        None if hometown is None else _place(hometown, places),
        ethnicity, religion, nationality, marital, blood,
        lives,
        None if temporary is None else Address(*temporary),
        # Most people live at their permanent address: share the object.
        lives if current == permanent else None if current is None else Address(*current),
        absence,
        None if household is None else Household(*household),
        None if father is None else Relative(*father),
        None if mother is None else Relative(*mother),
        None if spouse is None else Relative(*spouse),
        None if representative is None else Relative(*representative),
        None if death is None else PartialDate(*death),
        old_id,
        None if account is None else Account(*account),
    )
