"""The portal's dossiers: at filing, the citizen's credential, presented to the office.

When a filing is submitted the portal asks the login service's credential endpoint
(OpenID4VCI 1.0, :class:`eid.oidc.credential_request.CredentialClient`) for the
citizen's credential, bound to the portal's own holder key, and seals the dossier
(:func:`eid.credentials.dossier_seal.seal_dossier`): a presentation that discloses
only the claims the registry fields use, addressed to the receiving office. Only the
dossier is kept, never the whole credential (it holds every consented claim, and the
portal needs no more than the form). A filing the portal cannot seal (the citizen did
not consent to the credential, the token expired, the issuer refused) is still filed,
with the error code, and the receipt says it cannot be forwarded as a dossier.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from eid.credentials.dossier import DossierField
from eid.credentials.dossier_seal import seal_dossier
from eid.errors import EidError
from eid.oidc.credential_request import CredentialClient, CredentialHttp
from eid.prefill import Catalogue, Form, prefill
from eid.signing import SigningKey
from eid.storage import make_private_folder, prepare_private_file
from flask_eid import SignedInCitizen
from service.portal.procedures import PortalProcedure

__all__ = ["DossierMaker", "filed_fields", "load_holder_key"]

_HOLDER_KEY_FILE = "portal-holder-key.json"


def load_holder_key(instance: Path) -> SigningKey:
    """The portal's credential holder key (ES256), created on first use beside its other
    keys in the instance folder, owner-only.

    :raises StorageError: ``insecure_key_file`` (others can read it), ``storage_unavailable``.
    :raises KeySourceError: the file holds no usable private key.
    """
    path = instance / _HOLDER_KEY_FILE
    make_private_folder(instance)
    prepare_private_file(path)
    text = path.read_text(encoding="utf-8").strip()
    if not text:
        key, private = SigningKey.generate("ES256", "portal-holder-" + secrets.token_hex(4))
        path.write_text(json.dumps(private), encoding="utf-8")
        return key
    try:
        jwk: Any = json.loads(text)
    except ValueError:
        jwk = {}
    return SigningKey.from_jwk(jwk if isinstance(jwk, dict) else {})


def _rows(value: Any) -> list[dict[str, str]] | None:
    if not isinstance(value, list) or not all(isinstance(r, dict) for r in value):
        return None
    return [{k: "" if v is None else str(v) for k, v in r.items()} for r in value]


def filed_fields(values: dict[str, dict[str, Any]],
                 prefilled: Mapping[str, Any] | None = None) -> dict[str, DossierField]:
    """A filed form's values as dossier fields: ``registry`` where the value is the
    registry's, verified, ``citizen`` for everything else (typed, changed, or account
    data such as the phone number, which the registry does not hold).

    A table the citizen trimmed (CT01 item 11: only the members who move together) stays
    ``registry`` when every row kept is one of the registry's (``prefilled``: field id →
    the prefilled value); a row typed or changed makes it the citizen's.
    """
    out: dict[str, DossierField] = {}
    for field_id, entry in values.items():
        value = entry.get("value")
        registry = entry.get("source") == "population_db" and entry.get("verified") is True
        rows, offered = _rows(value), _rows((prefilled or {}).get(field_id))
        if not registry and rows and offered is not None:
            registry = all(r in offered for r in rows) and len(
                {json.dumps(r, sort_keys=True) for r in rows}) == len(rows)
        out[field_id] = DossierField("" if value is None else value,
                                     "registry" if registry else "citizen")
    return out


def _prefilled(form: Form, citizen: SignedInCitizen) -> dict[str, Any]:
    # What the form offered from the registry (the same prefill the page showed).
    return {fv.id: fv.value for fv in prefill(form, citizen.claims, citizen.scopes).fields
            if fv.source == "population_db" and fv.verified}


class DossierMaker:
    """What the portal needs to seal a dossier. The holder key is read (or made) at the
    first dossier, so a portal that never seals one writes no key."""

    def __init__(self, *, issuer: str, client_id: str, instance: Path, scope: str,
                 office: str, catalogue: Catalogue, http: CredentialHttp | None = None
                 ) -> None:
        self.issuer, self.client_id, self.scope, self.office = issuer, client_id, scope, office
        self.catalogue = catalogue
        self._instance, self._http = instance, http
        self._client: CredentialClient | None = None
        self._lock = threading.Lock()

    @property
    def credentials(self) -> CredentialClient:
        """The credential client, with the holder key (loaded once).

        :raises StorageError: the key file is shared with others or cannot be written.
        :raises KeySourceError: the key file holds no usable key.
        """
        with self._lock:
            if self._client is None:
                self._client = CredentialClient(
                    issuer=self.issuer, holder_key=load_holder_key(self._instance),
                    client_id=self.client_id, http=self._http)
            return self._client

    def seal(self, citizen: SignedInCitizen, proc: PortalProcedure, reference: str,
             submitted_at: float, forms: dict[str, dict[str, dict[str, Any]]]
             ) -> tuple[str | None, str | None]:
        """``(dossier JSON, None)``, or ``(None, error code)`` when it cannot be made."""
        if not self.scope or self.scope not in citizen.scopes or not citizen.access_token:
            return None, "credential_not_granted"
        try:
            client = self.credentials
            credential = client.request(citizen.access_token,
                                        token_type=citizen.token_type or "Bearer",
                                        scope=self.scope)
            dossier = seal_dossier(
                credential=credential, holder_key=client.holder_key,
                filing=reference, procedure=proc.id,
                submitted_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(submitted_at)),
                portal=self.client_id, issuer=self.issuer,
                audience=self.office,
                forms={f.id: filed_fields(forms[f.id], _prefilled(f, citizen))
                       for f in proc.forms if f.id in forms},
                definitions={f.id: f for f in proc.forms}, catalogue=self.catalogue,
                iat=int(time.time()))
        except EidError as exc:
            return None, exc.code
        return dossier.to_bytes().decode("utf-8"), None
