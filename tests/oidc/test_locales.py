"""``ui_locales`` read with one rule on both sides (OIDC Core §3.1.2.1, RFC 5646 tags)."""

from __future__ import annotations

import pytest

from eid.errors import ConfigurationError
from eid.oidc import RelyingParty, first_supported, language_tags
from eid.signing import SigningKey
from tests.oidc.fake_provider import CLIENT_ID, ISSUER, SECRET, FakeProvider


@pytest.mark.parametrize(("value", "tags"), [
    ("en", ("en",)),
    ("en-GB vi", ("en-GB", "vi")),
    ("fr  en", ("fr", "en")),  # empty items between spaces are passed over
    ("<b> en", ("en",)),  # not a language tag
    ("e en", ("en",)),  # a primary subtag has at least two letters
    ("en-", ()),
    ("en en", ("en",)),
    # At most eight tags are read.
    (" ".join(["en"] + [f"x{chr(97 + i)}" for i in range(20)]),
     ("en", *[f"x{chr(97 + i)}" for i in range(7)])),
    ("", ()),
    (None, ()),
])
def test_language_tags(value: str | None, tags: tuple[str, ...]) -> None:
    assert language_tags(value) == tags


@pytest.mark.parametrize(("value", "chosen"), [
    ("en", "en"), ("EN-us", "en"), ("fr vi en", "vi"), ("fr de", None), ("<x> en", "en"),
    (None, None),
])
def test_first_supported_wins_unsupported_are_ignored(value: str | None,
                                                      chosen: str | None) -> None:
    assert first_supported(value, ("vi", "en")) == chosen


@pytest.mark.parametrize("value", ["", "en<script>", "en\nvi", "en  vi", " en"])
def test_start_login_refuses_a_malformed_ui_locales(
        value: str, signing_keys: dict[str, SigningKey]) -> None:
    rp = RelyingParty(issuer=ISSUER, client_id=CLIENT_ID, client_secret=SECRET,
                      redirect_uri="http://127.0.0.1:5001/auth/callback",
                      http=FakeProvider(signing_keys["ec-p256"]))
    with pytest.raises(ConfigurationError) as exc:
        rp.start_login(ui_locales=value)
    assert exc.value.code == "invalid_argument"
