"""Complete login flows per second: the login service against node's oidc-provider.

    python -m bench.flows                        # embedded stores, concurrency 16
    python -m bench.flows --concurrency 4,16 --rounds 5
    python -m bench.flows --redis                # short-lived state in a throw-away Redis
    python -m bench.flows --redis --postgres --serve-args "--workers 2 --threads 8"
    python -m bench.flows --fapi                 # the FAPI 2.0 flow as well
    python -m bench.flows --quick                # smoke run (a test uses it); figures mean nothing

Both servers run in the same run, under the same pinning: each server on core 0
(``taskset -c 0``), this driver on core 1 (``os.sched_setaffinity``), loopback only.

* **eid**: ``eid serve`` in test mode (``EID_TEST_MODE=1``) on a throw-away instance
  directory: the short-lived store in memory (or ``--redis``), the durable store SQLite.
* **node**: ``oidc-provider`` 9.13.3 from tests/interop's lockfile, run by
  tests/interop/bench_provider.mjs: the same client, scopes, claims, ES256 ID tokens,
  PKCE and client_secret_basic, with its in-memory adapter.

A flow is what a portal does for one citizen: the authorization request with PKCE carrying
``X-Eid-Test-Identity`` (the silent sign-in of a level-2 fixture citizen that both servers
give test clients: no login or consent page; the code is read from ``Location``, no
redirect followed), the token request, the ID token verified with :mod:`eid.verify` (the
JWKS fetched once per run), and userinfo. The FAPI flow (``--fapi``, ``eid-fapi-test-client``)
adds PAR, private_key_jwt and DPoP through :class:`eid.oidc.RelyingParty`; node runs it
under its FAPI 2.0 profile.

First each server gets a batch that is not counted (``--warmup``, by default as many flows
as a round): node spends about twice as much CPU a flow in its first 2,000 flows as after
(V8 warming up, presumably its JIT), which made eid's first round look far better than the
others. Then each round runs one batch per server, in an order that rotates from round to round
(:func:`bench._timing.rotated`); a batch ends after ``--flows`` flows or ``--seconds``. Per
server the table gives the medians over rounds: flows/s, p50/p99 latency of each endpoint
and of the whole flow (ms, over all rounds' requests), the server's CPU ms per flow
(``utime + stime`` of its process tree, from /proc) and the driver's (to show it is not the
bottleneck); then the eid/node ratios, taken within each round, and each server's CPU per
flow round by round (which of them drifts, when the ratio does).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import urllib.parse
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any, Final

from bench._args import non_negative, positive
from bench._load import Batch, Flow, fapi_flow, plain_flow, run_batch
from bench._servers import (
    KEY_FILE,
    Running,
    node_provider,
    postgres_server,
    redis_server,
    service,
)
from bench._timing import rotated
from eid.signing import load_signing_keys

__all__ = ["ENDPOINTS", "main", "percentile"]

SERVER_CORE: Final = 0
DRIVER_CORE: Final = 1
#: Discovery names of the endpoints, and how the table names them.
ENDPOINTS: Final = {"pushed_authorization_request_endpoint": "par",
                    "authorization_endpoint": "authorize", "token_endpoint": "token",
                    "userinfo_endpoint": "userinfo"}


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-quantile (0..1) of ``values``, nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def _get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as resp:  # noqa: S310 - loopback URL
        return json.loads(resp.read())


def _flow(server: Running, kind: str) -> tuple[Flow, dict[str, str]]:
    meta = _get_json(f"{server.url}/.well-known/openid-configuration")
    jwks = _get_json(meta["jwks_uri"])  # once per run
    names = {urllib.parse.urlsplit(meta[k]).path: v for k, v in ENDPOINTS.items() if k in meta}
    if kind == "fapi":
        return fapi_flow(meta["issuer"], jwks, load_signing_keys(KEY_FILE)["ec-p256-b"]), names
    return plain_flow(meta, jwks), names


@contextmanager
def _servers(args: argparse.Namespace) -> Iterator[list[Running]]:
    with ExitStack() as stack:
        env = dict(item.partition("=")[::2] for item in args.serve_env)
        store_pids: list[int] = []
        if args.redis:
            url, pid = stack.enter_context(redis_server(core=args.store_core))
            env["EID_REDIS_URL"] = url
            store_pids.append(pid)
        if args.postgres:
            url, pid = stack.enter_context(postgres_server(core=args.store_core))
            env["EID_DATABASE_URL"] = url
            store_pids.append(pid)
        eid = stack.enter_context(service(core=SERVER_CORE, env=env,
                                          serve_args=args.serve_args.split(),
                                          store_pids=store_pids,
                                          wrap=args.wrap.split()))
        servers = [eid]
        if args.baseline:
            # The same service from another checkout (git archive REV | tar -x -C DIR), in
            # the same rounds: what the changes since REV bought, under the same load.
            servers.append(stack.enter_context(service(
                core=SERVER_CORE, env=env, serve_args=args.serve_args.split(),
                store_pids=store_pids, source=args.baseline, name="eid-baseline")))
        if not args.eid_only:
            servers.append(stack.enter_context(node_provider(core=SERVER_CORE)))
        yield servers


def _ms(values: Sequence[float], q: float) -> str:
    return f"{percentile(values, q) * 1000:.1f}" if values else "-"


def _report(kind: str, concurrency: int, results: dict[str, list[Batch]],
            with_stores: frozenset[str] = frozenset()) -> None:
    """``with_stores``: the servers that have Redis or PostgreSQL of their own (a column for
    their share, whatever it measured: too few flows may stay under the CPU clock's tick)."""
    names = list(results)
    endpoints = [e for e in ("par", "authorize", "token", "userinfo", "flow")
                 if any(e in b.times for bs in results.values() for b in bs)]
    stores = bool(with_stores)
    header = ["server", "flows", "err", "flows/s", "CPU ms/flow",
              *(["of which stores"] if stores else []), "driver ms/flow",
              *(f"{e} p50/p99" for e in endpoints)]
    rows = []
    for name, batches in results.items():
        done = sum(b.flows for b in batches)
        times = {e: [t for b in batches for t in b.times.get(e, [])] for e in endpoints}
        rows.append([
            name, str(done), str(sum(b.errors for b in batches)),
            f"{statistics.median(_rate(b) for b in batches):.0f}",
            f"{statistics.median(_cpu(b, b.server_cpu) for b in batches):.2f}",
            *([f"{statistics.median(_cpu(b, b.store_cpu) for b in batches):.2f}"
               if name in with_stores else "-"] if stores else []),
            f"{statistics.median(_cpu(b, b.driver_cpu) for b in batches):.2f}",
            *(f"{_ms(times[e], 0.5)}/{_ms(times[e], 0.99)}" for e in endpoints)])
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    print(f"\n{kind} flow, concurrency {concurrency}, {len(next(iter(results.values())))} "
          f"rounds (medians; latencies in ms over all rounds)")
    for row in [header, *rows]:
        print(" | ".join(c.ljust(w) if i == 0 else c.rjust(w)
                         for i, (c, w) in enumerate(zip(row, widths, strict=True))))
    # Each eid against the last server (node, or the baseline without node), per round.
    for name in names[:-1]:
        mine, ref = results[name], results[names[-1]]
        rate = [_rate(a) / _rate(b) if _rate(b) else 0.0 for a, b in zip(mine, ref, strict=True)]
        cpu = [_cpu(a, a.server_cpu) / _cpu(b, b.server_cpu) if _cpu(b, b.server_cpu) else 0.0
               for a, b in zip(mine, ref, strict=True)]
        print(f"{name}/{names[-1]}: flows/s {statistics.median(rate):.2f}x "
              f"(rounds {', '.join(f'{r:.2f}' for r in rate)}); server CPU per flow "
              f"{statistics.median(cpu):.2f}x")
    # Each server's own rounds: which of them drifts, when the ratio does.
    print("by round, server CPU ms/flow: " + "; ".join(
        f"{name} {', '.join(f'{_cpu(b, b.server_cpu):.2f}' for b in batches)}"
        for name, batches in results.items()))
    for name, batches in results.items():
        errors = [b.first_error for b in batches if b.first_error]
        if errors:
            print(f"{name}: first error: {errors[0]}")


def _store_place(args: argparse.Namespace) -> str:
    if not (args.redis or args.postgres):
        return ""
    whose = "the driver's" if args.store_core == DRIVER_CORE else "the server's"
    return f" on core {args.store_core} ({whose})"


def _rate(b: Batch) -> float:
    return b.flows / b.wall if b.wall else 0.0


def _cpu(b: Batch, seconds: float) -> float:
    return seconds * 1000 / b.flows if b.flows else 0.0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.flows", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--concurrency", default=None,
                        help="worker threads, or a comma-separated list (default 16)")
    parser.add_argument("--rounds", type=positive, help="interleaved rounds (default 3)")
    parser.add_argument("--flows", type=positive, help="flows per server per round (default 2000)")
    parser.add_argument("--seconds", type=float,
                        help="at most this long per server per round (default 10)")
    parser.add_argument("--redis", action="store_true", help="the service's short-lived "
                        "state in a throw-away redis-server (on --store-core)")
    parser.add_argument("--postgres", action="store_true",
                        help="the durable store in a throw-away PostgreSQL (on --store-core; "
                        "fsync on)")
    parser.add_argument("--store-core", type=int, choices=(SERVER_CORE, DRIVER_CORE),
                        default=SERVER_CORE, help="the core of --redis and --postgres: the "
                        f"service's ({SERVER_CORE}, the default: one core for everything) or "
                        f"the driver's ({DRIVER_CORE}: as databases on machines of their own)")
    parser.add_argument("--fapi", action="store_true", help="also the FAPI 2.0 flow")
    parser.add_argument("--fapi-only", action="store_true", help="only the FAPI 2.0 flow")
    parser.add_argument("--eid-only", action="store_true", help="without node")
    parser.add_argument("--baseline", type=Path, metavar="DIR",
                        help="also serve the checkout in DIR (e.g. git archive REV | tar -x "
                        "-C DIR) as eid-baseline, in the same rounds")
    parser.add_argument("--serve-env", action="append", default=[], metavar="NAME=VALUE",
                        help="an environment variable for `eid serve` (repeatable)")
    parser.add_argument("--serve-args", default="",
                        help="extra arguments of `eid serve` (e.g. \"--workers 1 --threads 8\")")
    parser.add_argument("--wrap", default="", help="a command to run `eid serve` under, "
                        "e.g. \"py-spy record -f raw -o eid.txt --\" (its CPU then counts too)")
    parser.add_argument("--warmup", type=non_negative, metavar="N",
                        help="flows per server before the rounds, not counted (default: "
                        "as many as --flows, within --seconds): node's first 2,000 flows "
                        "cost it about twice its later ones")
    parser.add_argument("--quick", action="store_true",
                        help="a few flows per server: checks the harness, not the speed")
    args = parser.parse_args(argv)
    try:
        levels = [positive(c) for c in (args.concurrency or ("2" if args.quick else "16"))
                  .split(",")]
    except argparse.ArgumentTypeError as exc:
        parser.error(f"argument --concurrency: {exc}")
    # `is None`, not `or`: an explicit 0 must be refused (argparse's types, the --seconds
    # check below), never taken for the default.
    rounds = (1 if args.quick else 3) if args.rounds is None else args.rounds
    flows = (6 if args.quick else 2000) if args.flows is None else args.flows
    seconds = (30 if args.quick else 10) if args.seconds is None else args.seconds
    warmup = flows if args.warmup is None else args.warmup
    if not 0 < seconds <= 600:
        parser.error(f"argument --seconds: must be in (0, 600], not {seconds:g}")
    kinds = ["fapi"] if args.fapi_only else ["plain", "fapi"] if args.fapi else ["plain"]
    cores = os.sched_getaffinity(0)
    if len(cores) > 1:
        os.sched_setaffinity(0, {DRIVER_CORE})
    try:
        return _run(args, kinds, levels, rounds=rounds, flows=flows, seconds=seconds,
                    warmup=warmup)
    finally:
        os.sched_setaffinity(0, cores)  # a caller (the test) gets its cores back


