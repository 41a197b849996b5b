"""Presenting an SD-JWT (RFC 9901 §4.3, §5.2): the holder's side.

The holder keeps only the Disclosures of the claims it chooses, then signs a Key Binding
JWT over exactly that choice (``sd_hash``), for one verifier (``aud``) and one
transaction (``nonce``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from typing import Any, Final

from eid.errors import ConfigurationError
from eid.signing import SigningKey, sign_segments
from eid.verify._codec import b64url_encode, json_object
from eid.verify.disclosures import Disclosure, decode_disclosure, resolve_disclosures
from eid.verify.jws import parse_jws
from eid.verify.sd_jwt import KB_JWT_TYPE, sd_hash, split_sd_jwt

__all__ = ["present"]

_KEY_MEMBERS: Final = ("kty", "crv", "x", "y", "n", "e")
_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def _reachable(value: Any, by_digest: dict[str, Disclosure], keep: set[str]) -> None:
    """Add the Disclosures nested in ``value`` (recursive disclosure, §6.3) to ``keep``."""
    if isinstance(value, dict):
        nested = list(value.get("_sd", [])) if isinstance(value.get("_sd"), list) else []
        if set(value) == {"..."}:
            nested.append(value["..."])
        for digest in nested:
            found = by_digest.get(digest) if isinstance(digest, str) else None
            if found is not None and found.digest not in keep:
                keep.add(found.digest)
                _reachable(found.value, by_digest, keep)
        for key, item in value.items():
            if key not in ("_sd", "..."):
                _reachable(item, by_digest, keep)
    elif isinstance(value, list):
        for item in value:
            _reachable(item, by_digest, keep)


def _check_holder(payload: dict[str, Any], holder_key: SigningKey) -> None:
    cnf = payload.get("cnf")
    jwk = cnf.get("jwk") if isinstance(cnf, dict) else None
    if not isinstance(jwk, dict) or any(
            jwk.get(m) != holder_key.public_jwk.get(m) for m in _KEY_MEMBERS):
        raise ConfigurationError("holder_key is not the key the credential is bound to (cnf.jwk)",
                                 code="holder_key_mismatch")


def present(
    sd_jwt: str,
    *,
    disclose: Iterable[str],
    holder_key: SigningKey,
    audience: str,
    nonce: str,
    iat: int | None = None,
) -> str:
    """A presentation of ``sd_jwt`` disclosing only the named top-level claims, with a KB-JWT.

    A list claim brings its elements with it, and a claim whose value holds nested
    Disclosures brings those too. The credential's signature is not checked here (it
    is the holder's own; the verifier checks it).

    :param disclose: names of top-level selectively disclosable claims.
    :param holder_key: the private key whose public half is the credential's ``cnf.jwk``.
    :param audience: the verifier's identifier (``aud``); ``nonce``: the verifier's nonce.
    :param iat: the KB-JWT's ``iat`` (Unix seconds); the clock when None.
    :returns: ``<issuer-signed JWT>~<chosen Disclosures>~<KB-JWT>``.
    :raises TokenError: ``sd_jwt`` is not a well-formed SD-JWT (the codes of
        :func:`~eid.verify.split_sd_jwt` and :func:`~eid.verify.resolve_disclosures`).
    :raises ConfigurationError: ``claim_not_in_credential`` (a name with no Disclosure),
        ``holder_key_mismatch``, ``invalid_argument``.
    """
    for name, value in (("audience", audience), ("nonce", nonce)):
        if not isinstance(value, str) or not value:
            raise ConfigurationError(f"{name} must be a non-empty string",
                                     code="invalid_argument")
    if iat is not None and type(iat) is not int:
        raise ConfigurationError("iat must be an integer or None", code="invalid_argument")
    if isinstance(disclose, str):  # a common slip: "name" iterates as letters
        raise ConfigurationError("disclose is a list of claim names", code="invalid_argument")
    parts = split_sd_jwt(sd_jwt)
    if parts.kb_jwt is not None:
        raise ConfigurationError("sd_jwt is already a presentation (it ends with a KB-JWT)",
                                 code="invalid_argument")
    payload = json_object(parse_jws(parts.jwt).payload, "payload")
    _check_holder(payload, holder_key)
    disclosures = [decode_disclosure(d) for d in parts.disclosures]
    # The structure checks of a verifier (each digest once, depth bounded) before the walk
    # below relies on them.
    resolve_disclosures(payload, disclosures)
    by_digest = {d.digest: d for d in disclosures}
    top_digests = payload["_sd"] if isinstance(payload.get("_sd"), list) else []
    top = {found.name: found for digest in top_digests
           if isinstance(digest, str) and (found := by_digest.get(digest)) is not None
           and found.name is not None}
    keep: set[str] = set()
    for name in disclose:
        found = top.get(name) if isinstance(name, str) else None
        if found is None:
            raise ConfigurationError(f"the credential has no disclosable claim {name!r}",
                                     code="claim_not_in_credential")
        keep.add(found.digest)
        _reachable(found.value, by_digest, keep)
    chosen = [d.encoded for d in disclosures if d.digest in keep]  # issuance order
    presented = "~".join([parts.jwt, *chosen, ""])
    kb_payload = {"iat": int(time.time()) if iat is None else iat, "aud": audience,
                  "nonce": nonce, "sd_hash": sd_hash(presented)}
    header = {"alg": holder_key.alg, "typ": KB_JWT_TYPE}
    return presented + sign_segments(b64url_encode(_ENCODE(header).encode("utf-8")),
                                     b64url_encode(_ENCODE(kb_payload).encode("utf-8")),
                                     holder_key)
