"""``eid dossier verify``: exit codes and the table a clerk reads."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from freezegun import freeze_time

from eid.cli import main
from eid.credentials import DossierField
from eid.signing import SigningKey, public_jwks
from tests.credentials.dossier_kit import ISSUER, NOW, OFFICE, Keys, seal


@pytest.fixture(scope="module")
def keys(signing_keys: dict[str, SigningKey]) -> Keys:
    return Keys(issuer=signing_keys["ec-p256"], holder=signing_keys["ec-p256-b"],
                other_holder=signing_keys["ed25519"], stranger=signing_keys["rsa-2048-b"])


@pytest.fixture
def files(tmp_path: Path, keys: Keys) -> dict[str, Path]:
    dossier = seal(keys)
    good = tmp_path / "good.dossier.json"
    good.write_bytes(dossier.to_bytes())
    forms = {**dossier.forms["ct01"], "full_name": DossierField("Nguyễn Văn Hưng", "registry")}
    edited = tmp_path / "edited.dossier.json"
    edited.write_bytes(replace(dossier, forms={"ct01": forms}).to_bytes())
    jwks = tmp_path / "issuer.jwks.json"
    jwks.write_text(json.dumps(public_jwks([keys.issuer])))
    return {"good": good, "edited": edited, "jwks": jwks}


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    # The command judges by the clock: two minutes after the filing.
    with freeze_time(datetime.fromtimestamp(NOW + 120, UTC)):
        code = main(["dossier", "verify", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_a_good_dossier_is_accepted_offline(files: dict[str, Path], capsys: Any) -> None:
    code, out, _ = run(capsys, str(files["good"]), "--issuer", ISSUER, "--jwks",
                       str(files["jwks"]), "--audience", OFFICE)
    assert code == 0
    assert "ACCEPTED" in out
    assert "✓ verified  ct01.full_name" in out and "· typed" in out


def test_an_edited_dossier_is_rejected_naming_the_field(files: dict[str, Path],
                                                        capsys: Any) -> None:
    code, out, _ = run(capsys, str(files["edited"]), "--issuer", ISSUER, "--jwks",
                       str(files["jwks"]), "--audience", OFFICE)
    assert code == 1
    line = next(row for row in out.splitlines() if "ct01.full_name" in row)
    assert "FAILED" in line and "value_mismatch" in line
    assert "REJECTED" in out


def test_json_output(files: dict[str, Path], capsys: Any) -> None:
    code, out, _ = run(capsys, str(files["edited"]), "--issuer", ISSUER, "--jwks",
                       str(files["jwks"]), "--json")
    report = json.loads(out)
    assert code == 1 and report["ok"] is False
    assert {f["field"]: f["code"] for f in report["fields"]}["full_name"] == "value_mismatch"


def test_without_audience_the_dossiers_own_is_used_and_said(files: dict[str, Path],
                                                           capsys: Any) -> None:
    code, out, _ = run(capsys, str(files["good"]), "--issuer", ISSUER, "--jwks",
                       str(files["jwks"]))
    assert code == 0 and "pass --audience" in out


def test_another_office_rejects_it(files: dict[str, Path], capsys: Any) -> None:
    code, out, _ = run(capsys, str(files["good"]), "--issuer", ISSUER, "--jwks",
                       str(files["jwks"]), "--audience", "https://other.office")
    assert code == 1 and "invalid_audience" in out


@pytest.mark.parametrize(("content", "expected"), [
    (None, 4),  # no such file
    (b"not json", 3),
    (b'{"dossier": "urn:eid:vn:dossier:1"}', 3),
    (b"{" * 300_000, 3),  # over the size cap
])
def test_bad_files_have_their_exit_codes(tmp_path: Path, files: dict[str, Path], capsys: Any,
                                         content: bytes | None, expected: int) -> None:
    path = tmp_path / "input.json"
    if content is not None:
        path.write_bytes(content)
    code, _, err = run(capsys, str(path), "--issuer", ISSUER, "--jwks", str(files["jwks"]))
    assert code == expected and err.startswith("error: ")


def test_a_bad_pinned_key_file_is_an_error(tmp_path: Path, files: dict[str, Path],
                                           capsys: Any) -> None:
    jwks = tmp_path / "bad.jwks.json"
    jwks.write_text('{"keys": [{"kty": "EC", "d": "private"}]}')
    code, _, err = run(capsys, str(files["good"]), "--issuer", ISSUER, "--jwks", str(jwks))
    assert code == 1 and "error:" in err


def test_the_issuer_is_required(files: dict[str, Path]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["dossier", "verify", str(files["good"])])
    assert exc.value.code == 2


def test_values_with_control_characters_are_shown_escaped(tmp_path: Path, keys: Keys,
                                                          files: dict[str, Path],
                                                          capsys: Any) -> None:
    dossier = seal(keys, iat=NOW)
    forms = {**dossier.forms["ct01"], "request": DossierField("a\x1b[31mred", "citizen")}
    path = tmp_path / "escape.dossier.json"
    path.write_bytes(replace(dossier, forms={"ct01": forms}).to_bytes())
    _, out, _ = run(capsys, str(path), "--issuer", ISSUER, "--jwks", str(files["jwks"]))
    assert "\x1b" not in out and "a?[31mred" in out
