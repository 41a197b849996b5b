"""Authentication assurance levels (``acr`` values) of Vietnam's e-identification.

Decree 69/2024/NĐ-CP defines two levels of electronic identification: level 1
(self-registered in the VNeID app) and level 2 (checked in person, with
fingerprints). Level 2 satisfies any level-1 request, never the reverse.
"""

from __future__ import annotations

from typing import Final, Literal

from eid.errors import ConfigurationError

__all__ = ["ACR_LEVELS", "Acr", "acr_rank", "acr_satisfies"]

Acr = Literal["LoA1", "LoA2"]

#: Known ``acr`` values, weakest first.
ACR_LEVELS: Final[tuple[Acr, ...]] = ("LoA1", "LoA2")
_RANK: Final[dict[str, int]] = {name: i for i, name in enumerate(ACR_LEVELS)}


def acr_rank(value: object) -> int:
    """Rank of an ``acr`` value, or -1 when it is missing or unknown."""
    return _RANK.get(value, -1) if isinstance(value, str) else -1


def acr_satisfies(value: object, required: str) -> bool:
    """Whether ``value`` meets the ``required`` level.

    :raises ConfigurationError: ``unknown_acr`` when ``required`` is not a known level.
    """
    need = _RANK.get(required) if isinstance(required, str) else None
    if need is None:
        raise ConfigurationError(
            f"unknown acr level {required!r}; expected one of {', '.join(ACR_LEVELS)}",
            code="unknown_acr",
        )
    return acr_rank(value) >= need
