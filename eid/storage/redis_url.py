"""Reading ``EID_REDIS_URL``: one Redis, a Sentinel-watched master, or a Redis Cluster.

One setting names every topology, so a deployment moves from one to another by
changing a URL, not code:

* ``redis://[[user]:password@]host[:port][/db]``, ``rediss://...`` (TLS),
  ``unix:///path/to/socket?db=0``: one server, read by redis-py's own
  ``Redis.from_url``;
* ``redis+sentinel://[[user]:password@]host[:port][,host[:port]...]/service[/db]``
  (``rediss+sentinel://`` for TLS): the master that the Sentinels at those
  addresses (port 26379 by default) name for ``service``; the credentials are the
  master's, ``?sentinel_username=&sentinel_password=`` the Sentinels' own. The form
  is the one Celery/Kombu, Prefect and docket also read;
* ``redis+cluster://[[user]:password@]host[:port][,host[:port]...]``
  (``rediss+cluster://``): a Redis Cluster found from any of those nodes (port 6379
  by default); a cluster has database 0 only.

``?ssl_ca_certs=/path`` names the CA bundle of a TLS scheme. Everything else in a
query is refused: a misspelt option must not be silently ignored. Percent-encoded
user names and passwords are decoded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal
from urllib.parse import parse_qsl, unquote

from eid.errors import ConfigurationError

__all__ = ["REDIS_SCHEMES", "RedisTarget", "parse_redis_url"]

_SINGLE = ("redis", "rediss", "unix")
_TOPOLOGIES = {"redis+sentinel": ("sentinel", False), "rediss+sentinel": ("sentinel", True),
               "redis+cluster": ("cluster", False), "rediss+cluster": ("cluster", True)}
#: Every scheme :func:`parse_redis_url` reads.
REDIS_SCHEMES = (*_SINGLE, *_TOPOLOGIES)
_DEFAULT_PORT = {"sentinel": 26379, "cluster": 6379}
_HOST = re.compile(r"\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.\-_]+")
_PORT = re.compile(r"[0-9]{1,5}")
_NAME = re.compile(r"[A-Za-z0-9._\-]{1,128}")
_DB = re.compile(r"[0-9]{1,5}")
_OPTIONS = {"sentinel": ("sentinel_username", "sentinel_password", "ssl_ca_certs"),
            "cluster": ("ssl_ca_certs",)}


@dataclass(frozen=True, slots=True)
class RedisTarget:
    """What a Redis URL names (never printed with its password)."""

    kind: Literal["single", "sentinel", "cluster"]
    url: str = ""  # the URL itself, for "single"
    nodes: tuple[tuple[str, int], ...] = ()
    service: str | None = None
    db: int = 0
    username: str | None = None
    password: str | None = None
    tls: bool = False
    sentinel_username: str | None = None
    sentinel_password: str | None = None
    ssl_ca_certs: str | None = None

    def __repr__(self) -> str:
        return (f"RedisTarget(kind={self.kind!r}, nodes={self.nodes!r}, "
                f"service={self.service!r}, db={self.db}, tls={self.tls})")


def _bad(why: str) -> ConfigurationError:
    # The URL itself is not repeated: it may hold a password.
    return ConfigurationError(f"malformed Redis URL: {why}", code="invalid_url")


def parse_redis_url(url: str) -> RedisTarget:
    """Read ``url`` (see the module's text for the forms).

    :raises ConfigurationError: ``invalid_url``, naming what is wrong.
    """
    scheme, sep, rest = url.partition("://")
    if not sep or scheme not in REDIS_SCHEMES:
        raise ConfigurationError(
            f"not a Redis URL (schemes: {', '.join(REDIS_SCHEMES)})", code="invalid_url")
    if scheme in _SINGLE:
        return RedisTarget("single", url=url)
    kind, tls = _TOPOLOGIES[scheme]
    if "#" in rest:
        raise _bad("a fragment has no meaning here")
    rest, _, query = rest.partition("?")
    netloc, slash, path = rest.partition("/")
    userinfo, at, hosts = netloc.rpartition("@")
    username = password = None
    if at:
        user, colon, secret = userinfo.partition(":")
        username = unquote(user) or None
        password = unquote(secret) if colon else None
        if not colon:  # redis-py's reading too: a lone userinfo is the password
            username, password = None, unquote(user) or None
    nodes = tuple(_node(part, _DEFAULT_PORT[kind]) for part in hosts.split(","))
    options = _options(query, _OPTIONS[kind])
    if options.get("ssl_ca_certs") and not tls:
        raise _bad("ssl_ca_certs needs a TLS scheme (rediss+...)")
    segments = path.split("/") if slash and path else []
    if segments and segments[-1] == "":
        segments.pop()  # a trailing slash
    if kind == "cluster":
        if segments not in ([], ["0"]):
            raise _bad("a Redis Cluster has database 0 only")
        return RedisTarget("cluster", nodes=nodes, username=username, password=password,
                           tls=tls, ssl_ca_certs=options.get("ssl_ca_certs"))
    if not segments or not _NAME.fullmatch(segments[0]) or len(segments) > 2:
        raise _bad("a Sentinel URL ends in /<service name>[/<db>]")
    if len(segments) == 2 and not _DB.fullmatch(segments[1]):
        raise _bad("the database is a number")
    return RedisTarget(
        "sentinel", nodes=nodes, service=segments[0],
        db=int(segments[1]) if len(segments) == 2 else 0, username=username,
        password=password, tls=tls, sentinel_username=options.get("sentinel_username"),
        sentinel_password=options.get("sentinel_password"),
        ssl_ca_certs=options.get("ssl_ca_certs"))


def _node(text: str, default_port: int) -> tuple[str, int]:
    host, port = text, str(default_port)
    if text.startswith("["):
        host, bracket, tail = text.partition("]")
        if not bracket:
            raise _bad("a node is host[:port], with a host name or address")
        host += "]"
        if tail:
            if not tail.startswith(":"):
                raise _bad("a node is host[:port]")
            port = tail[1:]
    elif ":" in text:
        host, _, port = text.rpartition(":")
    if not _HOST.fullmatch(host):
        raise _bad("a node is host[:port], with a host name or address")
    if not _PORT.fullmatch(port) or not 0 < int(port) < 65536:
        raise _bad("a port is a number from 1 to 65535")
    return host.strip("[]"), int(port)


def _options(query: str, allowed: tuple[str, ...]) -> dict[str, str]:
    try:
        pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=bool(query))
    except ValueError:
        raise _bad("the query is not name=value pairs") from None
    names = [name for name, _ in pairs]
    unknown = sorted(set(names) - set(allowed))
    if unknown:
        raise _bad(f"unknown option {unknown[0]!r} (known: {', '.join(allowed)})")
    if len(set(names)) != len(names):
        raise _bad("an option is repeated")
    return dict(pairs)
