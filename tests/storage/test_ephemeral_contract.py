"""One contract for every short-lived store: memory (default), and real Redis servers:
one server, a Redis Cluster of three primaries, a Sentinel-watched master."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

from eid.errors import ConfigurationError, StorageError
from eid.storage import EphemeralStore, MemoryStore, ephemeral_store_from_url, tagged
from eid.storage.redis import RedisStore
from tests.servers import redis_cluster, redis_sentinel, redis_server


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    with redis_server() as url:
        yield url


@pytest.fixture(scope="module")
def cluster_url() -> Iterator[str]:
    with redis_cluster() as cluster:
        yield cluster.url


@pytest.fixture(scope="module")
def sentinel_url() -> Iterator[str]:
    with redis_sentinel() as servers:
        yield servers.url


@pytest.fixture(params=["memory", "redis", "cluster", "sentinel"])
def store(request: pytest.FixtureRequest) -> Iterator[EphemeralStore]:
    if request.param == "memory":
        yield MemoryStore()
        return
    url = request.getfixturevalue(f"{request.param}_url")
    redis_store = ephemeral_store_from_url(url, prefix="test:")
    assert isinstance(redis_store, RedisStore)
    redis_store.clear()
    yield redis_store
    redis_store.clear()


VALUE: dict[str, Any] = {"client_id": "portal", "scopes": ["openid", "profile"], "n": 1}


def test_put_get_round_trip(store: EphemeralStore) -> None:
    store.put("code:1", VALUE, 60)
    assert store.get("code:1") == VALUE
    assert store.get("code:2") is None


def test_values_are_copies(store: EphemeralStore) -> None:
    store.put("k", VALUE, 60)
    got = store.get("k")
    assert got is not None
    got["n"] = 99
    assert store.get("k") == VALUE


def test_consume_returns_once(store: EphemeralStore) -> None:
    store.put("code:1", VALUE, 60)
    assert store.consume("code:1") == VALUE
    assert store.consume("code:1") is None
    assert store.get("code:1") is None


def test_consume_is_atomic_under_concurrency(store: EphemeralStore) -> None:
    store.put("code:race", VALUE, 60)
    winners: list[Any] = []
    barrier = threading.Barrier(8)

    def redeem() -> None:
        barrier.wait()
        if store.consume("code:race") is not None:
            winners.append(1)

    threads = [threading.Thread(target=redeem) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(winners) == 1


CODE, MARK = tagged("c1", "code"), tagged("c1", "code-used")  # one tag: one slot


def test_consume_marking_takes_the_value_and_leaves_the_mark(store: EphemeralStore) -> None:
    store.put(CODE, VALUE, 60)
    assert store.consume_marking(CODE, MARK, {"grant_id": "g1"}, 60) == (VALUE, None)
    assert store.get(CODE) is None
    assert store.get(MARK) == {"grant_id": "g1"}
    assert 0 < (store.ttl(MARK) or 0) <= 60


def test_consume_marking_again_finds_the_mark_and_changes_nothing(
        store: EphemeralStore) -> None:
    store.put(CODE, VALUE, 60)
    store.consume_marking(CODE, MARK, {"grant_id": "g1"}, 60)
    assert store.consume_marking(CODE, MARK, {"grant_id": "g2"}, 60) == (
        None, {"grant_id": "g1"})
    assert store.get(MARK) == {"grant_id": "g1"}


def test_consume_marking_an_absent_key_writes_no_mark(store: EphemeralStore) -> None:
    assert store.consume_marking(CODE, MARK, {"grant_id": "g1"}, 60) == (None, None)
    assert store.get(MARK) is None


@pytest.mark.parametrize("ttl", [0, "60", float("nan")])
def test_consume_marking_with_a_bad_ttl_consumes_nothing(store: EphemeralStore,
                                                         ttl: Any) -> None:
    store.put(CODE, VALUE, 60)
    with pytest.raises(ConfigurationError):
        store.consume_marking(CODE, MARK, {"grant_id": "g1"}, ttl)
    assert store.get(CODE) == VALUE


def test_consume_marking_is_atomic_under_concurrency(store: EphemeralStore) -> None:
    # RFC 6749 §4.1.2: every loser of the race sees the winner's mark, so a replay is
    # always told apart from an unknown code.
    store.put(CODE, VALUE, 60)
    seen: list[tuple[Any, Any]] = []
    barrier = threading.Barrier(8)

    def redeem(n: int) -> None:
        barrier.wait()
        seen.append(store.consume_marking(CODE, MARK, {"grant_id": f"g{n}"}, 60))

    threads = [threading.Thread(target=redeem, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [mark for value, mark in seen if value == VALUE]
    assert winners == [None]
    marks = [mark for value, mark in seen if value is None]
    assert len(marks) == 7 and all(m == store.get(MARK) for m in marks)


def test_consume_marking_on_two_slots_is_refused_by_a_cluster(cluster_url: str) -> None:
    store = ephemeral_store_from_url(cluster_url, prefix="test:")
    store.put(tagged("c2", "code"), VALUE, 60)
    with pytest.raises(StorageError):
        store.consume_marking(tagged("c2", "code"), tagged("other", "code-used"), {}, 60)
    assert store.get(tagged("c2", "code")) == VALUE


def test_add_only_when_absent(store: EphemeralStore) -> None:
    assert store.add("used:abc", {"at": 1}, 60) is True
    assert store.add("used:abc", {"at": 2}, 60) is False
    assert store.get("used:abc") == {"at": 1}


def test_delete(store: EphemeralStore) -> None:
    store.put("k", VALUE, 60)
    store.delete("k")
    store.delete("never-there")
    assert store.get("k") is None


# --- several writes in one round trip ----------------------------------------------

def test_write_many_deletes_then_puts_on_every_shard(store: EphemeralStore) -> None:
    keys = [tagged(str(n), "k") for n in range(64)]  # spread over every shard of a cluster
    gone = [tagged(str(n), "old") for n in range(16)]
    for key in [*gone, keys[0]]:
        store.put(key, {"old": True}, 60)
    store.write_many({key: ({**VALUE, "n": n}, 30 + n) for n, key in enumerate(keys)},
                     deletes=[*gone, keys[0], "never-there"])
    assert [store.get(k) for k in keys] == [{**VALUE, "n": n} for n in range(64)]
    assert [k for k in gone if store.get(k) is not None] == []
    left = store.ttl(keys[10])
    assert left is not None
    assert 35 < left <= 40


def test_write_many_values_are_copies(store: EphemeralStore) -> None:
    value = {"scopes": ["openid"]}
    store.write_many({"k": (value, 60)})
    value["scopes"].append("profile")
    assert store.get("k") == {"scopes": ["openid"]}


@pytest.mark.parametrize("ttl", [0, -1, "60", True, float("nan"), 10**10])
def test_write_many_with_a_bad_ttl_writes_nothing(store: EphemeralStore, ttl: Any) -> None:
    store.put("kept", VALUE, 60)
    with pytest.raises(ConfigurationError) as err:
        store.write_many({"fine": (VALUE, 60), "bad": (VALUE, ttl)}, deletes=["kept"])
    assert err.value.code == "invalid_ttl"
    assert store.get("kept") == VALUE
    assert store.get("fine") is None


def test_counter_counts_and_keeps_its_first_expiry(store: EphemeralStore) -> None:
    assert [store.incr("fail:1", 300) for _ in range(3)] == [1, 2, 3]
    left = store.ttl("fail:1")
    assert left is not None
    assert 290 < left <= 300


# --- reserving attempts (login lockout, NIST SP 800-63B §5.2.2) --------------------

def test_reserve_takes_numbered_slots_up_to_the_limit(store: EphemeralStore) -> None:
    assert [store.reserve("tries:1", 3, 900) for _ in range(5)] == [1, 2, 3, None, None]
    assert store.reserve("tries:2", 3, 900) == 1  # windows are per key


def test_reserve_keeps_the_window_of_the_first_slot(store: EphemeralStore) -> None:
    store.reserve("tries:1", 5, 300)
    first = store.ttl("tries:1")
    store.reserve("tries:1", 5, 900)  # a later slot never extends the window
    later = store.ttl("tries:1")
    assert first is not None and later is not None
    assert later <= first <= 300


def test_a_full_window_stays_full_until_it_ends(store: EphemeralStore) -> None:
    for _ in range(2):
        store.reserve("tries:1", 2, 300)
    left = store.ttl("tries:1")
    assert store.reserve("tries:1", 2, 900) is None  # refused attempts neither count...
    later = store.ttl("tries:1")
    assert left is not None and later is not None and later <= left  # ...nor extend it
    store.release("tries:1", 1)
    assert store.reserve("tries:1", 2, 300) == 2


def test_reserve_is_atomic_under_concurrency(store: EphemeralStore) -> None:
    taken: list[int | None] = []
    barrier = threading.Barrier(16)

    def attempt() -> None:
        barrier.wait(timeout=10)
        taken.append(store.reserve("tries:race", 5, 900))

    threads = [threading.Thread(target=attempt) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    assert sorted(n for n in taken if n is not None) == [1, 2, 3, 4, 5]
    assert taken.count(None) == 11


def test_release_gives_back_slots_and_an_empty_window_ends(store: EphemeralStore) -> None:
    for _ in range(4):
        store.reserve("tries:1", 5, 900)
    store.release("tries:1", 3)
    assert store.reserve("tries:1", 5, 900) == 2  # the slot reserved after them stays taken
    store.release("tries:1", 9)  # more than taken: the window ends, never below zero
    assert store.ttl("tries:1") is None
    assert store.reserve("tries:1", 5, 900) == 1
    store.release("never-there", 1)
    assert store.ttl("never-there") is None


@pytest.mark.parametrize("limit", [0, -1, True, 1.5, "5"])
def test_bad_limit_is_a_configuration_error(store: EphemeralStore, limit: Any) -> None:
    with pytest.raises(ConfigurationError) as err:
        store.reserve("tries:1", limit, 60)
    assert err.value.code == "invalid_limit"
    with pytest.raises(ConfigurationError):
        store.release("tries:1", limit)


def test_ttl_is_set(store: EphemeralStore) -> None:
    store.put("k", VALUE, 60)
    left = store.ttl("k")
    assert left is not None
    assert 55 < left <= 60
    assert store.ttl("absent") is None


def test_clear(store: EphemeralStore) -> None:
    keys = [tagged(str(n), "k") for n in range(64)]  # spread over every shard of a cluster
    for key in keys:
        store.put(key, VALUE, 60)
    store.incr("b", 60)
    store.clear()
    assert [k for k in keys if store.get(k) is not None] == []
    assert store.ttl("b") is None


def test_clear_leaves_other_prefixes(request: pytest.FixtureRequest) -> None:
    url = request.getfixturevalue("cluster_url")
    mine, other = (ephemeral_store_from_url(url, prefix=p) for p in ("test:", "other:"))
    other.put("{x}:kept", VALUE, 60)
    mine.put("{x}:gone", VALUE, 60)
    mine.clear()
    assert other.get("{x}:kept") == VALUE and mine.get("{x}:gone") is None
    other.clear()


@pytest.mark.parametrize("ttl", [0, -1, "60", True, float("nan"), 10**10])
def test_bad_ttl_is_a_configuration_error(store: EphemeralStore, ttl: Any) -> None:
    with pytest.raises(ConfigurationError):
        store.put("k", VALUE, ttl)


# --- expiry, with a controlled clock (memory) -------------------------------------

def test_memory_entries_expire_exactly_at_their_ttl() -> None:
    now = [1000.0]
    store = MemoryStore(clock=lambda: now[0])
    store.put("code", VALUE, 60)
    store.incr("fails", 60)
    now[0] = 1059.999
    assert store.get("code") == VALUE
    now[0] = 1060.0
    assert store.get("code") is None
    assert store.consume("code") is None
    assert store.consume_marking("code", "mark", {}, 60) == (None, None)
    assert store.incr("fails", 60) == 1  # a fresh window
    assert store.add("code", VALUE, 60) is True


def test_memory_reservation_window_ends_exactly_at_its_ttl() -> None:
    now = [1000.0]
    store = MemoryStore(clock=lambda: now[0])
    assert store.reserve("tries", 1, 900) == 1
    now[0] = 1899.999
    assert store.reserve("tries", 1, 900) is None
    now[0] = 1900.0
    assert store.reserve("tries", 1, 900) == 1  # a fresh window


def test_memory_store_follows_freezegun() -> None:
    from freezegun import freeze_time

    with freeze_time("2026-01-01 00:00:00") as frozen:
        store = MemoryStore()
        store.put("code", VALUE, 60)
        frozen.tick(59)
        assert store.get("code") == VALUE
        frozen.tick(1)
        assert store.get("code") is None


# --- configuration and failures ------------------------------------------------------

def test_no_url_means_memory() -> None:
    assert isinstance(ephemeral_store_from_url(None), MemoryStore)
    assert isinstance(ephemeral_store_from_url(""), MemoryStore)


def test_non_redis_url_is_refused() -> None:
    with pytest.raises(ConfigurationError) as err:
        ephemeral_store_from_url("http://127.0.0.1:6379")
    assert err.value.code == "invalid_url"


def test_unreachable_redis_is_a_storage_error() -> None:
    from tests.servers import free_port

    store = ephemeral_store_from_url(f"redis://127.0.0.1:{free_port()}/0")
    with pytest.raises(StorageError) as err:
        store.get("k")
    assert err.value.code == "storage_unavailable"
    with pytest.raises(StorageError) as err:
        store.write_many({"k": (VALUE, 60)}, deletes=["j"])
    assert err.value.code == "storage_unavailable"


def test_corrupt_redis_entry_is_a_storage_error(redis_url: str) -> None:
    import redis

    redis.Redis.from_url(redis_url).set("test:bad", b"\xff not json")
    with pytest.raises(StorageError) as err:
        ephemeral_store_from_url(redis_url, prefix="test:").get("bad")
    assert err.value.code == "corrupt_record"
