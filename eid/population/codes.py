"""Code lists of the National Population Database other than places: ethnicity (``DanToc``).

The ethnicity codes are the statistics office's: ``"01"``–``"54"`` the 54 ethnic
groups (``"01"`` = Kinh), ``"55"`` foreigner, ``"99"`` unknown. The table is data
(``data/ethnicities.json``), loaded once.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from types import MappingProxyType
from typing import Any

from eid.datafiles import data_path, read_json
from eid.errors import NotFoundError

__all__ = ["ETHNICITIES", "ETHNICITY_FOREIGNER", "ETHNICITY_UNKNOWN", "ethnicity_name"]

ETHNICITY_FOREIGNER = "55"
ETHNICITY_UNKNOWN = "99"


@cache
def _ethnicities() -> Mapping[str, str]:
    raw: Any = read_json(data_path("eid.population", "data", "ethnicities.json"))
    return MappingProxyType({e["code"]: e["name"] for e in raw["ethnicities"]})


#: Two-digit ethnicity code → Vietnamese name (``"01"`` → ``"Kinh"``); 56 entries.
ETHNICITIES: Mapping[str, str] = _ethnicities()


def ethnicity_name(code: str) -> str:
    """Return the name of an ethnicity code (``"05"`` → ``"Khơ-me"``).

    Codes are two-digit strings as in ``DanToc``; ``"5"`` or ``5`` are not accepted,
    so a record that lost its leading zero is caught rather than guessed.

    :raises NotFoundError: ``unknown_ethnicity``.
    """
    try:
        return ETHNICITIES[code]
    except (KeyError, TypeError):
        raise NotFoundError(f"no ethnicity code {code!r}", code="unknown_ethnicity") from None