def _run(args: argparse.Namespace, kinds: list[str], levels: list[int], *, rounds: int,
         flows: int, seconds: float, warmup: int) -> int:
    print(f"Python {platform.python_version()}; server on core {SERVER_CORE}, driver on core "
          f"{DRIVER_CORE}; {rounds} interleaved rounds of at most {flows} flows or "
          f"{seconds:g} s per server, after {warmup} uncounted; stores: "
          f"{'Redis' if args.redis else 'memory'} + {'PostgreSQL' if args.postgres else 'SQLite'}"
          f"{_store_place(args)}; eid serve {args.serve_args}".rstrip())
    with _servers(args) as servers:
        for kind in kinds:
            prepared = {s.name: (s, *_flow(s, kind)) for s in servers}
            for concurrency in levels:
                # Warm up without measuring: imports, caches, connections, and node's V8,
                # whose first 2,000 flows cost about twice its later ones (round 11).
                for server, flow, names in prepared.values() if warmup else ():
                    run_batch(flow, server.url, names, concurrency=concurrency,
                              flows=warmup, seconds=seconds,
                              server_cpu=server.cpu_seconds,
                              store_cpu=server.store_cpu_seconds)
                results: dict[str, list[Batch]] = {name: [] for name in prepared}
                for r in range(rounds):
                    for name in rotated(list(prepared), r):
                        server, flow, names = prepared[name]
                        results[name].append(run_batch(
                            flow, server.url, names, concurrency=concurrency, flows=flows,
                            seconds=seconds, server_cpu=server.cpu_seconds,
                            store_cpu=server.store_cpu_seconds))
                _report(kind, concurrency, results,
                        frozenset(s.name for s in servers if s.store_pids))
                failed = [name for name, bs in results.items() if any(b.errors for b in bs)]
                for name in failed:
                    lines = prepared[name][0].log.read_text(errors="replace").splitlines()
                    print(f"--- {name}'s output, the end:", *lines[-40:], sep="\n")
                if failed:
                    return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
