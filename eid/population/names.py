"""Vietnamese personal names: normalisation, tone-placement canonicalisation, search keys.

Names are stored NFC. The same name may arrive NFD (base letter + combining
marks), with either of the two tone-placement conventions for ``oa``, ``oe``
and ``uy``, or through ASCII-only channels (MRZ) without diacritics. This
module gives each use one function:

- :func:`normalize_name` – the stored form (NFC, single spaces);
- :func:`canonical_tones` – compare two spellings that differ only in tone placement;
- :func:`search_key` – population look-ups (upper case, no diacritics, no spaces);
- :func:`mrz_name` – compare with an MRZ or other ASCII-only channel.

Never split a name into family / middle / given parts here: records may carry the
whole name in one part, and the given name is the *last* word, not the first.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["canonical_tones", "mrz_name", "normalize_name", "search_key"]

# Combining marks of NFD Vietnamese: the five tone marks and the three vowel
# modifiers (circumflex, breve, horn). The whole U+0300–U+036F block is removed
# so stray marks from other scripts cannot survive into a search key.
_COMBINING = range(0x0300, 0x0370)
_TONES = "\u0300\u0301\u0303\u0309\u0323"  # grave, acute, tilde, hook above, dot below

# đ/Đ are letters of their own (U+0111/U+0110) and do not decompose under NFD,
# so stripping combining marks alone would leave them in the key.
_STRIP: dict[int, str | None] = {cp: None for cp in _COMBINING}
_STRIP.update({ord("đ"): "d", ord("Đ"): "D"})

# search_key drops everything that is not a letter; ASCII separators are removed
# in the same translate pass so the common case never needs a per-character loop.
_SEARCH = dict(_STRIP)
_SEARCH.update({ord(c): None for c in " \t\n\r\v\f-'.,_0123456789"})

_WHITESPACE = re.compile(r"\s+")
_NON_LETTERS = re.compile(r"[^A-Z]+")

# A syllable whose nucleus is exactly oa / oe / uy with nothing after it is the
# only place the two conventions differ ("hòa"/"hoà"); with a final consonant or
# a third vowel ("hoàn", "hoài", "khuyến") both put the mark in the same place.
# After "q" the "u" belongs to the onset ("quý"), so that "uy" is not ambiguous.
_AFTER = r"(?![^\W\d_]|[\u0300-\u036f])"
_TONE_PAIR = re.compile(
    rf"(?<![qQ])([oO])([{_TONES}]?)([aAeE])([{_TONES}]?){_AFTER}"
    rf"|(?<![qQ])([uU])([{_TONES}]?)([yY])([{_TONES}]?){_AFTER}"
)


def normalize_name(s: str) -> str:
    """Return the stored form of a name: NFC, stripped, internal whitespace collapsed.

    Tone placement is kept as written (use :func:`canonical_tones` to compare).

    :raises TypeError: if ``s`` is not a string.
    """
    return _WHITESPACE.sub(" ", unicodedata.normalize("NFC", s)).strip()


def _old_style(m: re.Match[str]) -> str:
    first, t1, second, t2 = (m[1], m[2], m[3], m[4]) if m[1] else (m[5], m[6], m[7], m[8])
    if t1 and t2:
        # Two tone marks on one syllable is not Vietnamese; leave it for a human.
        return m[0]
    return first + (t1 or t2) + second


def canonical_tones(s: str) -> str:
    """Return ``s`` (NFC) with the "old style" tone placement on ``oa``, ``oe``, ``uy``.

    The old style puts the mark on the first vowel: ``Hòa``, ``khỏe``, ``thúy``
    (not ``Hoà``, ``khoẻ``, ``thuý``). It is chosen because the official names of
    provinces and communes are mostly written that way ("Thanh Hóa", "Khánh Hòa").
    Letters and case are unchanged; only the mark moves. Use it to *compare*
    names; store what the citizen's record says.

    :raises TypeError: if ``s`` is not a string.
    """
    decomposed = unicodedata.normalize("NFD", s)
    return unicodedata.normalize("NFC", _TONE_PAIR.sub(_old_style, decomposed))


def search_key(s: str) -> str:
    """Return the population look-up key: letters only, upper case, no diacritics.

    ``search_key("Nguyễn Văn  An") == search_key("NGUYEN VAN AN") == "NGUYENVANAN"``;
    NFC and NFD input give the same key, ``đ``/``Đ`` become ``D``. Letters of other
    scripts are kept (upper-cased) rather than silently dropped.

    :raises TypeError: if ``s`` is not a string.
    """
    key = unicodedata.normalize("NFD", s).translate(_SEARCH).upper()
    if key.isascii() and (key.isalpha() or not key):
        return key
    # Rare path: punctuation outside the table or non-Latin letters.
    return "".join(c for c in key if c.isalpha() and not unicodedata.combining(c))


def mrz_name(s: str) -> str:
    """Return ``s`` as an ASCII-only channel shows it: ``"Đặng Thị  Hoà"`` → ``"DANG THI HOA"``.

    Upper case, diacritics removed, ``Đ`` → ``D``, every run of non-letters one
    space. Compare with an MRZ name as ``mrz_name(full) == f"{surname} {given}"``;
    note that a TD1 MRZ truncates names longer than its 30 characters.

    :raises TypeError: if ``s`` is not a string.
    """
    ascii_upper = unicodedata.normalize("NFD", s).translate(_STRIP).upper()
    return _NON_LETTERS.sub(" ", ascii_upper).strip()
