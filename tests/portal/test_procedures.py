"""The demo portal's procedure list: the shipped file, and what a broken one raises."""

from __future__ import annotations

from pathlib import Path

import pytest

from eid.errors import DataError, DataFileMissing
from service.portal.procedures import load_procedures


def test_the_shipped_procedures_load() -> None:
    procedures = load_procedures()
    assert set(procedures) == {"ct01", "khai-sinh", "lien-thong-khai-sinh"}
    assert procedures["lien-thong-khai-sinh"].chained is not None


def test_a_missing_file_is_missing_not_malformed(tmp_path: Path) -> None:
    with pytest.raises(DataFileMissing) as err:
        load_procedures(tmp_path / "absent.json")
    assert err.value.code == "data_file_missing"


@pytest.mark.parametrize(("content", "code"), [
    ("{", "bad_json"),
    ("[]", "invalid_data"),
    ('{"procedures": [{"id": "x", "acr": "LoA1", "scopes": ["openid"], "form": "nope",'
     ' "title": {"vi": "x"}, "summary": {"vi": "x"}}]}', "invalid_data"),
])
def test_a_malformed_file(content: str, code: str, tmp_path: Path) -> None:
    path = tmp_path / "procedures.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(DataError) as err:
        load_procedures(path)
    assert err.value.code == code
    assert not isinstance(err.value, DataFileMissing)
