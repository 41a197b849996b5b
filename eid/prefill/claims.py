"""The userinfo claims of a registry record under the granted scopes.

The public entry point over :mod:`eid.prefill.attributes`: it resolves the
default catalogue (the shipped one, from :mod:`eid.prefill.loader`) here, at
the top, so the modules below never reach back up for it.
"""

from __future__ import annotations

from collections.abc import Iterable

from eid.population.model import Citizen
from eid.population.registry import Registry
from eid.prefill.attributes import ID_NUMBER_ATTRIBUTES, Json, RecordView, extract_claims
from eid.prefill.catalogue import Catalogue
from eid.prefill.loader import default_catalogue

__all__ = ["claims_by_name", "claims_for"]


def claims_for(
    citizen: Citizen,
    scopes: Iterable[str],
    registry: Registry | None = None,
    *,
    catalogue: Catalogue | None = None,
) -> dict[str, Json]:
    """The userinfo claims of ``citizen`` under the granted ``scopes`` (JSON-serialisable).

    ``sub`` is not included: the login service chooses the subject identifier.
    Unknown scopes are ignored (OIDC Core §3.1.2.1); values the record does not
    hold are left out (§5.3.2). The citizen's own ID numbers appear, in any
    claim, only when a granted scope releases ``citizen.id_number``.

    :param catalogue: the shipped catalogue by default.
    :raises ConfigurationError: ``registry_required`` when a granted scope
        releases household members or children and no registry is given.
    :raises NotFoundError: the registry does not hold ``citizen`` (household, family).
    """
    chosen = default_catalogue() if catalogue is None else catalogue
    pairs = [(a.id, a.claim) for a in chosen.released(scopes)]
    return extract_claims(RecordView(citizen, registry), pairs)


def claims_by_name(
    citizen: Citizen,
    names: Iterable[str],
    registry: Registry | None = None,
    *,
    catalogue: Catalogue | None = None,
) -> dict[str, Json]:
    """Claims requested one by one (OIDC Core §5.5 ``claims``), by claim name.

    No ID number is ever released this way: not the citizen's own (the ID-number
    claims themselves are left out), and not one inside a person value, since
    the consent screen shows such a claim by its label alone. Unknown names are
    ignored.

    :param catalogue: the shipped catalogue by default.
    :raises ConfigurationError: ``registry_required`` (household members, children).
    """
    chosen = default_catalogue() if catalogue is None else catalogue
    wanted = set(names)
    pairs = [(a.id, a.claim) for a in chosen.attributes.values()
             if a.claim in wanted and a.id not in ID_NUMBER_ATTRIBUTES]
    return extract_claims(RecordView(citizen, registry), pairs, relatives_id_numbers=False)
