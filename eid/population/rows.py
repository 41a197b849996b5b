"""What every registry backend does with the rows it reads: decode them strictly, order a
household, resolve a citizen's relatives. Shared by :mod:`eid.population.sqlite` and
:mod:`eid.population.postgres`, so both answer the :class:`Registry` contract alike."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any

from eid.errors import ConfigurationError, PopulationError, StorageError
from eid.population.codec import RecordError
from eid.population.model import Address, Citizen, Relative
from eid.population.registry import Relatives
from eid.population.stored import decode_stored

__all__ = ["KeptDecodes", "check_keep", "decode_row", "head_first", "relatives_of"]


def decode_row(text: object, key: object, places: dict[tuple[Any, ...], Address]) -> Citizen:
    """The citizen a row holds; ``key`` is the row's ID number (an integer, or the text
    asked for), which must be the record's.

    :raises StorageError: ``corrupt_record``: a row that cannot become a whole Citizen
        is corruption, never handed out in part.
    """
    try:
        if not isinstance(text, str):
            raise TypeError("record is not text")
        citizen = decode_stored(text, places)
    except (ValueError, TypeError, PopulationError) as exc:
        field = f" ({exc.field})" if isinstance(exc, RecordError) else ""
        raise StorageError(
            f"stored record{field} cannot be read: {exc}", code="corrupt_record"
        ) from exc
    if citizen.id_number != (key if type(key) is str else f"{key:012d}"):
        raise StorageError(
            f"row {key} holds the record of {citizen.id_number}", code="corrupt_record"
        )
    return citizen


def check_keep(keep_decoded: object) -> int:
    """``keep_decoded`` as a registry takes it: a whole number, 0 or more.

    :raises ConfigurationError: ``invalid_argument``.
    """
    if isinstance(keep_decoded, bool) or not isinstance(keep_decoded, int) \
            or keep_decoded < 0:
        raise ConfigurationError(f"keep_decoded must be 0 or more, not {keep_decoded!r}",
                                 code="invalid_argument")
    return keep_decoded


class KeptDecodes:
    """The last ``size`` citizens decoded, by ID number, each with the record text it was
    decoded from, for a registry whose rows may change under it (PostgreSQL: another
    process may lock an account, or reload the table).

    The row is still read on every lookup; only its decoding is skipped when the text read
    is the very text the kept citizen came from (the same characters decode to the same
    frozen citizen, so sharing it is safe). A changed row decodes afresh and replaces the
    kept one: nothing read is ever older than the row. The oldest goes out first.
    """

    def __init__(self, size: int) -> None:
        self._size = check_keep(size)
        self._kept: OrderedDict[str, tuple[str, Citizen]] = OrderedDict()
        self._lock = threading.Lock()

    def decode(self, text: object, id_number: str,
               places: dict[tuple[Any, ...], Address]) -> Citizen:
        """:func:`decode_row` of ``text``, the row of ``id_number``, or the citizen kept
        from that same text."""
        kept = self._kept.get(id_number)
        if kept is not None and kept[0] == text:
            return kept[1]
        citizen = decode_row(text, id_number, places)
        if self._size and isinstance(text, str):  # decode_row took only a str
            with self._lock:
                if id_number not in self._kept and len(self._kept) >= self._size:
                    self._kept.popitem(last=False)  # the oldest, in O(1)
                self._kept[id_number] = (text, citizen)
        return citizen


def head_first(members: Iterable[Citizen]) -> list[Citizen]:
    """A household's members (given by ID number) with the head first."""
    # sorted() is stable: the others keep their ID-number order.
    return sorted(
        members, key=lambda c: c.household is None or c.household.relationship != "head"
    )


def relatives_of(citizen: Citizen, find: Callable[[str], Citizen | None],
                 children: Iterable[Citizen]) -> Relatives:
    """The :class:`Relatives` of ``citizen``: each reference resolved through ``find``
    when the registry holds it, else as recorded; ``children`` ordered by ID number."""

    def resolve(relative: Relative | None) -> Citizen | Relative | None:
        if relative is None or relative.id_number is None:
            return relative
        try:
            found = find(relative.id_number)
        except PopulationError:  # a malformed reference: show it as recorded
            return relative
        return relative if found is None else found

    return Relatives(
        father=resolve(citizen.father),
        mother=resolve(citizen.mother),
        spouse=resolve(citizen.spouse),
        legal_representative=resolve(citizen.legal_representative),
        children=tuple(sorted(children, key=lambda c: c.id_number)),
    )
