"""The synthetic generator's tables: names and population figures from ``data/generator_*.json``.

Loaded once per process and precomputed for the inner loop (:mod:`.synthetic`):
weighted choices as cumulative weights, name parts' search keys, an age
pyramid by single year.
"""

from __future__ import annotations

from bisect import bisect
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from itertools import accumulate
from random import Random
from typing import Any

from eid.datafiles import data_path, read_json
from eid.population.codec import name_key
from eid.population.idnumber import BIRTH_PROVINCES

__all__ = ["Pick", "Tables", "age_pick", "generated_password_hash", "population_tables"]


def _load(name: str) -> Any:
    return read_json(data_path("eid.population", "data", name))


class Pick:
    """A weighted choice: one ``random()`` and one ``bisect``."""

    def __init__(self, pairs: Sequence[Sequence[Any]]) -> None:
        self.values = [p[0] for p in pairs]
        self.cum = list(accumulate(float(p[1]) for p in pairs))
        self.total = self.cum[-1]

    def __call__(self, rng: Random) -> Any:
        return self.values[bisect(self.cum, rng.random() * self.total)]


@dataclass(frozen=True)
class Tables:
    conf: dict[str, Any]
    family: Pick
    middle: dict[str, Pick]
    given: dict[str, Pick]
    keys: dict[str, str]
    streets: list[str]
    sizes: Pick
    ages: list[float]  # weight of each single year of age 0..99
    migrants: Pick
    ethnicity: Pick
    religion: Pick
    blood: Pick
    as_of: date
    days: list[tuple[int, int]]  # (month, day) of each day of a non-leap year


@cache
def population_tables() -> Tables:
    """The generator's tables, loaded once per process from ``data/generator_*.json``."""
    names, conf = _load("generator_names.json"), _load("generator_population.json")
    parts = [n for n, _ in names["family_names"]]
    for group in ("middle_names", "given_names"):
        parts += [n for sex in ("male", "female") for n, _ in names[group][sex]]
    ages = [0.0] * 100
    for start, weight in conf["age_pyramid"]:
        for age in range(start, min(start + 5, 100)):
            ages[age] = weight / 5
    weights = conf["migrant_origins"]["weights"]
    jan1 = date(2025, 1, 1).toordinal()
    return Tables(
        conf=conf,
        family=Pick(names["family_names"]),
        middle={s: Pick(names["middle_names"][s]) for s in ("male", "female")},
        given={s: Pick(names["given_names"][s]) for s in ("male", "female")},
        keys={p: name_key(p) for p in parts},
        streets=names["streets"],
        sizes=Pick(conf["household_sizes"]),
        ages=ages,
        migrants=Pick([(p, weights.get(p, 1)) for p in sorted(BIRTH_PROVINCES)]),
        ethnicity=Pick(conf["ethnicities"]),
        religion=Pick(conf["religions"]),
        blood=Pick(conf["blood_types"]["weights"]),
        as_of=date.fromisoformat(conf["as_of"]),
        days=[(d.month, d.day) for d in map(date.fromordinal, range(jan1, jan1 + 365))],
    )


def generated_password_hash() -> str:
    """The one scrypt hash every generated account shares (password in ``fixtures/README.md``)."""
    return str(population_tables().conf["accounts"]["password_hash"])


@cache
def age_pick(low: int, high: int) -> Pick:
    ages = population_tables().ages
    return Pick([(a, ages[a]) for a in range(low, high + 1)])
