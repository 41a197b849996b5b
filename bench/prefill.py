"""Prefills per second for CT01 with a 5-person household: ``python -m bench.prefill``.

Contenders, measured in interleaved slices of CPU time (see :mod:`bench._timing`):

- ``claims_for`` (baseline): the provider building the userinfo claims alone;
- ``prefill_from_record``: provider side, a Citizen and a registry whose look-ups
  are already in memory (the prefill itself, without storage);
- ``prefill_from_record_sqlite``: the same with the SQLite registry (includes
  reading and decoding the 5 household records);
- ``prefill_from_claims``: portal side, from the userinfo claims dict;
- ``to_json``: serialising a result for an API.

Ratios are to the baseline within each round (the machine is shared and noisy).
The household is fixture household A (``fixtures/identities.json``) without the
grandparent, so 5 people; the declarant is the spouse, Trần Thị Hoà.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import sys
from collections.abc import Sequence

from bench._timing import interleaved
from eid.population.fixtures import load_citizens
from eid.population.model import Citizen
from eid.population.registry import Relatives
from eid.population.sqlite import SqliteRegistry
from eid.prefill import claims_for, load_forms, prefill, to_json

DECLARANT = "074181000202"  # Trần Thị Hoà, household A spouse
LEFT_OUT = "074048000606"  # the grandparent, so the household has 5 people
SCOPES = ("openid", "profile", "id_number", "contact", "household")
NOW = _dt.datetime(2026, 11, 25, tzinfo=_dt.UTC)


class _Snapshot:
    """One citizen's look-ups held in memory: the registry cost taken out of the measurement."""

    def __init__(self, registry: SqliteRegistry, id_number: str) -> None:
        self._citizen = registry.get(id_number)
        self._household = registry.household(id_number)
        self._relatives = registry.relatives(id_number)

    def get(self, id_number: str) -> Citizen:
        return self._citizen

    def household(self, id_number: str) -> list[Citizen]:
        return self._household

    def relatives(self, id_number: str) -> Relatives:
        return self._relatives


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print its figures; ``--quick`` for a smoke run."""
    parser = argparse.ArgumentParser(prog="python -m bench.prefill", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny run, figures meaningless")
    args = parser.parse_args(argv)
    rounds, batch = (2, 5) if args.quick else (15, 1000)

    registry = SqliteRegistry()
    registry.add_many(c for c in load_citizens() if c.id_number != LEFT_OUT)
    snapshot = _Snapshot(registry, DECLARANT)
    citizen = registry.get(DECLARANT)
    household = registry.household(DECLARANT)
    assert len(household) == 5, len(household)
    ct01 = load_forms()[0]["ct01"]
    claims = claims_for(citizen, SCOPES, snapshot)  # type: ignore[arg-type]
    result = prefill(ct01, claims, SCOPES, now=NOW)
    same = prefill(ct01, citizen, SCOPES, registry=snapshot, now=NOW)  # type: ignore[arg-type]
    assert result == same, "record and claims disagree"

    m = interleaved(
        {
            "claims_for": lambda: claims_for(citizen, SCOPES, snapshot),  # type: ignore[arg-type]
            "prefill_from_record": lambda: prefill(
                ct01, citizen, SCOPES, registry=snapshot, now=NOW  # type: ignore[arg-type]
            ),
            "prefill_from_record_sqlite": lambda: prefill(
                ct01, citizen, SCOPES, registry=registry, now=NOW
            ),
            "prefill_from_claims": lambda: prefill(ct01, claims, SCOPES, now=NOW),
            "to_json": lambda: to_json(result),
        },
        baseline="claims_for",
        rounds=rounds,
        batch=batch,
    )
    print(f"CT01, household of {len(household)}, scopes {' '.join(SCOPES)}")
    print(f"{rounds} interleaved rounds x {batch} calls, CPU time (time.process_time), median")
    print(f"{'contender':<28} {'per second':>12} {'x claims_for':>13}")
    for name, rate in m.rates.items():
        print(f"{name:<28} {rate:>12,.0f} {m.median_ratio[name]:>13.2f}")
    goal = 20_000
    for name in ("prefill_from_record", "prefill_from_claims"):
        verdict = "meets" if m.rates[name] >= goal else "below"
        print(f"{name}: {verdict} the goal of {goal:,}/s")
    registry.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
