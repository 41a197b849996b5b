"""The procedure list (``fixtures/portal-procedures.json``), read by one loader."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from eid.errors import DataError
from eid.prefill.procedures import load_procedure_catalogue


def test_the_shipped_list_has_codes_and_titles_in_both_languages() -> None:
    catalogue = load_procedure_catalogue()
    ct01 = catalogue["ct01"]
    assert ct01.text("title", "vi") == "Đăng ký thay đổi thông tin cư trú (CT01)"
    assert ct01.text("title", "en") == "Residence information change (CT01)"
    assert "openid" not in ct01.attributes and "household" in ct01.attributes
    assert catalogue["lien-thong-khai-sinh"].chained == "lien_thong_khai_sinh"


GOOD: dict[str, Any] = {"id": "x", "form": "ct01", "acr": "LoA1", "scopes": ["openid"],
                        "title": {"vi": "X"}, "summary": {"vi": "Y"}}


@pytest.mark.parametrize(("entry", "field"), [
    ({**GOOD, "id": ""}, "procedures[0].id"),
    ({**GOOD, "scopes": ["profile"]}, "procedures[0].scopes"),
    ({**GOOD, "title": {"en": "X"}}, "procedures[0].title"),
    ({**GOOD, "procedure": "p"}, "procedures[0]"),  # form and procedure both
    ({k: v for k, v in GOOD.items() if k != "form"}, "procedures[0]"),
    ({**GOOD, "acr": 2}, "procedures[0].acr"),
    ("ct01", "procedures[0]"),
])
def test_a_malformed_entry_names_its_field(tmp_path: Path, entry: Any, field: str) -> None:
    path = tmp_path / "p.json"
    path.write_text(json.dumps({"procedures": [entry]}), encoding="utf-8")
    with pytest.raises(DataError) as err:
        load_procedure_catalogue(path)
    assert err.value.field == field


def test_duplicate_codes_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    path.write_text(json.dumps({"procedures": [GOOD, GOOD]}), encoding="utf-8")
    with pytest.raises(DataError, match="duplicate"):
        load_procedure_catalogue(path)
