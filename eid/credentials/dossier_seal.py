"""Sealing a dossier: the sending portal's side (the holder of the citizen's credential).

The portal files the procedure, then presents its credential to the receiving office:
only the Disclosures of the claims the registry fields draw on (RFC 9901 §4: the holder
chooses), with a Key Binding JWT addressed to the office whose ``nonce`` is
:func:`~eid.credentials.dossier.dossier_nonce` of the rest of the dossier.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from eid.credentials.dossier import Dossier, DossierField, dossier_nonce, registry_claims
from eid.credentials.present import present
from eid.errors import ConfigurationError
from eid.prefill import Catalogue, Form
from eid.signing import SigningKey
from eid.verify._codec import json_object
from eid.verify.jws import parse_jws
from eid.verify.sd_jwt import decode_disclosure, split_sd_jwt

__all__ = ["disclosable_claims", "seal_dossier"]


def disclosable_claims(credential: str) -> set[str]:
    """The top-level claim names a credential can disclose (the Disclosures its payload's
    own ``_sd`` references: what :func:`~eid.credentials.present` accepts).

    :raises TokenError: the credential is not a well-formed SD-JWT.
    """
    parts = split_sd_jwt(credential)
    top = json_object(parse_jws(parts.jwt).payload, "payload").get("_sd")
    digests = set(top) if isinstance(top, list) and all(isinstance(d, str) for d in top) \
        else set()
    found = (decode_disclosure(d) for d in parts.disclosures)
    return {d.name for d in found if d.name is not None and d.digest in digests}


def seal_dossier(*, credential: str, holder_key: SigningKey, filing: str, procedure: str,
                 submitted_at: str, portal: str, issuer: str, audience: str,
                 forms: Mapping[str, Mapping[str, DossierField]],
                 definitions: Mapping[str, Form], catalogue: Catalogue, iat: int) -> Dossier:
    """The dossier of a filing, its presentation addressed to ``audience``.

    :param forms: form id → field id → the filed field (``registry`` or ``citizen``).
    :param definitions: form id → the form filed (what the registry fields draw on).
    :raises ConfigurationError: ``unknown_form`` (a form of ``forms`` is not defined).
    :raises TokenError: the credential is not a well-formed SD-JWT.
    """
    wanted: set[str] = set()
    for form_id, fields in forms.items():
        form = definitions.get(form_id)
        if form is None:
            raise ConfigurationError(f"no definition of form {form_id!r}", code="unknown_form")
        wanted |= registry_claims(form, [k for k, f in fields.items() if f.source == "registry"],
                                  catalogue)
    # A claim the registry holds nothing for (no spouse) has no Disclosure to show.
    disclose = sorted(wanted & disclosable_claims(credential))
    draft = Dossier(filing, procedure, submitted_at, portal, issuer, audience,
                    {k: dict(v) for k, v in forms.items()}, "")
    presentation = present(credential, disclose=disclose, holder_key=holder_key,
                           audience=audience, nonce=dossier_nonce(draft), iat=iat)
    return replace(draft, presentation=presentation)
