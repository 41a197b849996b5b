"""The portal's side of dossiers: its holder key and how a filing's fields are marked."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from eid.credentials import DossierField
from eid.errors import KeySourceError, StorageError
from service.portal.dossiers import filed_fields, load_holder_key


def test_the_holder_key_is_made_once_and_kept_owner_only(tmp_path: Path) -> None:
    first = load_holder_key(tmp_path / "portal")
    again = load_holder_key(tmp_path / "portal")
    assert first.alg == "ES256" and again.public_jwk == first.public_jwk
    path = tmp_path / "portal" / "portal-holder-key.json"
    assert path.stat().st_mode & 0o077 == 0
    assert "d" in json.loads(path.read_text())


def test_a_holder_key_others_can_read_is_refused(tmp_path: Path) -> None:
    load_holder_key(tmp_path)
    os.chmod(tmp_path / "portal-holder-key.json", 0o644)
    with pytest.raises(StorageError) as err:
        load_holder_key(tmp_path)
    assert err.value.code == "insecure_key_file"


@pytest.mark.parametrize("content", ["not json", "[]", '{"kty": "EC"}'])
def test_a_broken_holder_key_file_is_a_key_error(tmp_path: Path, content: str) -> None:
    path = tmp_path / "portal-holder-key.json"
    path.write_text(content)
    os.chmod(path, 0o600)
    with pytest.raises(KeySourceError):
        load_holder_key(tmp_path)


def test_only_verified_registry_values_are_registry_fields() -> None:
    got = filed_fields({
        "full_name": {"value": "Nguyễn Văn Hùng", "source": "population_db", "verified": True},
        "phone": {"value": "0912", "source": "population_db", "verified": False},  # account data
        "members": {"value": [{"full_name": "A"}], "source": "user", "verified": False},
        "request": {"value": "Tạm trú", "source": "user", "verified": False},
        "email": {"value": None, "source": "user", "verified": False},
    })
    assert got == {"full_name": DossierField("Nguyễn Văn Hùng", "registry"),
                   "phone": DossierField("0912", "citizen"),
                   "members": DossierField([{"full_name": "A"}], "citizen"),
                   "request": DossierField("Tạm trú", "citizen"),
                   "email": DossierField("", "citizen")}


def test_a_trimmed_table_of_registry_rows_stays_a_registry_field() -> None:
    offered = [{"full_name": "A", "sex": None}, {"full_name": "B", "sex": "Nam"}]
    kept = {"members": {"value": [{"full_name": "B", "sex": "Nam"}], "source": "user",
                        "verified": False}}
    assert filed_fields(kept, {"members": offered})["members"].source == "registry"
    changed = {"members": {"value": [{"full_name": "C", "sex": "Nam"}], "source": "user",
                           "verified": False}}
    assert filed_fields(changed, {"members": offered})["members"].source == "citizen"
    twice = {"members": {"value": [{"full_name": "A", "sex": ""}] * 2, "source": "user",
                         "verified": False}}
    assert filed_fields(twice, {"members": offered})["members"].source == "citizen"
