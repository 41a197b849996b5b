"""The password of a Sentinel or Cluster URL reaches the servers; without it, or with a
wrong one, a call fails as ``storage_unavailable`` (never a traceback), naming no secret."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any

import pytest

from eid.errors import StorageError
from eid.storage import ephemeral_store_from_url
from tests.servers import redis_cluster, redis_sentinel

PASSWORD = "p@ss:/" + secrets.token_urlsafe(8)  # characters a URL must percent-encode
ENCODED = PASSWORD.replace("@", "%40").replace(":", "%3A").replace("/", "%2F")


def _cluster(password: str) -> AbstractContextManager[Any]:
    return redis_cluster(password=password)


STARTERS: dict[str, Callable[[str], AbstractContextManager[Any]]] = {
    "sentinel": redis_sentinel, "cluster": _cluster}


@pytest.fixture(scope="module", params=sorted(STARTERS))
def protected_url(request: pytest.FixtureRequest) -> Iterator[str]:
    with STARTERS[request.param](PASSWORD) as servers:
        yield servers.url.replace(f":{PASSWORD}@", ":{password}@")


def test_the_password_of_the_url_is_used(protected_url: str) -> None:
    store = ephemeral_store_from_url(protected_url.format(password=ENCODED), prefix="test:")
    store.put("{t}:k", {"v": 1}, 60)
    assert store.consume("{t}:k") == {"v": 1}


@pytest.mark.parametrize("password", ["", "wrong"])
def test_no_or_a_wrong_password_is_storage_unavailable(protected_url: str,
                                                       password: str) -> None:
    url = protected_url.format(password=password) if password \
        else protected_url.replace(":{password}@", "")
    store = ephemeral_store_from_url(url, prefix="test:")
    with pytest.raises(StorageError) as err:
        store.put("{t}:k", {"v": 1}, 60)
    assert err.value.code == "storage_unavailable"
    assert PASSWORD not in str(err.value)
