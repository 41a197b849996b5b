"""How short-lived state is named: ``{tag}:kind[:part...]``, the tag a Redis Cluster hash tag.

Redis Cluster places a key by the CRC16 of the text between its first ``{`` and the
next ``}`` (the Redis Cluster specification, "Hash tags"), so every key written
through :func:`tagged` with one tag lands in one hash slot, on one shard. The
callers choose the tag as what the keys belong to (one authorization code, one
login session, one citizen's attempts): the steps of one piece of work stay on one
shard, while different flows spread over all of them. Stores add their own prefix
in front (``eid:{tag}:code``); a prefix holds no braces, so the tag stays the key's
first ``{...}``.

One operation of :class:`~eid.storage.EphemeralStore` takes two keys,
``consume_marking`` (a code and its redeemed mark), and those must share a tag: a
Redis Cluster runs a step on one slot only. Elsewhere sharing one keeps a flow's keys
together through a shard's failover (the flow fails or survives whole) and lets a
caller pipeline them.
"""

from __future__ import annotations

import hashlib
import re

from eid.errors import ConfigurationError

__all__ = ["check_prefix", "tagged"]

#: What a tag may be as given: the alphabet of our random handles and hex digests.
_SAFE_TAG = re.compile(r"[A-Za-z0-9_.\-]{1,128}")
_SAFE_PART = re.compile(r"[A-Za-z0-9_.:\-]{0,256}")


def tagged(tag: str, kind: str, *parts: str | int) -> str:
    """The key ``{tag}:kind[:part...]`` of the short-lived store.

    ``tag`` and ``parts`` may come from outside (a request id in a URL, a cookie): a
    value outside the safe alphabet is replaced by its SHA-256, so a brace can never
    move the hash tag and a colon can never make one key look like another kind's.
    ``kind`` is always ours.
    """
    safe_tag = tag if _SAFE_TAG.fullmatch(tag) else _digest(tag)
    rest = [p if isinstance(p, int) or _SAFE_PART.fullmatch(p) else _digest(p) for p in parts]
    return ":".join(["{" + safe_tag + "}", kind, *map(str, rest)])


def check_prefix(prefix: str) -> str:
    """A store's key prefix, which must not hold a hash tag of its own.

    :raises ConfigurationError: ``invalid_prefix`` when it holds ``{`` or ``}``.
    """
    if "{" in prefix or "}" in prefix:
        raise ConfigurationError(f"a key prefix cannot hold braces (a Redis hash tag): "
                                 f"{prefix!r}", code="invalid_prefix")
    return prefix


def _digest(value: str) -> str:
    return "h" + hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()
