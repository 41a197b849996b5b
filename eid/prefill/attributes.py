"""Attribute values as claims: from a registry record (provider) or a userinfo dict (portal).

Every attribute has one JSON value, its claim value, and both sides meet there:
the provider computes it from a :class:`~eid.population.model.Citizen` (and the
registry, for household members and children); the portal receives it in
userinfo. Prefill then reads only claim values, which is why the two sides
give the same result.

Claim values (OIDC Core §5.1 for the standard ones):

- ``birthdate``: ``YYYY-MM-DD``; a partial date known only to the year (or to the
  month, which OIDC cannot express) is ``YYYY`` (§5.1 allows year-only).
- ``gender``: ``"male"`` / ``"female"``.
- addresses: the OIDC address object (§5.1.1) with ``formatted``,
  ``street_address`` (house number, street, hamlet), ``locality`` (commune),
  ``region`` (province), ``country`` (name), plus ``vn_commune_code``,
  ``vn_province_code`` and ``vn_country_code`` for portals that need codes.
- people (household head and members, father, mother, spouse, children): an
  object with ``name`` and, when recorded, ``vn_id_number``, ``vn_nationality``
  and for full records ``birthdate``, ``gender``, ``vn_relationship``. The family
  (father, mother, spouse, legal representative, children) is looked up in the
  registry, so a relative the registry holds comes as their full record, with
  ``vn_ethnicity`` and ``vn_permanent_residence`` too (what a birth registration
  declares about the parents, Circular 04/2020/TT-BTP); a relative it does not hold
  stays the reference the citizen's record carries.
- codes (ethnicity, religion, nationality, marital status, blood type) as the
  database holds them (``"01"``, ``"VNM"``, ``"married"``).

A value the record does not hold is left out, never invented (OIDC Core §5.3.2).

Release rule for ID numbers (issue 10 item 3): the citizen's own ID numbers are
released only under the scope that releases ``citizen.id_number`` (``id_number``),
also where they sit inside a person value (the household head, the citizen's own
entry among the household members); relatives' ID numbers only under a scope
whose consent text names them (``household``, ``family``). Claims requested one
by one (:func:`eid.prefill.claims.claims_by_name`) carry no ID number at all: the consent screen
lists them by label only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from eid.errors import ConfigurationError, NotFoundError
from eid.population.model import Address, Citizen, PartialDate, Relative
from eid.population.names import normalize_name
from eid.population.registry import Registry, Relatives
from eid.population.units import commune, province

__all__ = ["EXTRACTORS", "ID_NUMBER_ATTRIBUTES", "RecordView", "address_claim", "date_claim",
           "extract_claims", "person_claim"]

Json = Any
_COUNTRY_NAMES = {"VNM": "Việt Nam"}
# Attributes that need other citizens' records, so a registry.
NEEDS_REGISTRY = frozenset({"household.members", "children"})
#: The citizen's own ID numbers: released only by a scope that releases them itself.
ID_NUMBER_ATTRIBUTES = frozenset({"citizen.id_number", "citizen.old_id_number"})
_ID_KEY = "vn_id_number"  # where person_claim puts a person's ID number


def date_claim(value: PartialDate) -> str:
    """``birthdate`` per OIDC Core §5.1: ``YYYY-MM-DD``, or ``YYYY`` when partial."""
    return value.isoformat() if value.is_complete else f"{value.year:04d}"


def address_claim(value: Address) -> dict[str, Json] | None:
    """The OIDC address object (§5.1.1) of ``value``; ``None`` if it holds nothing.

    Units come from their codes; a code the unit list does not know is left out
    rather than guessed (the detail is still given).
    """
    detail = normalize_name(value.detail) if value.detail else ""
    out: dict[str, Json] = {}
    parts = [detail] if detail else []
    if detail:
        out["street_address"] = detail
    province_code = value.province_code
    if value.commune_code is not None:
        try:
            c = commune(value.commune_code)
        except NotFoundError:
            pass
        else:
            out["locality"] = c.name
            out["vn_commune_code"] = c.code
            parts.append(c.name)
            province_code = c.province_code
    if province_code is not None:
        try:
            p = province(province_code)
        except NotFoundError:
            pass
        else:
            out["region"] = p.name
            out["vn_province_code"] = p.code
            parts.append(p.name)
    if not parts:
        return None
    out["formatted"] = ", ".join(parts)
    out["country"] = _COUNTRY_NAMES.get(value.country, value.country)
    out["vn_country_code"] = value.country
    return out


def person_claim(person: Citizen | Relative, relationship: str | None = None, *,
                 details: bool = False) -> dict[str, Json]:
    """A person inside a claim: name and what the record holds about them.

    A :class:`Relative` reference carries the three facts the law records for a
    relative (Law on Citizen Identification art. 9: name, ID number,
    nationality); a full :class:`Citizen` adds birth date and sex, and with
    ``details`` (the family, whose consent text names them) ethnicity and
    permanent residence.
    """
    out: dict[str, Json] = {"name": person.full_name}
    if isinstance(person, Citizen):
        out["birthdate"] = date_claim(person.birth_date)
        out["gender"] = person.sex
        if details:
            if person.ethnicity:
                out["vn_ethnicity"] = person.ethnicity
            residence = None if person.permanent_residence is None \
                else address_claim(person.permanent_residence)
            if residence is not None:
                out["vn_permanent_residence"] = residence
    if person.id_number:
        out["vn_id_number"] = person.id_number
    if person.nationality:
        out["vn_nationality"] = person.nationality
    if relationship is not None:
        out["vn_relationship"] = relationship
    return out


class RecordView:
    """One citizen's record, with the registry look-ups fetched once and only when needed."""

    __slots__ = ("_household", "_relatives", "citizen", "registry")

    def __init__(self, citizen: Citizen, registry: Registry | None = None) -> None:
        self.citizen = citizen
        self.registry = registry
        self._household: list[Citizen] | None = None
        self._relatives: Relatives | None = None

    def _need_registry(self, what: str) -> Registry:
        if self.registry is None:
            raise ConfigurationError(
                f"{what} needs a registry: pass registry=", code="registry_required"
            )
        return self.registry

    def household(self) -> list[Citizen]:
        """The household, head first (:meth:`Registry.household`).

        :raises ConfigurationError: ``registry_required``.
        """
        if self._household is None:
            self._household = self._need_registry("household.members").household(
                self.citizen.id_number
            )
        return self._household

    def relatives(self) -> Relatives:
        """The family (:meth:`Registry.relatives`).

        :raises ConfigurationError: ``registry_required``.
        """
        if self._relatives is None:
            self._relatives = self._need_registry("children").relatives(self.citizen.id_number)
        return self._relatives


