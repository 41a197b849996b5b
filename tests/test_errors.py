"""The one error tree: distinct codes, a complete token-failure enumeration, true branches."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest

import eid
from eid import errors
from eid.errors import DataError, EidError, PopulationError, TokenError, TokenFailure
from eid.testing.faults import TOKEN_FAULTS

_EID = Path(eid.__file__).parent


def _error_classes() -> list[type[EidError]]:
    return [cls for _, cls in inspect.getmembers(errors, inspect.isclass)
            if issubclass(cls, EidError)]


def test_no_two_classes_share_a_default_code() -> None:
    seen: dict[str, str] = {}
    for cls in _error_classes():
        other = seen.setdefault(str(cls.default_code), cls.__name__)
        assert other == cls.__name__, f"{cls.__name__} and {other} share {cls.default_code!r}"


def _token_error_codes() -> list[tuple[str, str]]:
    """``(where, code)`` of every ``TokenError(..., code="...")`` in the library's source."""
    found = []
    for path in sorted(_EID.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id == "TokenError"):
                continue
            for kw in node.keywords:
                if kw.arg == "code" and isinstance(kw.value, ast.Constant):
                    found.append((f"{path.relative_to(_EID)}:{node.lineno}", kw.value.value))
    return found


def test_the_scan_finds_the_raise_sites() -> None:
    # Guards the next test against passing on an empty scan.
    assert len(_token_error_codes()) > 30


@pytest.mark.parametrize(("where", "code"), _token_error_codes())
def test_every_code_the_library_raises_is_published(where: str, code: str) -> None:
    assert code in set(TokenFailure), f"{where}: {code!r} is not a TokenFailure"


@pytest.mark.parametrize("name", ["at_hash", "c_hash"])
def test_a_computed_code_is_published(name: str) -> None:
    # claims.py builds f"{name}_mismatch" for the two hashes of OIDC Core 3.1.3.6.
    assert TokenError("?", code=f"{name}_mismatch").code == f"{name}_mismatch"


def test_token_error_code_is_the_enumeration_member() -> None:
    err = TokenError("late", code="expired")
    assert err.code is TokenFailure.EXPIRED
    assert err.code == "expired"


def test_token_error_refuses_an_unpublished_code() -> None:
    with pytest.raises(ValueError, match="not_a_rule"):
        TokenError("?", code="not_a_rule")


@pytest.mark.parametrize("fault", TOKEN_FAULTS.values(), ids=TOKEN_FAULTS.keys())
def test_each_fault_names_a_published_code(fault: object) -> None:
    assert isinstance(getattr(fault, "expected_code", None), TokenFailure)


def test_data_files_are_not_citizen_data() -> None:
    # clients.json, scopes.json, forms and procedures fail as DataError, which a
    # caller handling citizen-data problems (PopulationError) must not swallow.
    assert not issubclass(DataError, PopulationError)
