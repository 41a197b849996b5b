"""Form definitions: fields with a source (an attribute path or user input) and a format.

Forms are data (``fixtures/forms/*.json``, read by :mod:`eid.prefill.loader`).
A field's ``source`` is one of:

- ``user`` – entered by the citizen;
- an attribute path of the catalogue (``citizen.full_name``,
  ``citizen.permanent_residence``, ``household.members`` for a table);
- a person attribute and one of its parts (``household.head.full_name``,
  ``father.id_number``): parts are ``full_name``, ``birth_date``, ``sex``,
  ``id_number``, ``nationality``, ``relationship``, ``ethnicity``, ``residence``;
- ``newborn.mother.<part>`` / ``newborn.father.<part>`` – the parents of a child
  being registered (Circular 04/2020/TT-BTP): the declaring citizen on the side
  of their sex, their spouse on the other (the spouse's full record when the
  registry holds it; a reference holds only name, ID number and nationality).
  Needs ``profile`` and ``family``.

Every source resolves to a getter over a claims dict, built once when the form
is loaded, so prefill does no parsing.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from eid.errors import ConfigurationError
from eid.prefill.catalogue import Catalogue
from eid.prefill.results import FieldValue

__all__ = ["Column", "Field", "Form", "Plan", "Procedure", "Resolver", "Source", "parse_source"]

Getter = Callable[[Mapping[str, Any]], Any]
#: A compiled field: (claims, granted scopes, retrieval time) → its value.
Resolver = Callable[[Mapping[str, Any], frozenset[str], _dt.datetime], FieldValue]

# Part of a person claim → (key inside the person object, value type).
PERSON_PARTS: Mapping[str, tuple[str, str]] = {
    "full_name": ("name", "text"),
    "birth_date": ("birthdate", "date"),
    "sex": ("gender", "sex"),
    "id_number": ("vn_id_number", "text"),
    "nationality": ("vn_nationality", "code"),
    "relationship": ("vn_relationship", "relationship"),
    # Only in a family member's full record (eid.prefill.attributes.person_claim).
    "ethnicity": ("vn_ethnicity", "code"),
    "residence": ("vn_permanent_residence", "address"),
}
# newborn.<parent>.<part> on the declarant's side: part → (attribute, value type).
_SELF_PARTS: Mapping[str, tuple[str, str]] = {
    "full_name": ("citizen.full_name", "text"),
    "birth_date": ("citizen.birth_date", "date"),
    "id_number": ("citizen.id_number", "text"),
    "nationality": ("citizen.nationality", "code"),
    "ethnicity": ("citizen.ethnicity", "code"),
    "residence": ("citizen.permanent_residence", "address"),
}
_PARENT_SEX = {"mother": "female", "father": "male"}


@dataclass(frozen=True, slots=True)
class Source:
    """Where a field's value comes from, resolved against the catalogue."""

    path: str
    #: Value type (see :data:`eid.prefill.formats.FORMAT_TYPES`); ``user`` for user input.
    type: str
    #: Reads the value from claims (``None`` for user input); two sources are equal
    #: by what they resolve, not by closure identity.
    getter: Getter | None = field(compare=False)
    #: Attribute paths the value draws on (the provider computes just these).
    attributes: tuple[str, ...]
    #: Each group must meet the granted scopes (any one scope in it) to release the value.
    requires: tuple[frozenset[str], ...]
    #: For each group, the scope to ask for (the catalogue's first releasing scope).
    preferred: tuple[str, ...]
    verified: bool

    @property
    def is_user(self) -> bool:
        """Whether the citizen enters the value."""
        return self.getter is None


@dataclass(frozen=True, slots=True)
class Column:
    """A column of a table field: a part of each person in the list."""

    id: str
    label_vi: str
    label_en: str
    part: str
    format: str


@dataclass(frozen=True, slots=True)
class Field:
    """One field of a form."""

    id: str
    label_vi: str
    label_en: str
    source: Source
    format: str
    required: bool
    #: False when a verified value is only a suggestion the citizen may change
    #: (e.g. which household members move together, CT01 item 11).
    lock: bool = True
    columns: tuple[Column, ...] = ()
    #: A table whose rows the citizen chooses (CT01 item 11: the members changing
    #: together): the registry's rows are the candidates to add from, the citizen's own
    #: entry is not one, and the table starts empty.
    choose: bool = False

    def label(self, lang: str = "vi") -> str:
        """The label in ``lang`` (``"vi"`` or ``"en"``)."""
        return self.label_en if lang == "en" else self.label_vi


