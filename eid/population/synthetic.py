"""Synthetic citizens, one chunk of households at a time (the generator's inner loop).

Everything a chunk needs comes from its own ``random.Random(f"{seed}/{index}")``
so chunks can be built in any process, in any order, and always come out the
same. ID numbers stay unique across chunks without coordination: the random
serial is drawn from chunk ``index``'s own slice of the million serials (so,
rows sorted, a chunk's ID numbers follow the previous chunk's within each
prefix, and the bulk load appends near a few thousand points instead of
all over the table).

Speed matters here (2.6 million people in minutes): names' search keys are
precomputed per part (the key of a full name is the concatenation of its
parts' keys, since keys drop spaces), weighted choices are one ``bisect`` on
cumulative weights, and records go straight to rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from random import Random
from typing import Any

from eid.population.idnumber import BIRTH_PROVINCES, NEW_PROVINCE_CODES
from eid.population.sqlite_schema import Row
from eid.population.stored import encode_stored
from eid.population.synthetic_tables import age_pick, generated_password_hash, population_tables

__all__ = ["ChunkSpec", "generate_chunk"]


@dataclass(frozen=True)
class ChunkSpec:
    """What one chunk needs: its place in the run and the communes to live in."""

    seed: str
    index: int
    chunks: int
    people: int
    communes: tuple[tuple[int, int, str], ...]  # (province code, commune code, local ID prefix)


class _Person:
    __slots__ = ("age", "family", "id", "key", "name", "prefix", "rec", "sex", "year")
    age: int
    family: str
    id: str
    key: str
    name: str
    prefix: str
    sex: str
    year: int

    def __init__(self) -> None:
        self.rec: dict[str, Any] = {}


class _Chunk:
    def __init__(self, spec: ChunkSpec) -> None:
        self.t = population_tables()
        self.spec = spec
        self.rng = Random(f"{spec.seed}/{spec.index}")  # noqa: S311 - reproducible, not secret
        self.used: set[str] = set()
        self.per_chunk = 1_000_000 // spec.chunks  # serials of this chunk: its own slice
        self.accounts = self.t.conf["accounts"]
        self.hash = generated_password_hash()
        self.level2: set[str] = set()  # active level-2 holders, who may register a child
        self.province_of = {c: p for p, c, _ in spec.communes}

    def person(self, sex: str, age: int, prefix: str, family: str | None = None) -> _Person:
        t, rng, p = self.t, self.rng, _Person()
        p.sex, p.age, p.prefix = sex, age, prefix
        p.family = family or t.family(rng)
        middle, given = t.middle[sex](rng), t.given[sex](rng)
        p.name = f"{p.family} {middle} {given}"
        p.key = t.keys[p.family] + t.keys[middle] + t.keys[given]
        month, day = t.days[int(rng.random() * 365)]
        p.year = t.as_of.year - age - ((month, day) > (t.as_of.month, t.as_of.day))
        g = (p.year // 100 - 19) * 2 + (sex == "female")
        while True:
            serial = self.spec.index * self.per_chunk + int(rng.random() * self.per_chunk)
            p.id = f"{prefix}{g}{p.year % 100:02d}{serial:06d}"
            if p.id not in self.used:
                self.used.add(p.id)
                break
        # Old records often hold only the birth year.
        partial = p.year < 1950 and rng.random() < 0.2
        p.rec = {
            "id_number": p.id,
            "full_name": p.name,
            "family_name": p.family,
            "middle_name": middle,
            "given_name": given,
            "birth_date": f"{p.year}" if partial else f"{p.year}-{month:02d}-{day:02d}",
            "sex": sex,
            "nationality": "VNM",
        }
        return p

    def prefix(self, local: str, child: bool) -> str:
        share = self.t.conf["local_birth_share"]["child" if child else "adult"]
        return local if self.rng.random() < share else str(self.t.migrants(self.rng))

    def household(self, size: int, number: int) -> list[tuple[_Person, str]]:
        rng, conf = self.rng, self.t.conf
        province, commune, local = self.spec.communes[int(rng.random() * len(self.spec.communes))]
        members: list[tuple[_Person, str]] = []
        if size == 1:
            head = self.person(_sex(rng), age_pick(18, 95)(rng), self.prefix(local, False))
            head.rec["marital_status"] = _single_status(rng, head.age)
            members.append((head, "head"))
        else:
            kids, grand = size - 1, 0
            couple = rng.random() < conf["couple_share"]
            if couple:
                kids = size - 2
                if kids and rng.random() < conf["grandparent_share"].get(str(size), 0):
                    grand = 1 if kids == 1 or rng.random() < 0.5 else 2
                    kids -= grand
            low = max(20, 18 + kids) if kids else 20
            high = 55 if kids else (65 if grand else 90)
            mother_age = age_pick(low, high)(rng)
            wife = self.person("female", mother_age, self.prefix(local, False))
            husband = None
            if couple:
                h_age = min(99, max(20, mother_age + int(rng.random() * 10) - 2))
                husband = self.person("male", h_age, self.prefix(local, False))
                _marry(husband, wife)
                if rng.random() < conf["husband_head_share"]:
                    members += [(husband, "head"), (wife, "spouse")]
                else:
                    members += [(wife, "head"), (husband, "spouse")]
            else:
                wife.rec["marital_status"] = "divorced" if rng.random() < 0.6 else "widowed"
                members.append((wife, "head"))
            head = members[0][0]
            for _ in range(kids):
                age = max(0, mother_age - 18 - int(rng.random() * min(24, mother_age - 17)))
                family = husband.family if husband else wife.family
                kid = self.person(_sex(rng), age, self.prefix(local, True), family)
                kid.rec["marital_status"] = "single" if age < 18 else _single_status(rng, age)
                _parent(kid, husband, wife)
                members.append((kid, "child"))
            if grand:
                child = head if rng.random() < 0.7 else members[1][0]
                rel = "parent" if child is head else "parent_in_law"
                gage = min(99, child.age + 20 + int(rng.random() * 18))
                gma = self.person("female", gage, self.prefix(local, False))
                gpa = None
                if grand == 2:
                    gpa = self.person("male", min(99, gage + 2), gma.prefix, child.family)
                    _marry(gpa, gma)
                    members.append((gpa, rel))
                else:
                    gma.rec["marital_status"] = "widowed"
                _parent(child, gpa, gma)
                members.append((gma, rel))
        self.finish(members, province, commune, local, f"HK{self.spec.index:05d}{number:06d}")
        return members

    def finish(
        self, members: list[tuple[_Person, str]], province: int, commune: int, local: str, hh: str
    ) -> None:
        t, rng, conf, acc = self.t, self.rng, self.t.conf, self.accounts
        head = members[0][0]
        street = t.streets[int(rng.random() * len(t.streets))]
        home = {"province_code": province, "commune_code": commune,
                "detail": f"{1 + int(rng.random() * 300)} {street}"}
        ethnicity, religion = t.ethnicity(rng), t.religion(rng)
        for p, rel in members:
            r = p.rec
            r["household"] = {"household_id": hh, "relationship": rel,
                              "head_id_number": head.id, "head_name": head.name}
            r["ethnicity"], r["religion"] = ethnicity, religion
            r["permanent_residence"] = r["current_residence"] = home
            if rng.random() < conf["temporary_residence_share"] and p.age >= 18:
                other, code, _ = self.spec.communes[int(rng.random() * len(self.spec.communes))]
                r["temporary_residence"] = r["current_residence"] = {
                    "province_code": other, "commune_code": code}
            if p.prefix == local and p.age < 18:
                r["birth_registration_place"] = {"province_code": province, "commune_code": commune}
            else:
                r["birth_registration_place"] = _place(p.prefix)
            father = r.get("father")
            r["hometown"] = _place(father["id_number"][:3] if father else p.prefix)
            if rng.random() < conf["blood_types"]["declared_share"]:
                r["blood_type"] = t.blood(rng)
            if p.year < 2000 and rng.random() < conf["old_id"]["share_born_before_2000"]:
                r["old_id_number"] = self.old_id(p.prefix)
            if p.age < 18 and (r.get("father") or r.get("mother")):
                # Civil Code 2015 art. 136: parents are the legal representatives of a minor.
                r["legal_representative"] = r.get("father") or r["mother"]
            share = (acc["adult_share"] if p.age >= 14
                     else acc["child_6_13_share"] if p.age >= 6 else acc["under_6_share"])
            if rng.random() < share:
                self.account(p, rng.random() < acc["level2_share"] and p.age >= 14)

    def account(self, p: _Person, level2: bool) -> None:
        rng, acc, r = self.rng, self.accounts, p.rec
        a: dict[str, Any] = {"level": "LoA2" if level2 else "LoA1", "status": "active",
                             "password_hash": self.hash}
        if p.age < 6:
            # Decree 69/2024: under 6, level 1 only, registered by a parent holding level 2.
            parents = [x["id_number"] for x in (r.get("father"), r.get("mother")) if x]
            holder = next((x for x in parents if x in self.level2), None)
            if holder is None:
                return
            a["registered_by"] = holder
        if rng.random() < acc["locked_share"]:
            a["status"] = "locked"
        prefixes = self.t.conf["phone_prefixes"]
        a["phone"] = f"{prefixes[int(rng.random() * len(prefixes))]}{int(rng.random() * 1e7):07d}"
        if rng.random() < acc["email_share"]:
            a["email"] = f"{p.key.lower()}{p.year % 100:02d}@example.com"
        r["account"] = a
        if level2 and a["status"] == "active":
            self.level2.add(p.id)

    def old_id(self, prefix: str) -> str:
        conf, rng = self.t.conf["old_id"], self.rng
        issuer = str(rng.choice(conf["issuers"].get(prefix) or conf["default_issuers"]))
        return issuer + "".join(str(int(rng.random() * 10)) for _ in range(9 - len(issuer)))


def _sex(rng: Random) -> str:
    return "male" if rng.random() < 0.51 else "female"  # sex ratio at birth ~ 1.1


def _single_status(rng: Random, age: int) -> str:
    if age < 30:
        return "single"
    if age >= 65:
        return "widowed" if rng.random() < 0.6 else "single"
    return ("single", "divorced", "widowed")[int(rng.random() * 3)]


def _ref(p: _Person) -> dict[str, Any]:
    return {"full_name": p.name, "id_number": p.id, "nationality": "VNM"}


def _marry(a: _Person, b: _Person) -> None:
    a.rec["spouse"], b.rec["spouse"] = _ref(b), _ref(a)
    a.rec["marital_status"] = b.rec["marital_status"] = "married"


def _parent(child: _Person, father: _Person | None, mother: _Person) -> None:
    if father is not None:
        child.rec["father"] = _ref(father)
    child.rec["mother"] = _ref(mother)


@cache
def _place(prefix: str) -> dict[str, Any]:
    return {"province_code": NEW_PROVINCE_CODES[prefix], "detail": BIRTH_PROVINCES[prefix]}


def generate_chunk(spec: ChunkSpec) -> list[Row]:
    """The rows of chunk ``spec.index``: exactly ``spec.people`` people in whole households."""
    chunk, rows, made, number = _Chunk(spec), [], 0, 0
    while made < spec.people:
        size = min(int(chunk.t.sizes(chunk.rng)), spec.people - made)
        number += 1
        for p, _ in chunk.household(size, number):
            r = p.rec
            father, mother = r.get("father"), r.get("mother")
            born = r["birth_date"]
            rows.append((
                int(p.id), p.key, p.year,
                int(born[5:7]) if len(born) > 4 else None,
                int(born[8:10]) if len(born) > 4 else None,
                r["household"]["household_id"],
                father["id_number"] if father else None,
                mother["id_number"] if mother else None,
                encode_stored(r),
            ))
        made += size
    rows.sort()  # by ID number, the table's key: the load appends instead of scattering
    return rows
