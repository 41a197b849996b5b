"""The one loader: shipped files load; every broken file fails naming the file and field."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from eid.errors import DataError
from eid.prefill import (
    Catalogue,
    Form,
    Procedure,
    default_catalogue_path,
    default_forms_dir,
    load_catalogue,
    load_form,
    load_forms,
)

Mutation = Callable[[dict[str, Any]], None]


def _shipped(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((default_forms_dir() / name).read_text(encoding="utf-8"))
    return data


def _field(doc: dict[str, Any], field_id: str) -> dict[str, Any]:
    field: dict[str, Any] = next(f for f in doc["fields"] if f["id"] == field_id)
    return field


def _write(tmp_path: Path, name: str, doc: object) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path


def test_shipped_forms_and_procedure_load(
    forms: dict[str, Form], procedures: dict[str, Procedure]
) -> None:
    assert set(forms) == {"ct01", "birth_registration", "tk1_ts"}
    (chain,) = procedures.values()
    assert [f.id for f in chain.forms] == ["birth_registration", "ct01", "tk1_ts"]
    assert "Decree 63/2024" in chain.legal_basis
    assert "Circular 66/2023/TT-BCA" in forms["ct01"].legal_basis
    assert "Circular 04/2020/TT-BTP" in forms["birth_registration"].legal_basis


def test_procedure_fields_become_the_child_s(procedures: dict[str, Procedure]) -> None:
    ct01 = procedures["lien_thong_khai_sinh"].forms[1]
    by_id = {f.id: f for f in ct01.fields}
    assert by_id["full_name"].source.is_user and by_id["members"].source.is_user
    assert not by_id["head_full_name"].source.is_user


def test_one_consent_covers_the_chain(procedures: dict[str, Procedure]) -> None:
    scopes = set(procedures["lien_thong_khai_sinh"].scopes)
    assert {"profile", "id_number", "family", "household", "residence"} <= scopes


def test_load_single_form(forms: dict[str, Form], catalogue: Catalogue) -> None:
    form = load_form(default_forms_dir() / "ct01.json", catalogue)
    assert form == forms["ct01"]


@pytest.mark.parametrize(
    ("mutate", "field", "code"),
    [
        (lambda d: _field(d, "full_name").update(source="citizen.nickname"),
         "full_name.source", "unknown_source"),
        (lambda d: _field(d, "head_full_name").update(source="household.head.shoe_size"),
         "head_full_name.source", "unknown_source"),
        (lambda d: _field(d, "full_name").update(source="citizen.full_name.part"),
         "full_name.source", "unknown_source"),
        (lambda d: _field(d, "full_name").update(source="newborn.mother.shoe_size"),
         "full_name.source", "unknown_source"),
        (lambda d: _field(d, "full_name").update(source="newborn.aunt.full_name"),
         "full_name.source", "unknown_source"),
        (lambda d: _field(d, "birth_date").update(format="date_mmddyyyy"),
         "birth_date.format", "unknown_format"),
        (lambda d: _field(d, "sex").update(format="address"), "sex.format", "format_mismatch"),
        (lambda d: _field(d, "request").update(format="table"), "request.format",
         "format_mismatch"),
        (lambda d: _field(d, "full_name").update(colour="red"), "full_name.colour", "unknown_key"),
        (lambda d: _field(d, "full_name").pop("label_en"), "full_name.label_en", "bad_shape"),
        (lambda d: _field(d, "full_name").update(required="yes"), "full_name.required",
         "bad_shape"),
        (lambda d: d["fields"].append(copy.deepcopy(d["fields"][1])), "full_name",
         "duplicate_id"),
        (lambda d: _field(d, "members").update(columns=[]), "members.columns", "bad_shape"),
        (lambda d: _field(d, "members")["columns"][0].update(part="shoe_size"),
         "members.columns.full_name.part", "unknown_source"),
        (lambda d: _field(d, "members")["columns"][2].update(format="text"),
         "members.columns.sex.format", "format_mismatch"),
        (lambda d: d.update(fields=[]), "fields", "bad_shape"),
        (lambda d: d.update(kind="leaflet"), "kind", "bad_shape"),
    ],
)  # fmt: skip
def test_broken_form_names_file_and_field(
    tmp_path: Path, mutate: Mutation, field: str, code: str
) -> None:
    doc = _shipped("ct01.json")
    mutate(doc)
    path = _write(tmp_path, "ct01.json", doc)
    with pytest.raises(DataError) as info:
        load_forms(tmp_path)
    assert (info.value.code, info.value.source, info.value.field) == (code, str(path), field)


def test_not_json(tmp_path: Path) -> None:
    path = tmp_path / "ct01.json"
    path.write_text("{", encoding="utf-8")
    with pytest.raises(DataError) as info:
        load_form(path)
    assert info.value.code == "bad_json" and info.value.source == str(path)


@pytest.mark.parametrize(
    ("mutate", "field", "code"),
    [
        (lambda d: d["forms"].append({"form": "ct02"}), "forms.ct02", "unknown_form"),
        (lambda d: d["forms"][1].update(user_fields=["nope"]), "ct01.nope", "unknown_form"),
        (lambda d: d.update(id="ct01"), "id", "duplicate_id"),
    ],
)
def test_broken_procedure(tmp_path: Path, mutate: Mutation, field: str, code: str) -> None:
    for name in ("ct01.json", "birth_registration.json", "tk1_ts.json"):
        _write(tmp_path, name, _shipped(name))
    doc = _shipped("lien_thong_khai_sinh.json")
    mutate(doc)
    _write(tmp_path, "lien_thong_khai_sinh.json", doc)
    with pytest.raises(DataError) as info:
        load_forms(tmp_path)
    assert (info.value.code, info.value.field) == (code, field)


def _catalogue() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(default_catalogue_path().read_text(encoding="utf-8"))
    return data


@pytest.mark.parametrize(
    ("mutate", "field", "code"),
    [
        (lambda d: d["attributes"][0].update(claim="given_name"),
         "attributes.citizen.full_name.claim", "bad_claim"),
        (lambda d: d["attributes"][1].update(claim="name"),
         "attributes.citizen.birth_date.claim", "duplicate_id"),
        (lambda d: d["attributes"][0].update(id="citizen.nickname"),
         "attributes.citizen.nickname", "unknown_attribute"),
        (lambda d: d["attributes"][0].update(type="blob"),
         "attributes.citizen.full_name.type", "bad_shape"),
        (lambda d: d["scopes"][1]["attributes"].append("citizen.nickname"),
         "scopes.profile.attributes", "unknown_attribute"),
        (lambda d: d["scopes"].pop(0), "scopes", "bad_shape"),
        (lambda d: d["scopes"][1].pop("description_en"), "scopes.profile.description_en",
         "bad_shape"),
    ],
)  # fmt: skip
def test_broken_catalogue(tmp_path: Path, mutate: Mutation, field: str, code: str) -> None:
    doc = _catalogue()
    mutate(doc)
    path = _write(tmp_path, "scopes.json", doc)
    with pytest.raises(DataError) as info:
        load_catalogue(path)
    assert (info.value.code, info.value.source, info.value.field) == (code, str(path), field)


def test_shipped_catalogue_loads(catalogue: Catalogue) -> None:
    assert load_catalogue(default_catalogue_path()) == catalogue