def _address_of(get: Callable[[Citizen], Address | None]) -> Callable[[RecordView], Json]:
    def extract(r: RecordView) -> Json:
        value = get(r.citizen)
        return None if value is None else address_claim(value)

    return extract


def _head(r: RecordView) -> Json:
    h = r.citizen.household
    if h is None:
        return None
    out: dict[str, Json] = {}
    if h.head_name:
        out["name"] = h.head_name
    elif r.registry is not None:
        # The record may name only the head's number; the registry knows the name.
        members = r.household()
        if members and members[0].id_number == h.head_id_number:
            out["name"] = members[0].full_name
    out["vn_id_number"] = h.head_id_number
    return out


def _members(r: RecordView) -> Json:
    if r.citizen.household is None:
        return None
    return [
        person_claim(m, m.household.relationship if m.household else None)
        for m in r.household()
    ]


def _relative(name: str) -> Callable[[RecordView], Json]:
    def extract(r: RecordView) -> Json:
        # The registry's full record of the relative when it holds one (Registry.relatives):
        # the reference in the citizen's own record has only name, number, nationality.
        value: Citizen | Relative | None = getattr(
            r.citizen if r.registry is None else r.relatives(), name)
        return None if value is None else person_claim(value, details=True)

    return extract


def _children(r: RecordView) -> Json:
    return [person_claim(c, details=True) for c in r.relatives().children] or None


def _account(name: str) -> Callable[[RecordView], Json]:
    def extract(r: RecordView) -> Json:
        account = r.citizen.account
        return None if account is None else getattr(account, name)

    return extract


def _plain(name: str) -> Callable[[RecordView], Json]:
    def extract(r: RecordView) -> Json:
        return getattr(r.citizen, name)

    return extract


#: Attribute path → how the provider computes its claim value from a record.
EXTRACTORS: Mapping[str, Callable[[RecordView], Json]] = {
    "citizen.full_name": _plain("full_name"),
    "citizen.birth_date": lambda r: date_claim(r.citizen.birth_date),
    "citizen.sex": _plain("sex"),
    "citizen.id_number": _plain("id_number"),
    "citizen.old_id_number": _plain("old_id_number"),
    "citizen.permanent_residence": _address_of(lambda c: c.permanent_residence),
    "citizen.temporary_residence": _address_of(lambda c: c.temporary_residence),
    "citizen.current_residence": _address_of(lambda c: c.current_residence),
    "household.head": _head,
    "household.relationship": lambda r: (
        None if r.citizen.household is None else r.citizen.household.relationship
    ),
    "household.members": _members,
    "father": _relative("father"),
    "mother": _relative("mother"),
    "spouse": _relative("spouse"),
    "legal_representative": _relative("legal_representative"),
    "children": _children,
    "citizen.birth_registration_place": _address_of(lambda c: c.birth_registration_place),
    "citizen.hometown": _address_of(lambda c: c.hometown),
    "citizen.ethnicity": _plain("ethnicity"),
    "citizen.religion": _plain("religion"),
    "citizen.nationality": _plain("nationality"),
    "citizen.phone": _account("phone"),
    "citizen.email": _account("email"),
    "citizen.marital_status": _plain("marital_status"),
    "citizen.blood_type": _plain("blood_type"),
}


def extract_claims(
    record: RecordView,
    attributes: Iterable[tuple[str, str]],
    *,
    relatives_id_numbers: bool = True,
) -> dict[str, Json]:
    """Claims for ``(attribute path, claim name)`` pairs; absent values are left out.

    The release rule for ID numbers is applied here, where every claim set is built:
    the citizen's own numbers stay inside person values only when the pairs include
    ``citizen.id_number``; ``relatives_id_numbers=False`` drops every number inside
    person values (claims requested one by one).

    :raises ConfigurationError: ``registry_required`` (household members, children).
    """
    pairs = list(attributes)
    own_released = any(path == "citizen.id_number" for path, _ in pairs)
    own = {n for n in (record.citizen.id_number, record.citizen.old_id_number) if n}

    def drop(number: str) -> bool:
        return not relatives_id_numbers or (number in own and not own_released)

    claims: dict[str, Json] = {}
    for path, claim in pairs:
        value = EXTRACTORS[path](record)
        if isinstance(value, (dict, list)):  # a person value, or a list of them
            value = _without_id_numbers(value, drop) or None
        if value is not None:
            claims[claim] = value
    return claims


def _without_id_numbers(value: Json, drop: Callable[[str], bool]) -> Json:
    """``value`` without the ``vn_id_number`` members ``drop`` names, at any depth."""
    if isinstance(value, list):
        return [_without_id_numbers(v, drop) for v in value]
    if isinstance(value, dict):
        return {k: _without_id_numbers(v, drop) for k, v in value.items()
                if not (k == _ID_KEY and drop(str(v)))}
    return value
