"""The synthetic population: deterministic, valid, consistent, realistic enough."""

from __future__ import annotations

import datetime as dt
import io
import json
from collections import Counter
from pathlib import Path

import pytest

from eid.errors import ConfigurationError
from eid.population import (
    GENERATED_PASSWORD,
    Citizen,
    SqliteRegistry,
    citizen_to_record,
    communes_of,
    generate,
    load_citizens,
    parse_id_number,
    verify_password,
)
from eid.population.generator import Progress

from .conftest import GENERATED_PEOPLE, GENERATED_SEED


@pytest.fixture(scope="module")
def people(generated: SqliteRegistry) -> list[Citizen]:
    return list(generated)


def _rows(path: Path) -> list[Citizen]:
    with SqliteRegistry(path, readonly=True) as registry:
        return list(registry)


def test_exact_count(people: list[Citizen]) -> None:
    assert len(people) == GENERATED_PEOPLE


def test_same_seed_same_people(tmp_path: Path, generated_path: Path) -> None:
    again = generate(tmp_path / "again.sqlite", people=GENERATED_PEOPLE, seed=GENERATED_SEED,
                     workers=1)
    assert _rows(again) == _rows(generated_path)


def test_result_does_not_depend_on_workers(tmp_path: Path) -> None:
    # 12,000 people are two chunks: built by two processes, inserted in chunk order.
    one = generate(tmp_path / "one.sqlite", people=12_000, seed=3, workers=1)
    two = generate(tmp_path / "two.sqlite", people=12_000, seed=3, workers=2)
    assert _rows(one) == _rows(two)


def test_other_seed_other_people(tmp_path: Path, people: list[Citizen]) -> None:
    other = _rows(generate(tmp_path / "other.sqlite", people=GENERATED_PEOPLE, seed="other",
                           workers=1))
    assert {c.id_number for c in other} != {c.id_number for c in people}
    assert [c.full_name for c in other] != [c.full_name for c in people]


def test_every_id_valid_unique_and_consistent(people: list[Citizen]) -> None:
    assert len({c.id_number for c in people}) == len(people)
    for c in people:
        number = parse_id_number(c.id_number)
        assert number.agrees_with(birth_year=c.birth_date.year, sex=c.sex), c.id_number


def test_the_generated_registry_passes_the_fixture_loader(
    tmp_path: Path, people: list[Citizen], generated: SqliteRegistry
) -> None:
    # The loader checks references, mutual spouses, parents' sex and age, households,
    # residences in real communes, accounts of children: everything a hand-made file must obey.
    path = tmp_path / "generated.json"
    records = [citizen_to_record(c) for c in people]
    path.write_text(json.dumps({"citizens": records}, ensure_ascii=False), encoding="utf-8")
    as_of = dt.date.fromisoformat(generated.meta()["as_of"])
    assert len(load_citizens(path, today=as_of)) == len(people)


def test_couples_are_linked_both_ways(generated: SqliteRegistry, people: list[Citizen]) -> None:
    married = [c for c in people if c.spouse is not None]
    assert married
    for c in married:
        assert c.spouse is not None and c.spouse.id_number is not None
        spouse = generated.get(c.spouse.id_number)
        assert spouse.spouse is not None and spouse.spouse.id_number == c.id_number
        assert {c.sex, spouse.sex} == {"male", "female"}
        assert c.marital_status == spouse.marital_status == "married"


def test_children_are_linked_to_parents(generated: SqliteRegistry, people: list[Citizen]) -> None:
    children = [c for c in people if c.mother is not None]
    assert children
    for child in children:
        for field, sex in (("father", "male"), ("mother", "female")):
            ref = getattr(child, field)
            if ref is None:
                continue
            parent = generated.get(ref.id_number)
            assert parent.sex == sex
            assert parent.birth_date.year < child.birth_date.year
            assert child.id_number in {c.id_number for c in generated.relatives(ref.id_number)
                                       .children}


