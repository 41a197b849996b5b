"""Administrative units since the 2025 reform: 34 provinces, 3,321 communes, no districts.

Resolution 202/2025/QH15 took effect on 1 July 2025. The units are not kept in
this project: they come at run time from the maintained package
``vietnam-provinces`` (import name ``vietnam_provinces``; it calls communes
"wards"), which follows the statistics office's code list. See ``UNITS.md`` for
why that package, its licence, and how its data differs from the reference CSVs.

The package is imported on first use, not when this module is imported, and
everything is indexed once into plain dicts: the population registry resolves
millions of commune codes and each look-up must be O(1).

Codes are ``int`` (``79``, ``25747``); data that carries zero-padded strings
(``"00004"``) converts with ``int()`` first. ID-number prefixes (the old 63
provinces, ``"074"``) are a different list: see :mod:`eid.population.idnumber`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from eid.errors import NotFoundError
from eid.population.names import normalize_name, search_key

__all__ = [
    "Commune",
    "Province",
    "all_communes",
    "all_provinces",
    "commune",
    "communes_of",
    "find_province",
    "format_address",
    "province",
    "validate_residence",
]


@dataclass(frozen=True, slots=True)
class Province:
    """A province-level unit (tỉnh or centrally-run city) with its official name.

    ``name`` is the full official form, ``"Tỉnh Cao Bằng"`` or ``"Thành phố Hồ Chí Minh"``.
    """

    code: int
    name: str


@dataclass(frozen=True, slots=True)
class Commune:
    """A commune-level unit (phường, xã or đặc khu); ``name`` carries its kind: ``"Xã Bình Mỹ"``."""

    code: int
    name: str
    province_code: int


@dataclass(frozen=True, slots=True)
class _Units:
    provinces: dict[int, Province]
    communes: dict[int, Commune]
    by_province: dict[int, tuple[Commune, ...]]
    by_key: dict[str, Province]


@cache
def _units() -> _Units:
    # Imported here so that importing eid does not load the package (and its
    # 3,321 objects) until a unit is actually needed; also the one place to swap
    # the data source (see UNITS.md).
    from vietnam_provinces import Province as PkgProvince
    from vietnam_provinces import VietNamDivisionType, Ward

    provinces: dict[int, Province] = {}
    for pkg in sorted(PkgProvince.iter_all(), key=lambda pkg: int(pkg.code)):
        name = normalize_name(pkg.name)
        # The package names centrally-run cities in full but drops "Tỉnh" for provinces.
        if pkg.division_type == VietNamDivisionType.TINH and not name.startswith("Tỉnh "):
            name = "Tỉnh " + name
        provinces[int(pkg.code)] = Province(code=int(pkg.code), name=name)

    communes: dict[int, Commune] = {}
    grouped: dict[int, list[Commune]] = {code: [] for code in provinces}
    for w in sorted(Ward.iter_all(), key=lambda w: int(w.code)):
        # normalize_name: the package has stray double spaces ("Phường  Rạch Dừa").
        c = Commune(
            code=int(w.code), name=normalize_name(w.name), province_code=int(w.province_code)
        )
        communes[c.code] = c
        grouped[c.province_code].append(c)

    by_key: dict[str, Province] = {}
    for p in provinces.values():
        by_key[search_key(p.name)] = p
        by_key[search_key(p.name.removeprefix("Tỉnh ").removeprefix("Thành phố "))] = p
    return _Units(
        provinces=provinces,
        communes=communes,
        by_province={code: tuple(cs) for code, cs in grouped.items()},
        by_key=by_key,
    )


def province(code: int) -> Province:
    """Return the 2025 province with this code (e.g. ``79``, Thành phố Hồ Chí Minh).

    :raises NotFoundError: ``unknown_province``.
    """
    try:
        return _units().provinces[code]
    except (KeyError, TypeError):
        raise NotFoundError(f"no province with code {code!r}", code="unknown_province") from None


def commune(code: int) -> Commune:
    """Return the commune with this 5-digit code.

    :raises NotFoundError: ``unknown_commune``.
    """
    try:
        return _units().communes[code]
    except (KeyError, TypeError):
        raise NotFoundError(f"no commune with code {code!r}", code="unknown_commune") from None


def communes_of(province_code: int) -> Sequence[Commune]:
    """Return the communes of a province, ordered by code.

    :raises NotFoundError: ``unknown_province``.
    """
    return _units().by_province[province(province_code).code]


def all_provinces() -> Sequence[Province]:
    """Return the 34 provinces, ordered by code."""
    return tuple(_units().provinces.values())


def all_communes() -> Sequence[Commune]:
    """Return all 3,321 communes, ordered by code."""
    return tuple(_units().communes.values())


def find_province(name_or_code: str | int) -> Province:
    """Find a 2025 province by code (``79``, ``"79"``) or name, with or without its kind.

    Names match like population look-ups (:func:`~eid.population.names.search_key`):
    ``"Hồ Chí Minh"``, ``"thanh pho ho chi minh"`` and ``"Tỉnh Cao Bằng"`` all work.
    Old (pre-2025) names are not accepted: ``"Bình Dương"`` is no longer a province.

    :raises NotFoundError: ``unknown_province``.
    """
    if isinstance(name_or_code, int):
        return province(name_or_code)
    if isinstance(name_or_code, str):
        text = name_or_code.strip()
        if text.isascii() and text.isdigit() and len(text) <= 2:
            return province(int(text))
        found = _units().by_key.get(search_key(text))
        if found is not None:
            return found
    raise NotFoundError(f"no province named {name_or_code!r}", code="unknown_province")


def validate_residence(province_code: int, commune_code: int) -> Commune:
    """Check that a residence's province and commune exist and belong together.

    :returns: the commune.
    :raises NotFoundError: ``unknown_province``, ``unknown_commune`` or
        ``commune_not_in_province``.
    """
    p = province(province_code)
    c = commune(commune_code)
    if c.province_code != p.code:
        raise NotFoundError(
            f"commune {c.code} ({c.name}) is in province {c.province_code}, not {p.code}",
            code="commune_not_in_province",
        )
    return c


def format_address(detail: str | None, commune_code: int) -> str:
    """Render an address: ``"12 Lê Lợi, Phường Thủ Dầu Một, Thành phố Hồ Chí Minh"``.

    The detail (house number, street, hamlet) is normalised and left out when
    empty; the commune and province come from their codes, as there is no
    district level since 2025.

    :raises NotFoundError: ``unknown_commune``.
    """
    c = commune(commune_code)
    parts = [c.name, _units().provinces[c.province_code].name]
    if detail and (text := normalize_name(detail)):
        parts.insert(0, text)
    return ", ".join(parts)
