"""The mocked National Population Database: ID numbers and card formats, citizens, registries.

Public API, re-exported here (import from ``eid.population``, not the modules):

* ID numbers: :func:`parse_id_number`, :func:`make_id_number`, :class:`IdNumber`, the old CMND;
* card formats: the chip card's MRZ (TD1) and QR payload (:mod:`.documents`);
* names: :func:`normalize_name`, :func:`canonical_tones`, :func:`search_key`;
* administrative units of 2025 (:mod:`.units`) and ethnicity codes (:mod:`.codes`);
* the :class:`Citizen` record and its parts (:mod:`.model`), password hashes (:mod:`.passwords`);
* the :class:`Registry` protocol, its SQLite default :class:`SqliteRegistry` and
  :class:`PostgresRegistry` (``pip install 'eid[postgres]'``);
* the fixture loader (:func:`load_fixture_registry`) and the synthetic generator (:func:`generate`).
"""

from __future__ import annotations

from eid.population.codec import (
    citizen_from_record,
    citizen_to_record,
    name_key,
)
from eid.population.codes import (
    ETHNICITIES,
    ETHNICITY_FOREIGNER,
    ETHNICITY_UNKNOWN,
    ethnicity_name,
)
from eid.population.documents import (
    CccdQr,
    MrzTd1,
    make_cccd_qr,
    make_mrz_td1,
    mrz_check_digit,
    parse_cccd_qr,
    parse_mrz_td1,
)
from eid.population.fixtures import (
    default_identities_path,
    load_citizens,
    load_fixture_registry,
)
from eid.population.generator import (
    DEFAULT_PROVINCES,
    GENERATED_PASSWORD,
    generate,
)
from eid.population.idnumber import (
    BIRTH_PROVINCES,
    NEW_PROVINCE_CODES,
    IdNumber,
    OldIdNumber,
    Sex,
    is_id_number,
    make_id_number,
    parse_id_number,
    parse_old_id_number,
)
from eid.population.model import (
    ACCOUNT_LEVELS,
    ACCOUNT_STATUSES,
    BLOOD_TYPES,
    MARITAL_STATUSES,
    RELATIONSHIPS,
    Account,
    AccountLevel,
    AccountStatus,
    Address,
    BloodType,
    Citizen,
    Household,
    MaritalStatus,
    PartialDate,
    Relationship,
    Relative,
)
from eid.population.names import (
    canonical_tones,
    mrz_name,
    normalize_name,
    search_key,
)
from eid.population.passwords import (
    hash_password,
    is_password_hash,
    verify_password,
)
from eid.population.registry import (
    DEFAULT_SEARCH_LIMIT,
    Registry,
    Relatives,
)
from eid.population.sqlite import (
    SqliteRegistry,
)
from eid.population.units import (
    Commune,
    Province,
    all_communes,
    all_provinces,
    commune,
    communes_of,
    find_province,
    format_address,
    province,
    validate_residence,
)

__all__ = [
    "ACCOUNT_LEVELS",
    "ACCOUNT_STATUSES",
    "BIRTH_PROVINCES",
    "BLOOD_TYPES",
    "DEFAULT_PROVINCES",
    "DEFAULT_SEARCH_LIMIT",
    "ETHNICITIES",
    "ETHNICITY_FOREIGNER",
    "ETHNICITY_UNKNOWN",
    "GENERATED_PASSWORD",
    "MARITAL_STATUSES",
    "NEW_PROVINCE_CODES",
    "RELATIONSHIPS",
    "Account",
    "AccountLevel",
    "AccountStatus",
    "Address",
    "BloodType",
    "CccdQr",
    "Citizen",
    "Commune",
    "Household",
    "IdNumber",
    "MaritalStatus",
    "MrzTd1",
    "OldIdNumber",
    "PartialDate",
    "PostgresRegistry",
    "Province",
    "Registry",
    "Relationship",
    "Relative",
    "Relatives",
    "Sex",
    "SqliteRegistry",
    "all_communes",
    "all_provinces",
    "canonical_tones",
    "citizen_from_record",
    "citizen_to_record",
    "commune",
    "communes_of",
    "default_identities_path",
    "ethnicity_name",
    "find_province",
    "format_address",
    "generate",
    "hash_password",
    "is_id_number",
    "is_password_hash",
    "load_citizens",
    "load_fixture_registry",
    "make_cccd_qr",
    "make_id_number",
    "make_mrz_td1",
    "mrz_check_digit",
    "mrz_name",
    "name_key",
    "normalize_name",
    "parse_cccd_qr",
    "parse_id_number",
    "parse_mrz_td1",
    "parse_old_id_number",
    "province",
    "search_key",
    "validate_residence",
    "verify_password",
]


def __getattr__(name: str) -> object:
    # Imported lazily: psycopg is an optional dependency of the library.
    if name == "PostgresRegistry":
        from eid.population.postgres import PostgresRegistry

        return PostgresRegistry
    raise AttributeError(name)
