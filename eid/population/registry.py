"""The registry protocol: what the login service and portals ask of the population database.

The SQLite implementation (:class:`eid.population.sqlite.SqliteRegistry`) is the
default; another backend (the real database behind NDXP/LGSP, PostgreSQL)
implements the same small protocol.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from eid.population.model import Citizen, PartialDate, Relative

__all__ = ["DEFAULT_SEARCH_LIMIT", "Registry", "Relatives"]

DEFAULT_SEARCH_LIMIT = 20


@dataclass(frozen=True, slots=True)
class Relatives:
    """A citizen's family as the record names it.

    ``father``, ``mother``, ``spouse`` and ``legal_representative`` are the full
    :class:`Citizen` when the registry holds the referenced ID number, else the
    :class:`Relative` reference as recorded (a foreigner, someone without a
    number), else ``None``. ``children`` are the citizens whose father or mother
    is this citizen, ordered by ID number.
    """

    father: Citizen | Relative | None
    mother: Citizen | Relative | None
    spouse: Citizen | Relative | None
    legal_representative: Citizen | Relative | None
    children: tuple[Citizen, ...]


@runtime_checkable
class Registry(Protocol):
    """Read (and bulk-write) access to citizen records."""

    def get(self, id_number: str) -> Citizen:
        """The citizen with this personal ID number.

        :raises IdNumberError: the number is malformed (its own ``code``).
        :raises NotFoundError: ``citizen_not_found``: well-formed but unknown.
        :raises StorageError: ``corrupt_record``: the stored record cannot be read.
        """
        ...

    def search(
        self,
        name: str,
        born: PartialDate | _dt.date | None = None,
        *,
        limit: int = DEFAULT_SEARCH_LIMIT,
    ) -> list[Citizen]:
        """Citizens whose name matches ``name`` exactly after search-key folding.

        The match ignores case, diacritics, ``đ``/``Đ``, spaces, Unicode
        normalisation form and tone placement (the way population lookups match
        names). ``born`` narrows to a birth date; unknown parts on either side
        match anything. Ordered by ID number, at most ``limit``.

        :raises ConfigurationError: ``bad_limit`` if ``limit`` is below 1.
        :raises StorageError: ``corrupt_record``.
        """
        ...

    def household(self, id_number: str) -> list[Citizen]:
        """Everyone in this citizen's household, head first, then by ID number.

        A citizen with no household record is returned alone.

        :raises IdNumberError: malformed number.
        :raises NotFoundError: ``citizen_not_found``.
        """
        ...

    def relatives(self, id_number: str) -> Relatives:
        """Father, mother, spouse, legal representative and children of a citizen.

        :raises IdNumberError: malformed number.
        :raises NotFoundError: ``citizen_not_found``.
        """
        ...

    def iter_citizens(self) -> Iterator[Citizen]:
        """Every citizen, ordered by ID number."""
        ...

    def __iter__(self) -> Iterator[Citizen]: ...

    def __len__(self) -> int: ...

    def add_many(self, citizens: Iterable[Citizen]) -> int:
        """Insert citizens (all or none); returns how many.

        :raises StorageError: ``duplicate_id_number`` if one is already present.
        """
        ...
