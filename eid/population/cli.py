"""``eid citizens ...`` and ``eid population generate``: the registry from a shell.

Exit codes (see :mod:`eid.cli`): 0 found / valid / written; 1 not found or
failed; 2 usage; 3 invalid input data (malformed ID number, a data file that
fails validation); 4 a data file missing or unreadable.

The registry is ``--database-url URL`` (a PostgreSQL registry), else ``--registry
FILE`` (a SQLite registry, e.g. a generated one), else ``$EID_REGISTRY``, else the
fixture identities (``fixtures/identities.json``).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from typing import TYPE_CHECKING, Any

from eid.errors import DataError, DataFileMissing, IdNumberError, PopulationError
from eid.population.codec import citizen_to_record
from eid.population.codes import ethnicity_name
from eid.population.fixtures import load_fixture_registry
from eid.population.generator import DEFAULT_PROVINCES, GENERATED_PASSWORD, Progress, generate
from eid.population.idnumber import parse_id_number, parse_old_id_number
from eid.population.model import Address, Citizen, PartialDate, Relative
from eid.population.sqlite import SqliteRegistry
from eid.population.units import format_address
from eid.storage.postgres_url import require_postgres

if TYPE_CHECKING:
    from eid.population.postgres import PostgresRegistry

__all__ = ["describe", "register"]

EXIT_OK, EXIT_FAILED, EXIT_INVALID, EXIT_MISSING = 0, 1, 3, 4


def _positive(text: str) -> int:
    # A usage error (exit 2, argparse's), not a failed search.
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 1 <= value <= 1000:
        raise argparse.ArgumentTypeError("must be between 1 and 1000")
    return value


def register(subparsers: Any) -> None:
    """Add the ``citizens`` and ``population`` commands to the ``eid`` parser."""
    citizens = subparsers.add_parser("citizens", help="look up citizens in a registry")
    sub = citizens.add_subparsers(dest="citizens_command", metavar="COMMAND", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--registry", metavar="FILE",
                        help="SQLite registry (default: $EID_REGISTRY, else the fixtures)")
    common.add_argument("--database-url", metavar="URL",
                        help="PostgreSQL registry (postgresql://...), instead of a file")
    common.add_argument("--json", action="store_true", help="machine-readable output")

    show = sub.add_parser("show", parents=[common], help="one citizen by ID number")
    show.add_argument("id_number")
    show.set_defaults(func=_show)

    search = sub.add_parser("search", parents=[common], help="citizens by name and birth date")
    search.add_argument("name", help='e.g. "Nguyen Van An" (diacritics, case, spaces ignored)')
    search.add_argument("--born", type=_date, metavar="DATE", help="YYYY, YYYY-MM or YYYY-MM-DD")
    search.add_argument("--limit", type=_positive, default=20,
                        help="at most this many results (1-1000, default 20)")
    search.set_defaults(func=_search)

    check = sub.add_parser("check-id", help="what a personal ID number encodes, or why it is bad")
    check.add_argument("id_number")
    check.add_argument("--json", action="store_true", help="machine-readable output")
    check.set_defaults(func=_check_id)

    population = subparsers.add_parser("population", help="synthetic population registries")
    psub = population.add_subparsers(dest="population_command", metavar="COMMAND", required=True)
    gen = psub.add_parser(
        "generate",
        help="write a deterministic synthetic registry",
        description="Write a deterministic synthetic registry (same seed, same people). Every "
        f"generated account has the test password {GENERATED_PASSWORD!r}.",
    )
    gen.add_argument("--people", type=int, required=True, metavar="N")
    gen.add_argument("--seed", default="1", metavar="S")
    target = gen.add_mutually_exclusive_group(required=True)
    target.add_argument("--out", metavar="FILE", help="write a SQLite registry file")
    target.add_argument("--database-url", metavar="URL",
                        help="replace the registry in this PostgreSQL database (one"
                        " transaction: the previous registry stays until the load is complete)")
    gen.add_argument("--province", type=int, action="append", metavar="CODE",
                     help="2025 province code, repeatable (default: 79, Hồ Chí Minh City)")
    gen.add_argument("--workers", type=int, default=None, help="processes (default: CPUs)")
    gen.add_argument("--quiet", action="store_true", help="no progress bar")
    gen.set_defaults(func=_generate)


def _date(text: str) -> PartialDate:
    try:
        return PartialDate.parse(text)
    except PopulationError as exc:
        raise argparse.ArgumentTypeError(f"not a date: {text!r}") from exc


def _open(args: argparse.Namespace) -> SqliteRegistry | PostgresRegistry:
    if args.database_url:
        require_postgres(args.database_url)
        from eid.population.postgres import PostgresRegistry

        return PostgresRegistry(args.database_url)
    path = args.registry or os.environ.get("EID_REGISTRY")
    return SqliteRegistry(path, readonly=True) if path else load_fixture_registry()


def _invalid(exc: IdNumberError | DataError) -> int:
    if isinstance(exc, DataFileMissing):  # the same exit code as eid.cli gives it
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_MISSING
    print(f"invalid: {exc}", file=sys.stderr)
    return EXIT_INVALID


def _public(citizen: Citizen) -> dict[str, Any]:
    record = citizen_to_record(citizen)
    if "account" in record:  # never print a password hash
        record["account"] = {k: v for k, v in record["account"].items() if k != "password_hash"}
    return record


def _show(args: argparse.Namespace) -> int:
    try:
        with _open(args) as registry:
            found = registry.find(args.id_number)
    except (IdNumberError, DataError) as exc:
        return _invalid(exc)
    if found is None:
        print(f"not found: no citizen with ID number {args.id_number}", file=sys.stderr)
        return EXIT_FAILED
    if args.json:
        print(json.dumps(_public(found), ensure_ascii=False, indent=2))
    else:
        print(describe(found))
    return EXIT_OK


def _search(args: argparse.Namespace) -> int:
    try:
        with _open(args) as registry:
            found = registry.search(args.name, args.born, limit=args.limit)
    except DataError as exc:
        return _invalid(exc)
    if args.json:
        print(json.dumps([_public(c) for c in found], ensure_ascii=False, indent=2))
    else:
        for c in found:
            print(f"{c.id_number}  {c.full_name}  {c.birth_date}  {c.sex}")
        if not found:
            print("no match", file=sys.stderr)
    return EXIT_OK if found else EXIT_FAILED


def _check_id(args: argparse.Namespace) -> int:
    try:
        number = parse_id_number(args.id_number)
    except IdNumberError as exc:
        old = None
        if exc.code == "bad_length":
            try:
                old = parse_old_id_number(args.id_number)
            except IdNumberError:
                old = None
        if args.json:
            out: dict[str, Any] = {"valid": False, "code": exc.code, "message": exc.message}
            if old is not None:
                out["old_id_number"] = {"issuer_code": old.issuer_code}
            print(json.dumps(out, ensure_ascii=False))
        else:
            print(f"invalid ({exc.code}): {exc.message}")
            if old is not None:
                print(f"this is an old 9-digit CMND number (issuer {old.issuer_code}),"
                      " stored but no longer an identifier")
        return EXIT_INVALID
    facts = {
        "valid": True,
        "id_number": number.value,
        "birth_registration_province": {"id_prefix": number.province_code,
                                        "name": number.province_name,
                                        "province_2025": number.new_province_code},
        "sex": number.sex,
        "century": number.century,
        "birth_year": number.birth_year,
        "serial": number.serial,
    }
    if args.json:
        print(json.dumps(facts, ensure_ascii=False))
    else:
        print(f"{number.value}: valid personal ID number\n"
              f"  birth registered in: {number.province_name} (prefix {number.province_code},"
              f" now province {number.new_province_code:02d})\n"
              f"  sex: {number.sex}\n  born: {number.birth_year} ({number.century}s)\n"
              f"  serial: {number.serial}")
    return EXIT_OK


def _generate(args: argparse.Namespace) -> int:
    provinces = tuple(args.province or DEFAULT_PROVINCES)
    progress = None if args.quiet else Progress(args.people)
    if args.database_url:
        require_postgres(args.database_url)
        from eid.population.postgres_load import generate_to_postgres

        generate_to_postgres(args.database_url, people=args.people, seed=args.seed,
                             provinces=provinces, workers=args.workers, progress=progress)
        where = "the PostgreSQL registry"
    else:
        where = str(generate(args.out, people=args.people, seed=args.seed, provinces=provinces,
                             workers=args.workers, progress=progress))
    if not args.quiet:
        print(f"wrote {args.people:,} people to {where} (password of every account:"
              f" {GENERATED_PASSWORD})", file=sys.stderr)
    return EXIT_OK


def _address(a: Address | None) -> str:
    if a is None:
        return "–"
    if a.commune_code is not None:
        try:
            return format_address(a.detail, a.commune_code)
        except PopulationError:  # show what is stored rather than fail to display
            return f"{a.detail or ''} (commune {a.commune_code})".strip()
    text = a.detail or (f"province {a.province_code}" if a.province_code else "")
    return text if a.country == "VNM" else f"{text} ({a.country})".strip()


def _relative(r: Relative | None) -> str:
    if r is None:
        return "–"
    extra = ", ".join(x for x in (r.id_number, r.nationality) if x)
    return f"{r.full_name} ({extra})" if extra else r.full_name


def _opt(value: object) -> str:
    if value is None:
        return "–"
    return '""' if value == "" else str(value)


def describe(c: Citizen) -> str:
    """A human-readable summary of a citizen (no password hash)."""
    ethnicity = c.ethnicity
    if ethnicity is not None:
        # An unknown code is shown as stored.
        with contextlib.suppress(PopulationError):
            ethnicity = f"{ethnicity} {ethnicity_name(ethnicity)}"
    lines = [
        ("ID number", c.id_number), ("full name", c.full_name),
        ("name parts", " | ".join(_opt(p) for p in (c.family_name, c.middle_name, c.given_name))),
        ("born", str(c.birth_date)), ("sex", c.sex),
        ("birth registered", _address(c.birth_registration_place)),
        ("hometown", _address(c.hometown)), ("ethnicity", _opt(ethnicity)),
        ("religion", _opt(c.religion)), ("nationality", _opt(c.nationality)),
        ("marital status", _opt(c.marital_status)), ("blood type", _opt(c.blood_type)),
        ("permanent residence", _address(c.permanent_residence)),
        ("temporary residence", _address(c.temporary_residence)),
        ("current residence", _address(c.current_residence)),
        ("temporary absence", _opt(c.temporary_absence)),
        ("household", "–" if c.household is None else
            f"{c.household.household_id}, {c.household.relationship} of "
            f"{c.household.head_name or ''} ({c.household.head_id_number})"),
        ("father", _relative(c.father)), ("mother", _relative(c.mother)),
        ("spouse", _relative(c.spouse)),
        ("legal representative", _relative(c.legal_representative)),
        ("died", _opt(c.death_date)), ("old ID (CMND)", _opt(c.old_id_number)),
        ("account", "–" if c.account is None else
            f"{c.account.level}, {c.account.status}, phone {_opt(c.account.phone)},"
            f" email {_opt(c.account.email)}"
            + (f", registered by {c.account.registered_by}" if c.account.registered_by else "")),
    ]
    return "\n".join(f"{k:>21}: {v}" for k, v in lines)