def test_households(generated: SqliteRegistry, people: list[Citizen]) -> None:
    households: dict[str, list[Citizen]] = {}
    for c in people:
        assert c.household is not None
        households.setdefault(c.household.household_id, []).append(c)
    sizes = Counter(len(m) for m in households.values())
    assert set(sizes) <= set(range(1, 9))
    assert len(sizes) >= 6  # many shapes, not one
    for members in households.values():
        heads = [m for m in members if m.household and m.household.relationship == "head"]
        assert len(heads) == 1
        assert all(m.household and m.household.head_id_number == heads[0].id_number
                   for m in members)
        assert len({(m.permanent_residence or m.current_residence) for m in members}) == 1
    some = next(iter(households.values()))
    assert sorted(c.id_number for c in generated.household(some[0].id_number)) == sorted(
        c.id_number for c in some
    )


@pytest.mark.parametrize("province", [48])
def test_residences_are_real_communes_of_the_chosen_province(
    tmp_path: Path, people: list[Citizen], province: int
) -> None:
    hcmc = {c.code for c in communes_of(79)}
    for c in people:
        for address in (c.permanent_residence, c.current_residence, c.temporary_residence):
            if address is not None:
                assert address.province_code == 79 and address.commune_code in hcmc
    other = _rows(generate(tmp_path / "danang.sqlite", people=300, seed=1,
                           provinces=(province,), workers=1))
    codes = {c.code for c in communes_of(province)}
    assert all(c.permanent_residence is not None and c.permanent_residence.commune_code in codes
               for c in other)
    # Most births are registered locally: Đà Nẵng's prefix is 048.
    assert sum(c.id_number.startswith("048") for c in other) > len(other) / 2


def test_realistic_distributions(people: list[Citizen]) -> None:
    families = Counter(c.family_name for c in people)
    assert families.most_common(1)[0][0] == "Nguyễn"
    assert {"Trần", "Lê", "Phạm"} <= set(families)
    sexes = Counter(c.sex for c in people)
    assert 0.4 < sexes["male"] / len(people) < 0.6
    years = [c.birth_date.year for c in people]
    assert min(years) < 1960 and max(years) >= 2020
    local = sum(c.id_number[:3] in {"074", "079", "077"} for c in people)
    assert local > len(people) * 0.6  # most births registered in the province


def test_accounts(people: list[Citizen], generated: SqliteRegistry) -> None:
    as_of = dt.date.fromisoformat(generated.meta()["as_of"])
    accounts = [c for c in people if c.account is not None]
    levels = Counter(c.account.level for c in accounts if c.account)
    assert levels["LoA1"] > 0 and levels["LoA2"] > 0
    adults = [c for c in people if c.age_on(as_of) >= 18]
    assert sum(c.account is not None for c in adults) > len(adults) / 2
    for c in accounts:
        assert c.account is not None
        if c.age_on(as_of) < 6:
            assert c.account.level == "LoA1" and c.account.registered_by is not None
    hashes = {c.account.password_hash for c in accounts if c.account}
    assert len(hashes) == 1  # one documented password, one precomputed hash
    assert verify_password(GENERATED_PASSWORD, hashes.pop())


def test_written_atomically(tmp_path: Path) -> None:
    target = tmp_path / "out.sqlite"
    target.write_text("old content")
    generate(target, people=50, seed=1, workers=1)
    assert len(_rows(target)) == 50
    assert [p.name for p in tmp_path.iterdir()] == ["out.sqlite"]  # no temporary file left


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"people": 0}, "bad_people"),
        ({"people": 10, "provinces": ()}, "unknown_province"),
        ({"people": 10, "provinces": (99,)}, "unknown_province"),
    ],
)
def test_bad_parameters_write_nothing(tmp_path: Path, kwargs: dict[str, object], code: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        generate(tmp_path / "out.sqlite", **kwargs)  # type: ignore[arg-type]
    assert info.value.code == code
    assert list(tmp_path.iterdir()) == []


def test_progress_lines() -> None:
    stream = io.StringIO()
    progress = Progress(100, stream)
    for done in range(0, 101, 5):
        progress.update(done)
    progress.message("building indexes")
    lines = stream.getvalue().splitlines()
    assert lines[-1] == "building indexes"
    assert any(line.startswith("100/100 people") for line in lines)
    silent = Progress(100, None)
    silent.update(50)  # no stream, no output, no error