@dataclass(frozen=True, slots=True)
class Plan:
    """A form compiled against a catalogue (:func:`eid.prefill.engine.compile_form`)."""

    resolvers: tuple[Resolver, ...]
    #: (attribute path, claim, scopes releasing it): what the provider computes.
    attributes: tuple[tuple[str, str, frozenset[str]], ...]
    #: The catalogue's labels (vi, en) of every scope that releases a field: a citizen
    #: is told which consent would release a field by its label, never its id.
    scope_labels: Mapping[str, tuple[str, str]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Form:
    """A form: fields in paper order, with its legal basis."""

    id: str
    title_vi: str
    title_en: str
    legal_basis: str
    fields: tuple[Field, ...]
    #: The compiled resolvers, set by :func:`eid.prefill.engine.compile_form`
    #: (the loader compiles every form it returns).
    plan: Plan | None = field(default=None, compare=False, repr=False)

    def title(self, lang: str = "vi") -> str:
        """The title in ``lang`` (``"vi"`` or ``"en"``)."""
        return self.title_en if lang == "en" else self.title_vi

    def scope_label(self, scope: str, lang: str = "vi") -> str:
        """The catalogue's label of ``scope`` in ``lang`` (a scope the compiled form does
        not know: the scope itself, which a catalogue test keeps from happening)."""
        labels = self.plan.scope_labels.get(scope) if self.plan is not None else None
        if labels is None:
            return scope
        return labels[1] if lang == "en" else labels[0]

    @property
    def scopes(self) -> tuple[str, ...]:
        """Scopes to request so that every prefillable field is released (preferred ones)."""
        return tuple(dict.fromkeys(s for f in self.fields for s in f.source.preferred))


@dataclass(frozen=True, slots=True)
class Procedure:
    """A chained procedure ("liên thông", Decree 63/2024/NĐ-CP): several forms, one consent."""

    id: str
    title_vi: str
    title_en: str
    legal_basis: str
    forms: tuple[Form, ...]

    def title(self, lang: str = "vi") -> str:
        """The title in ``lang`` (``"vi"`` or ``"en"``)."""
        return self.title_en if lang == "en" else self.title_vi

    @property
    def scopes(self) -> tuple[str, ...]:
        """The one consent: every scope any of the forms asks for."""
        return tuple(dict.fromkeys(s for f in self.forms for s in f.scopes))


def _unknown(path: str) -> ConfigurationError:
    return ConfigurationError(f"unknown source {path!r}", code="unknown_source")


def parse_source(path: str, catalogue: Catalogue) -> Source:
    """Resolve a field's ``source`` against the catalogue.

    :raises ConfigurationError: ``unknown_source`` for a path that names no
        attribute (or part), or an attribute no scope releases.
    """
    if path == "user":
        return Source(path, "user", None, (), (), (), verified=False)
    attrs = catalogue.attributes
    getter: Getter
    if path in attrs:
        attribute, value_type = path, str(attrs[path].type)
        claim = attrs[path].claim
        getter = lambda claims: claims.get(claim)  # noqa: E731
    else:
        head, _, part = path.rpartition(".")
        parent = head.removeprefix("newborn.")
        if head != parent and parent in _PARENT_SEX:
            return _newborn(path, _PARENT_SEX[parent], part, catalogue)
        if head not in attrs or attrs[head].type != "person" or part not in PERSON_PARTS:
            raise _unknown(path)
        attribute, (key, value_type) = head, PERSON_PARTS[part]
        claim = attrs[head].claim
        getter = lambda claims: _part(claims.get(claim), key)  # noqa: E731
    return _source(path, value_type, getter, (attribute,), catalogue)


def _source(
    path: str, value_type: str, getter: Getter, attributes: tuple[str, ...], catalogue: Catalogue
) -> Source:
    releasers = [catalogue.releasers(a) for a in attributes]
    if not all(releasers):
        raise _unknown(path)
    return Source(
        path,
        value_type,
        getter,
        attributes,
        tuple(frozenset(r) for r in releasers),
        tuple(r[0] for r in releasers),
        verified=all(catalogue.attributes[a].verified for a in attributes),
    )


def _part(person: Any, key: str) -> Any:
    return person.get(key) if isinstance(person, Mapping) else None


def _newborn(path: str, sex: str, part: str, catalogue: Catalogue) -> Source:
    self_attr, value_type = _SELF_PARTS.get(part, ("", ""))
    if not {"citizen.sex", "spouse", self_attr} <= catalogue.attributes.keys():
        raise _unknown(path)
    self_claim = catalogue.attributes[self_attr].claim
    spouse_key = PERSON_PARTS[part][0] if part in PERSON_PARTS else None
    gender_claim = catalogue.attributes["citizen.sex"].claim
    spouse_claim = catalogue.attributes["spouse"].claim

    def getter(claims: Mapping[str, Any]) -> Any:
        gender = claims.get(gender_claim)
        if gender == sex:
            return claims.get(self_claim)
        if gender is None or spouse_key is None:
            return None
        return _part(claims.get(spouse_claim), spouse_key)

    return _source(path, value_type, getter, ("citizen.sex", "spouse", self_attr), catalogue)
