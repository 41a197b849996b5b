"""The portal never shows a scope id: what more to share, and what each withheld field
needs, by the catalogue's labels in the citizen's language."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask

from eid.prefill import default_catalogue
from tests.oidc.fake_provider import FakeProvider
from tests.portal.test_portal import app, provider, registry, sign_in

__all__ = ["app", "provider", "registry"]


@pytest.mark.parametrize("lang", ["vi", "en"])
@pytest.mark.parametrize("procedure", ["ct01", "khai-sinh", "lien-thong-khai-sinh"])
def test_withheld_consents_are_named_by_their_labels(app: Flask, provider: FakeProvider,
                                                     registry: Any, lang: str,
                                                     procedure: str) -> None:
    client = app.test_client()
    client.get(f"/lang/{lang}")
    sign_in(client, provider, registry, f"/procedures/{procedure}", scopes="openid profile")
    page = client.get(f"/procedures/{procedure}").text
    notice = re.search(r'<div class="notice" id="withheld">\s*<p>(.*?)</p>', page, re.S)
    assert notice is not None
    notes = " ".join(re.findall(r'<small class="eid-note">([^<]*)</small>', page))
    shown = notice.group(1) + notes
    catalogue = default_catalogue()
    for scope in catalogue.scopes.values():
        label = scope.label(lang)
        # No scope id as a word of its own (labels may contain the same letters).
        assert not re.search(rf"(?<![\w“]){re.escape(scope.id)}(?![\w”])", shown) \
            or scope.id in label.lower(), (scope.id, shown)
    assert catalogue.scopes["id_number"].label(lang) in shown
