"""A demo receiving office ("cơ quan tiếp nhận"): a civil servant uploads a dossier
forwarded by a portal and sees each field marked verified-from-the-registry,
typed-by-the-citizen or failed, checked offline with :mod:`eid.credentials`
(the issuer's keys only, never a call about the citizen)."""

from __future__ import annotations

from typing import Any

from flask import Flask

from eid.credentials.dossier import MAX_DOSSIER_BYTES
from eid.datafiles import data_path, read_json
from eid.prefill import default_catalogue
from eid.verify import Jwks, KeySet, RemoteKeySource
from service.office.settings import OfficeSettings

__all__ = ["OfficeSettings", "create_office_app"]


def create_office_app(test_config: dict[str, Any] | None = None, *,
                      settings: OfficeSettings | None = None) -> Flask:
    """The office app, configured by ``settings`` (:meth:`OfficeSettings.from_env` by
    default): the issuer it trusts, its own identifier and, optionally, pinned keys.

    :raises DataFileMissing: the pinned key file cannot be read.
    :raises KeySourceError: the pinned key file is not a usable public key set.
    """
    settings = settings or OfficeSettings.from_env()
    app = Flask(__name__)
    # The upload is the dossier: refused before parsing beyond the dossier cap (+ form).
    app.config.update(MAX_CONTENT_LENGTH=MAX_DOSSIER_BYTES + 16 * 1024)
    if test_config:
        app.config.update(test_config)
    keys: Jwks = KeySet.from_jwks(read_json(settings.jwks_file)) if settings.jwks_file \
        else RemoteKeySource(settings.issuer)
    app.extensions["office"] = {
        "settings": settings, "keys": keys, "catalogue": default_catalogue(),
        "text": read_json(data_path("service.office", "translations.json")),
    }
    from service.office.views import blueprint

    app.register_blueprint(blueprint)
    return app
