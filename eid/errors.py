"""Every error the ``eid`` library raises, in one tree and without logic.

A caller rejects anything with a single ``except EidError``; the ``code`` is a
stable snake_case string to branch on, log, or show (never parse the message).

    EidError
    ├── ConfigurationError     the caller's mistake (bad argument, bad settings)
    ├── TokenError             a token failed a rule (``code`` names the rule)
    ├── KeySourceError         a key set could not be fetched or is malformed
    ├── PopulationError        citizen data
    │   ├── IdNumberError      a personal ID number is malformed
    │   ├── DocumentError      a card's MRZ or QR payload is malformed (``field``)
    │   ├── NotFoundError      no such citizen
    │   └── DataError          a data file failed validation (``source``, ``field``)
    └── StorageError           a store failed (connection, corruption)
"""

from __future__ import annotations

__all__ = [
    "ConfigurationError",
    "DataError",
    "DocumentError",
    "EidError",
    "IdNumberError",
    "KeySourceError",
    "NotFoundError",
    "PopulationError",
    "StorageError",
    "TokenError",
]


class EidError(Exception):
    """Base of every ``eid`` error: a stable ``code`` and a human-readable message."""

    default_code = "eid_error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.code: str = code or self.default_code
        self.message = message

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class ConfigurationError(EidError):
    """The caller passed an invalid argument or setting (not the token's fault)."""

    default_code = "invalid_configuration"


class TokenError(EidError):
    """A token is not acceptable; ``code`` names the rule it failed."""

    default_code = "invalid_token"


class KeySourceError(EidError):
    """A key set is malformed or could not be fetched."""

    default_code = "key_source_error"


class PopulationError(EidError):
    """Citizen data is invalid or missing."""

    default_code = "population_error"


class IdNumberError(PopulationError):
    """A personal identification number (or old CMND) is malformed."""

    default_code = "invalid_id_number"


class DocumentError(PopulationError):
    """An identity document payload (MRZ, QR) is malformed; ``field`` names the part."""

    default_code = "invalid_document"

    def __init__(self, message: str, *, field: str, code: str | None = None) -> None:
        super().__init__(message, code=code)
        self.field = field


class NotFoundError(PopulationError):
    """No citizen (or other record) matches the request."""

    default_code = "not_found"


class DataError(PopulationError):
    """A data file (fixtures, forms, clients) failed validation when loaded."""

    default_code = "invalid_data"

    def __init__(
        self, message: str, *, source: str, field: str | None = None, code: str | None = None
    ) -> None:
        where = f"{source}: {field}: " if field else f"{source}: "
        super().__init__(where + message, code=code)
        self.source = source
        self.field = field


class StorageError(EidError):
    """A storage backend failed."""

    default_code = "storage_error"
