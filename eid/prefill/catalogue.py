"""The consent catalogue: scopes → attributes → claims, one source of truth.

The catalogue is data (``fixtures/scopes.json``, read by :mod:`eid.prefill.loader`).
The consent screen shows each scope's labels and description; userinfo and ID
tokens release the claims of the granted scopes' attributes; forms name
attributes by path.

Claim names: standard OpenID Connect claims where the meaning is the same
(OIDC Core §5.1: ``name``, ``birthdate``, ``gender``, ``address``,
``phone_number``, ``email``), and private claims prefixed ``vn_`` for the rest
(OIDC Core §5.1.2 allows additional claims; the prefix keeps them from
colliding with registered names). ``given_name``/``family_name`` are never
released: Vietnamese names are not reliably split (some records hold the whole
name in one part, and the given name is the last word, not the first).

Both vocabularies of scopes are expressible: the Vietnamese scopes
(``residence``, ``contact``, ...) and the standard ones of OIDC Core §5.4
(``profile``, ``email``, ``phone``, ``address``), which release the matching
catalogue attributes, so a generic OIDC portal works unchanged. Unknown scope
values are ignored (OIDC Core §3.1.2.1).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from eid.errors import ConfigurationError

__all__ = ["CLAIM_NAMESPACE", "Attribute", "AttributeType", "Catalogue", "Scope"]

#: Prefix of every non-standard claim.
CLAIM_NAMESPACE = "vn_"

AttributeType = Literal[
    "text", "date", "sex", "address", "code", "relationship", "person", "person_list"
]


@dataclass(frozen=True, slots=True)
class Attribute:
    """One piece of citizen data a scope may release.

    ``id`` is the attribute path forms use (``citizen.full_name``,
    ``household.members``); ``claim`` the name it has in tokens and userinfo.
    ``verified`` says the value is authoritative, so a prefilled field is
    locked; contact details of the e-ID account are not (the citizen may give
    another phone number for one filing).
    """

    id: str
    claim: str
    type: AttributeType
    verified: bool
    label_vi: str
    label_en: str


@dataclass(frozen=True, slots=True)
class Scope:
    """A consent scope: what the consent screen shows and which attributes it releases."""

    id: str
    attributes: tuple[str, ...]
    label_vi: str
    label_en: str
    description_vi: str
    description_en: str
    #: A scope of OIDC Core §5.4 (or ``openid``) rather than a Vietnamese one.
    standard: bool = False

    def label(self, lang: str = "vi") -> str:
        """The label in ``lang`` (``"vi"`` or ``"en"``)."""
        return self.label_en if lang == "en" else self.label_vi

    def description(self, lang: str = "vi") -> str:
        """The description in ``lang`` (``"vi"`` or ``"en"``)."""
        return self.description_en if lang == "en" else self.description_vi


@dataclass(frozen=True, slots=True)
class Catalogue:
    """Scopes and attributes, in file order, with the look-ups built once."""

    scopes: Mapping[str, Scope]
    attributes: Mapping[str, Attribute]
    _releasers: Mapping[str, tuple[str, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        releasers: dict[str, list[str]] = {a: [] for a in self.attributes}
        for scope in self.scopes.values():
            for attr in scope.attributes:
                releasers[attr].append(scope.id)
        object.__setattr__(
            self, "_releasers", {a: tuple(s) for a, s in releasers.items()}
        )

    def scope(self, scope_id: str) -> Scope:
        """The scope with this id.

        :raises ConfigurationError: ``unknown_scope``.
        """
        try:
            return self.scopes[scope_id]
        except KeyError:
            raise ConfigurationError(f"no scope {scope_id!r}", code="unknown_scope") from None

    def attribute(self, attribute_id: str) -> Attribute:
        """The attribute with this path.

        :raises ConfigurationError: ``unknown_attribute``.
        """
        try:
            return self.attributes[attribute_id]
        except KeyError:
            raise ConfigurationError(
                f"no attribute {attribute_id!r}", code="unknown_attribute"
            ) from None

    def releasers(self, attribute_id: str) -> tuple[str, ...]:
        """Every scope that releases the attribute, catalogue order (the first is preferred).

        :raises ConfigurationError: ``unknown_attribute``.
        """
        self.attribute(attribute_id)
        return self._releasers[attribute_id]

    def released(self, scopes: Iterable[str]) -> tuple[Attribute, ...]:
        """Attributes the granted ``scopes`` release, in catalogue order; unknown scopes ignored."""
        granted = {a for s in scopes if s in self.scopes for a in self.scopes[s].attributes}
        return tuple(a for a in self.attributes.values() if a.id in granted)

    def claim_names(self, scopes: Iterable[str]) -> tuple[str, ...]:
        """The claim names the granted ``scopes`` release (unknown scopes ignored)."""
        return tuple(a.claim for a in self.released(scopes))

    def consent_items(
        self, scopes: Iterable[str], lang: str = "vi"
    ) -> list[dict[str, object]]:
        """What a consent screen lists for the requested ``scopes``, in ``lang``.

        Each item: scope id, label, description, and the labels of the attributes
        it releases. Unknown scopes are left out (OIDC Core §3.1.2.1).
        """
        items: list[dict[str, object]] = []
        for scope_id in dict.fromkeys(scopes):
            scope = self.scopes.get(scope_id)
            if scope is None:
                continue
            attrs = [self.attributes[a] for a in scope.attributes]
            items.append(
                {
                    "scope": scope.id,
                    "label": scope.label(lang),
                    "description": scope.description(lang),
                    "attributes": [a.label_en if lang == "en" else a.label_vi for a in attrs],
                }
            )
        return items
