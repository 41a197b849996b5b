"""Strict decryption of compact JWE (RFC 7516) for portals: encrypted ID tokens and userinfo.

The cryptography is joserfc's (a maintained JOSE library over ``cryptography``);
this module decides what reaches it. Every rule runs before any private key is
touched: a size cap, exactly five segments, canonical base64url, a strict JSON
header (no duplicate members), ``alg`` and ``enc`` on the caller's allow-lists,
no compression (RFC 8725 §3.6), no ``crit`` extension, and for ECDH-ES an
ephemeral key that is on the recipient key's own curve (RFC 8725 §3.4). ``kid``
only chooses among the caller's keys; ``jku``, ``jwk``, ``x5u`` and ``x5c``
never supply one. Whatever fails after that (a wrong tag, an unwrap or OAEP
failure, a modified IV or ciphertext) is one code, ``jwe_decryption_failed``,
with one message, so no failure is told apart from another (RFC 7516 §11.5).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any, Final, NamedTuple

from joserfc import jwe as _jwe

from eid.errors import TokenError
from eid.verify._codec import b64url_decode, json_object
from eid.verify.jwe_keys import EC_CURVES, DecryptionKey, DecryptionKeys

__all__ = [
    "DEFAULT_ALG_VALUES",
    "DEFAULT_ENC_VALUES",
    "DEFAULT_MAX_JWE_SIZE",
    "SUPPORTED_ALG_VALUES",
    "SUPPORTED_ENC_VALUES",
    "DecryptedJwe",
    "decrypt_jwe",
]

#: Key management algorithms this module can decrypt (RFC 7518 §4.3, §4.6).
SUPPORTED_ALG_VALUES: Final = frozenset({
    "ECDH-ES", "ECDH-ES+A128KW", "ECDH-ES+A192KW", "ECDH-ES+A256KW", "RSA-OAEP-256", "RSA-OAEP",
})
#: Allowed unless the caller says otherwise: everything supported but RSA-OAEP
#: (SHA-1), which a portal must name to accept.
DEFAULT_ALG_VALUES: Final = (
    "ECDH-ES", "ECDH-ES+A128KW", "ECDH-ES+A192KW", "ECDH-ES+A256KW", "RSA-OAEP-256",
)
#: Content encryption (RFC 7518 §5.2, §5.3); the 192-bit variants are left out.
SUPPORTED_ENC_VALUES: Final = frozenset({"A128GCM", "A256GCM", "A128CBC-HS256", "A256CBC-HS512"})
DEFAULT_ENC_VALUES: Final = ("A256GCM", "A128GCM", "A128CBC-HS256", "A256CBC-HS512")
#: Default cap on a token's length, checked before any decoding (a nested ID
#: token of 16 KiB encrypts to about 22 KiB).
DEFAULT_MAX_JWE_SIZE: Final = 64 * 1024

# (IV octets, tag octets) per content encryption (RFC 7518 §5.2.2.1, §5.2.6, §5.3).
_SIZES: Final = {"A128GCM": (12, 16), "A256GCM": (12, 16),
                 "A128CBC-HS256": (16, 16), "A256CBC-HS512": (16, 32)}
_FAILED: Final = "the token could not be decrypted"


class DecryptedJwe(NamedTuple):
    """A decrypted JWE: its protected header and the plaintext (not yet parsed)."""

    header: dict[str, Any]
    plaintext: bytes


def _text(token: object, max_size: int) -> str:
    if isinstance(token, (bytes, bytearray)):
        if len(token) > max_size:
            raise TokenError(f"token is longer than {max_size} bytes", code="too_large")
        try:
            return bytes(token).decode("ascii")
        except UnicodeDecodeError:
            raise TokenError("token is not ASCII", code="jwe_malformed") from None
    if not isinstance(token, str):
        raise TokenError("token must be a string", code="not_a_string")
    if len(token) > max_size:
        raise TokenError(f"token is longer than {max_size} characters", code="too_large")
    return token


def _allowed(name: object, allowed: Collection[str], supported: frozenset[str], what: str) -> str:
    if not isinstance(name, str):
        raise TokenError(f"header {what!r} is missing or not a string", code="jwe_malformed")
    if name not in supported or name not in allowed:
        raise TokenError(f"{what} {name!r} is not allowed", code="jwe_unsupported_algorithm")
    return name


def _check_header(header: dict[str, Any], alg_values: Collection[str],
                  enc_values: Collection[str]) -> tuple[str, str, str | None]:
    alg = _allowed(header.get("alg"), alg_values, SUPPORTED_ALG_VALUES, "alg")
    enc = _allowed(header.get("enc"), enc_values, SUPPORTED_ENC_VALUES, "enc")
    if "zip" in header:  # RFC 8725 §3.6: compressed plaintext leaks through its length
        raise TokenError("compressed plaintext (zip) is not accepted", code="jwe_zip_unsupported")
    if "crit" in header:  # RFC 7516 §4.1.13: no extension is understood here
        raise TokenError("critical header extensions are not supported", code="crit_unsupported")
    kid = header.get("kid")
    if kid is not None and not isinstance(kid, str):
        raise TokenError("kid must be a string", code="jwe_malformed")
    for name in ("apu", "apv"):  # RFC 7518 §4.6.1.2-3: base64url strings
        if name in header:
            value = header[name]
            if not isinstance(value, str):
                raise TokenError(f"{name} must be a string", code="jwe_malformed")
            b64url_decode(value, name)
    return alg, enc, kid


def _epk_curve(header: Mapping[str, Any]) -> str:
    epk = header.get("epk")
    if not isinstance(epk, Mapping):
        raise TokenError("ECDH-ES needs an ephemeral public key (epk)", code="jwe_invalid_epk")
    crv = epk.get("crv")
    kty = "OKP" if crv == "X25519" else "EC" if crv in EC_CURVES else None
    if kty is None or epk.get("kty") != kty:
        raise TokenError(f"epk of kty {epk.get('kty')!r} on curve {crv!r} is not supported",
                         code="jwe_invalid_epk")
    return str(crv)


def _check_epk(header: Mapping[str, Any], key: DecryptionKey) -> None:
    # RFC 8725 §3.4: the ephemeral key must be a valid point of the recipient
    # key's own curve, or invalid-curve attacks recover the private key.
    try:
        key.check_peer(header["epk"])
    except ValueError as exc:
        raise TokenError(f"epk is not a valid public key: {exc}", code="jwe_invalid_epk") from None


def _check_lengths(alg: str, enc: str, parts: list[bytes]) -> None:
    encrypted_key, iv, ciphertext, tag = parts
    iv_size, tag_size = _SIZES[enc]
    if len(iv) != iv_size:
        raise TokenError(f"{enc} needs a {iv_size}-octet IV", code="jwe_malformed")
    if len(tag) != tag_size:
        raise TokenError(f"{enc} needs a {tag_size}-octet tag", code="jwe_malformed")
    if "CBC" in enc and (not ciphertext or len(ciphertext) % 16):
        raise TokenError("CBC ciphertext must be whole blocks", code="jwe_malformed")
    # RFC 7516 §5.2 step 10: direct key agreement carries no encrypted key.
    if (alg == "ECDH-ES") != (not encrypted_key):
        raise TokenError(f"the encrypted key segment does not fit {alg}", code="jwe_malformed")


def decrypt_jwe(
    token: str | bytes,
    keys: DecryptionKeys | Mapping[str, Any],
    *,
    alg_values: Collection[str] = DEFAULT_ALG_VALUES,
    enc_values: Collection[str] = DEFAULT_ENC_VALUES,
    max_size: int = DEFAULT_MAX_JWE_SIZE,
) -> DecryptedJwe:
    """Decrypt a compact JWE with one of the caller's private keys.

    :param keys: the portal's own decryption keys: :class:`DecryptionKeys`, or a
        JWKS / single private JWK (parsed on each call; build the set once instead).
    :param alg_values: key management algorithms to accept (a subset of
        :data:`SUPPORTED_ALG_VALUES`).
    :param enc_values: content encryptions to accept (a subset of :data:`SUPPORTED_ENC_VALUES`).
    :raises TokenError: ``not_a_string``, ``too_large``, ``jwe_malformed``, ``bad_base64``,
        ``bad_json``, ``too_deep``, ``jwe_unsupported_algorithm``, ``jwe_zip_unsupported``,
        ``crit_unsupported``, ``jwe_invalid_epk``, ``jwe_key_not_found``, ``ambiguous_key``
        or ``jwe_decryption_failed``.
    :raises KeySourceError: ``keys`` is not a usable key set (the caller's mistake).
    """
    text = _text(token, max_size)
    keyset = keys if isinstance(keys, DecryptionKeys) else DecryptionKeys.from_jwks(keys)
    if text[:1] == "{":  # RFC 7516 §7.2; its dots may even split it into five parts
        raise TokenError("JWE JSON serialization is not accepted, only the compact form",
                         code="jwe_malformed")
    segments = text.split(".")
    if len(segments) != 5:
        hint = " (this is a signed JWS)" if len(segments) == 3 else ""
        raise TokenError(f"a compact JWE has exactly five segments{hint}", code="jwe_malformed")
    header = json_object(b64url_decode(segments[0], "header"), "header")
    alg, enc, kid = _check_header(header, alg_values, enc_values)
    names = ("encrypted key", "iv", "ciphertext", "tag")
    parts = [b64url_decode(seg, name) for seg, name in zip(segments[1:], names, strict=True)]
    _check_lengths(alg, enc, parts)
    curve = _epk_curve(header) if alg.startswith("ECDH-ES") else None
    key = keyset.select(alg, kid, curve)
    if curve is not None:
        _check_epk(header, key)
    registry = _jwe.JWERegistry(algorithms=[alg, enc], strict_check_header=False)
    # The size cap above governs; joserfc's own per-segment limits (a 1 KiB
    # header, say) would turn a long but valid header into a failure.
    registry.max_protected_header_length = registry.max_encrypted_key_length = max_size
    registry.max_ciphertext_length = max_size
    try:
        plaintext = _jwe.decrypt_compact(text, key.jose_key, registry=registry).plaintext
    except Exception:  # every failure past the checks is one failure
        plaintext = None
    if plaintext is None:
        raise TokenError(_FAILED, code="jwe_decryption_failed")
    return DecryptedJwe(header, plaintext)
