"""Parsed key sets for callers that pass a plain JWKS dict (``jwks={"keys": [...]}``).

The dict stays the caller's, who may change it in place at any time: add or remove a key,
change a member deep inside a JWK. The next verification must then use the new keys, so a
cached parse is served only after checking that the dict still equals a private deep copy
taken when it was parsed. That check has to look at every member: Python shows no cheap sign
that a dict or list changed (CPython's dict version tag is not visible from Python, lists have
none), so an ``id()`` alone would serve stale keys. One C-level ``==`` against the copy is the
cheapest such look: the copy shares the caller's immutable leaves (strings, numbers), which
therefore compare by identity. For a five-key set it costs about 0.5 µs on an idle core (about
1 µs between verifications, with cold caches), while any fingerprint that also covers every
member costs more: ``json.dumps`` 9.8 µs, ``pickle``/``marshal`` 2.3 µs, a tuple of items 2.6
µs, a list of the members' ids 2.1 µs, flat lists of names and values 1.8 µs.

Equality is a sound guard because the parse in :meth:`KeySet.from_jwks` depends on members
only through ``==``/hashing and type checks that equal JSON values share. The key set is parsed
from the private copy, never from the caller's dict, so a mutation racing with the parse cannot
pair a snapshot with keys it does not hold.

A caller may also pass a new but equal dict on each call (the JWKS document re-read per
request): it is found among the distinct snapshots, so it is compared, not parsed again.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any, Final

from eid.verify.keys import KeySet

__all__ = ["keyset_of"]

# Bounded, and cleared whole when full: no LRU bookkeeping on the hot path. A portal trusts a
# handful of issuers, so neither table fills in practice.
_MAX_DISTINCT: Final = 16
_MAX_IDS: Final = 64
_Entry = tuple[Mapping[str, Any], KeySet]
# Distinct snapshots and their parses; the id table below points into it.
_distinct: list[_Entry] = []
_by_id: dict[int, _Entry] = {}


def keyset_of(jwks: Mapping[str, Any]) -> KeySet:
    """The parsed form of ``jwks``, from the cache when ``jwks`` still equals what was parsed.

    :raises KeySourceError: as :meth:`KeySet.from_jwks`.
    """
    # An id is only a hint (a freed dict's id is reused): equality decides.
    hit = _by_id.get(id(jwks))
    if hit is not None and hit[0] == jwks:
        return hit[1]
    return _lookup(jwks)


def _lookup(jwks: Mapping[str, Any]) -> KeySet:
    # Snapshots of different sets mostly differ in length or in their first members, so a
    # miss fails fast; a copy is compared only against what was actually parsed.
    entry = next((e for e in tuple(_distinct) if e[0] == jwks), None)
    if entry is None:
        try:
            snapshot = copy.deepcopy(jwks)
        except (TypeError, copy.Error):
            # A mapping that cannot be copied (e.g. a MappingProxyType) cannot be guarded
            # against mutation: it is parsed on every call instead.
            return KeySet.from_jwks(jwks)
        entry = (snapshot, KeySet.from_jwks(snapshot))
        if len(_distinct) >= _MAX_DISTINCT:
            _distinct.clear()
            _by_id.clear()
        _distinct.append(entry)
    if len(_by_id) >= _MAX_IDS:
        _by_id.clear()
    _by_id[id(jwks)] = entry
    return entry[1]
