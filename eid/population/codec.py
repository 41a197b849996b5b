"""The one record format of a citizen: a JSON object, used by fixtures, SQLite and the generator.

Keys are the field names of :class:`~eid.population.model.Citizen`; nested
objects for addresses, relatives, household and account; dates as
``YYYY[-MM[-DD]]`` strings. An absent field (``None``) is left out, an empty
one is kept as ``""``, so absent and empty survive a round trip. Unknown keys
are refused, so a typo in a data file fails loudly instead of vanishing.

Decoding checks shape and types only; :mod:`eid.population.fixtures` adds the
checks against other data.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar, cast, get_args

from eid.errors import PopulationError
from eid.population.idnumber import Sex
from eid.population.model import (
    ACCOUNT_LEVELS,
    ACCOUNT_STATUSES,
    BLOOD_TYPES,
    MARITAL_STATUSES,
    RELATIONSHIPS,
    Account,
    Address,
    Citizen,
    Household,
    PartialDate,
    Relative,
)
from eid.population.names import canonical_tones, normalize_name, search_key

__all__ = [
    "RecordError",
    "citizen_from_record",
    "citizen_to_record",
    "name_key",
]

_T = TypeVar("_T")
_SEXES: tuple[Sex, ...] = get_args(Sex)


class RecordError(ValueError):
    """A record does not have the shape of a citizen; ``field`` is a dotted path.

    Internal: callers turn it into ``DataError`` (a data file) or
    ``StorageError`` (a stored row), which is what the public API raises.
    """

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def name_key(full_name: str) -> str:
    """The search key stored for a name: upper case, no diacritics, ``đ`` → ``D``, no spaces.

    Population lookups match names this way: official data writes one name
    with and without diacritics, in NFC and NFD. Tones are canonicalised first
    so that the key never depends on which tone-placement convention
    (``Hòa``/``Hoà``) a source used.
    """
    return search_key(canonical_tones(normalize_name(full_name)))


def _str(rec: Mapping[str, Any], key: str, path: str) -> str:
    value = rec.get(key)
    if type(value) is not str:
        raise RecordError(path + key, "required text" if value is None else "must be text")
    return value


def _opt_str(rec: Mapping[str, Any], key: str, path: str) -> str | None:
    value = rec.get(key)
    if value is None or type(value) is str:
        return value
    raise RecordError(path + key, "must be text")


def _opt_int(rec: Mapping[str, Any], key: str, path: str) -> int | None:
    value = rec.get(key)
    if value is None or type(value) is int:
        return value
    raise RecordError(path + key, "must be an integer")


def _choice(rec: Mapping[str, Any], key: str, path: str, allowed: tuple[_T, ...]) -> _T:
    value = rec.get(key)
    if value not in allowed:
        raise RecordError(path + key, f"{value!r} is not one of {', '.join(map(str, allowed))}")
    return cast(_T, value)


def _opt_choice(rec: Mapping[str, Any], key: str, path: str, allowed: tuple[_T, ...]) -> _T | None:
    return None if rec.get(key) is None else _choice(rec, key, path, allowed)


def _date(rec: Mapping[str, Any], key: str, path: str) -> PartialDate | None:
    text = _opt_str(rec, key, path)
    if text is None:
        return None
    try:
        return PartialDate.parse(text)
    except PopulationError as exc:
        raise RecordError(path + key, exc.message) from exc


def _obj(
    rec: Mapping[str, Any], key: str, path: str, build: Callable[[Mapping[str, Any], str], _T]
) -> _T | None:
    value = rec.get(key)
    if value is None:
        return None
    if type(value) is not dict:
        raise RecordError(path + key, "must be an object")
    return build(value, f"{path}{key}.")


def _known(rec: Mapping[str, Any], path: str, keys: frozenset[str]) -> None:
    extra = rec.keys() - keys
    if extra:
        raise RecordError(path + sorted(extra)[0], "unknown field")


_ADDRESS_KEYS = frozenset({"province_code", "commune_code", "detail", "country"})
_RELATIVE_KEYS = frozenset({"full_name", "id_number", "nationality"})
_HOUSEHOLD_KEYS = frozenset({"household_id", "relationship", "head_id_number", "head_name"})
_ACCOUNT_KEYS = frozenset({"level", "status", "password_hash", "phone", "email", "registered_by"})
_CITIZEN_KEYS = frozenset(Citizen.__dataclass_fields__)


def _address(rec: Mapping[str, Any], path: str) -> Address:
    _known(rec, path, _ADDRESS_KEYS)
    country = _opt_str(rec, "country", path)
    return Address(
        _opt_int(rec, "province_code", path),
        _opt_int(rec, "commune_code", path),
        _opt_str(rec, "detail", path),
        "VNM" if country is None else country,
    )


def _relative(rec: Mapping[str, Any], path: str) -> Relative:
    _known(rec, path, _RELATIVE_KEYS)
    return Relative(
        _str(rec, "full_name", path),
        _opt_str(rec, "id_number", path),
        _opt_str(rec, "nationality", path),
    )


def _household(rec: Mapping[str, Any], path: str) -> Household:
    _known(rec, path, _HOUSEHOLD_KEYS)
    return Household(
        _str(rec, "household_id", path),
        _choice(rec, "relationship", path, RELATIONSHIPS),
        _str(rec, "head_id_number", path),
        _opt_str(rec, "head_name", path),
    )


def _account(rec: Mapping[str, Any], path: str) -> Account:
    _known(rec, path, _ACCOUNT_KEYS)
    return Account(
        _choice(rec, "level", path, ACCOUNT_LEVELS),
        _choice(rec, "status", path, ACCOUNT_STATUSES),
        _str(rec, "password_hash", path),
        _opt_str(rec, "phone", path),
        _opt_str(rec, "email", path),
        _opt_str(rec, "registered_by", path),
    )


def citizen_from_record(rec: Mapping[str, Any]) -> Citizen:
    """Build a :class:`Citizen` from its record; names are normalised to NFC.

    :raises RecordError: the record's shape or a value's type is wrong
        (``field`` names it); never returns a half-filled citizen.
    """
    _known(rec, "", _CITIZEN_KEYS)
    birth = _date(rec, "birth_date", "")
    if birth is None:
        raise RecordError("birth_date", "required date")
    return Citizen(
        id_number=_str(rec, "id_number", ""),
        full_name=normalize_name(_str(rec, "full_name", "")),
        birth_date=birth,
        sex=_choice(rec, "sex", "", _SEXES),
        family_name=_norm(_opt_str(rec, "family_name", "")),
        middle_name=_norm(_opt_str(rec, "middle_name", "")),
        given_name=_norm(_opt_str(rec, "given_name", "")),
        birth_registration_place=_obj(rec, "birth_registration_place", "", _address),
        hometown=_obj(rec, "hometown", "", _address),
        ethnicity=_opt_str(rec, "ethnicity", ""),
        religion=_opt_str(rec, "religion", ""),
        nationality=_opt_str(rec, "nationality", ""),
        marital_status=_opt_choice(rec, "marital_status", "", MARITAL_STATUSES),
        blood_type=_opt_choice(rec, "blood_type", "", BLOOD_TYPES),
        permanent_residence=_obj(rec, "permanent_residence", "", _address),
        temporary_residence=_obj(rec, "temporary_residence", "", _address),
        current_residence=_obj(rec, "current_residence", "", _address),
        temporary_absence=_opt_str(rec, "temporary_absence", ""),
        household=_obj(rec, "household", "", _household),
        father=_obj(rec, "father", "", _relative),
        mother=_obj(rec, "mother", "", _relative),
        spouse=_obj(rec, "spouse", "", _relative),
        legal_representative=_obj(rec, "legal_representative", "", _relative),
        death_date=_date(rec, "death_date", ""),
        old_id_number=_opt_str(rec, "old_id_number", ""),
        account=_obj(rec, "account", "", _account),
    )


def _norm(value: str | None) -> str | None:
    # Only non-empty text is normalised: "" must stay "" (empty is not absent).
    return normalize_name(value) if value else value


def _compact(obj: Any) -> dict[str, Any]:
    return {k: getattr(obj, k) for k in obj.__dataclass_fields__ if getattr(obj, k) is not None}


def citizen_to_record(citizen: Citizen) -> dict[str, Any]:
    """The record of ``citizen``: absent fields left out, empty ones kept."""
    rec: dict[str, Any] = {}
    for key in Citizen.__dataclass_fields__:
        value = getattr(citizen, key)
        if value is None:
            continue
        if isinstance(value, PartialDate):
            rec[key] = value.isoformat()
        elif isinstance(value, Address):
            addr = _compact(value)
            if addr.get("country") == "VNM":
                del addr["country"]
            rec[key] = addr
        elif isinstance(value, Relative | Household | Account):
            rec[key] = _compact(value)
        else:
            rec[key] = value
    return rec
