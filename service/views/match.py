"""``POST /api/match``: yes/no checks of a citizen's details that release nothing.

A bank or a service provider holding details a citizen typed (someone else's: a
household member, a child) asks whether they are the registry's, as the national
data-exchange platform's verification services answer. The answer is only
``{"match": true}`` or ``{"match": false}``.

* **Who may ask.** Clients registered with ``match: true`` (an operator's grant in the
  clients file: dynamic registration never sets it), which are fapi2 clients only, so
  they authenticate with ``private_key_jwt`` (RFC 7523; FAPI 2.0 §5.3.2.2). The request
  carries its client assertion, as introspection does (RFC 7662 §2.1): a back-channel
  call between two servers, each one proven by a fresh single-use signed assertion
  (``jti``), so a client-credentials token (RFC 6749 §4.4) would add a round trip and a
  credential to guard without adding a proof the assertion does not already give.
* **What is asked.** A form: ``id_number`` (12 ASCII digits, a well-formed personal ID
  number, else ``invalid_request``) and at least one of ``full_name``, ``birth_date``
  (``YYYY-MM-DD``, or ``YYYY-MM``/``YYYY`` for records that know no more), ``gender``
  (``male``/``female``). Names are compared by the registry's folding rules
  (:func:`eid.population.name_key`: NFC/NFD, diacritics, ``đ``, both tone placements).
* **What is never told.** Which field differed, or whether the number exists: a
  well-formed unknown number is compared against a decoy record, so the same
  comparisons run (and the same log entry is written) and the answer is ``false``, the
  same bytes as a record that differs.
* **Limits.** :data:`MATCH_LIMIT` calls per :data:`MATCH_WINDOW` seconds per client,
  reserved in the short-lived store before anything else is read (RFC 6585 §4: 429).
* **Recorded.** Every answered call goes into the citizen's data-access log
  (:func:`service.audit.record_release`, action ``match``, the claim names compared)
  before the answer leaves; if the log cannot be written nothing is answered (503).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from flask import Blueprint, Response, g, jsonify, request
from flask.typing import ResponseReturnValue

from eid.errors import (
    IdNumberError,
    InvalidRequest,
    NotFoundError,
    PopulationError,
    RateLimited,
    UnauthorizedClient,
)
from eid.population import PartialDate, name_key, parse_id_number
from eid.population.model import Citizen
from service.audit import record_release
from service.client_auth import authenticate_client
from service.params import collect
from service.provider import Provider, provider
from service.state_keys import match_window

__all__ = ["MATCH_LIMIT", "MATCH_WINDOW", "bp", "compare"]

bp = Blueprint("match", __name__)

#: Calls a client may make per window (a check is one citizen's details, typed by hand).
MATCH_LIMIT: Final = 30
MATCH_WINDOW: Final = 60
#: The request's fields and the claim names the log records for them.
_CLAIMS: Final = {"full_name": "name", "birth_date": "birthdate", "gender": "gender"}
_DIGITS = re.compile(r"[0-9]{12}")
_MAX_NAME: Final = 128
_GENDERS: Final = frozenset({"male", "female"})
# Compared when the number is unknown: the same work; whatever it compares to, the
# answer for an unknown number is false.
_DECOY: Final = Citizen(id_number="000000000000", full_name="Nguyễn Văn Đệm",
                        birth_date=PartialDate(1900, 1, 1), sex="male")


@dataclass(frozen=True, slots=True)
class MatchQuery:
    """A checked request: the ID number and the details to compare (``None``: not asked)."""

    id_number: str
    full_name: str | None
    birth_date: PartialDate | None
    gender: str | None

    @property
    def claims(self) -> tuple[str, ...]:
        """The claim names compared (what the log records)."""
        return tuple(_CLAIMS[f] for f in _CLAIMS if getattr(self, f) is not None)


@bp.before_request
def _mark_api() -> None:
    g.api = True


def _parse(values: dict[str, str | None]) -> MatchQuery:
    """:raises InvalidRequest: a malformed ID number or field, or no field to compare."""
    number = values.get("id_number") or ""
    try:
        if not _DIGITS.fullmatch(number):
            raise InvalidRequest("id_number must be 12 ASCII digits")
        parse_id_number(number)
    except IdNumberError:
        raise InvalidRequest("id_number is not a personal identification number") from None
    name, birth, gender = (values.get(f) for f in _CLAIMS)
    if name is not None and (len(name) > _MAX_NAME or not name_key(name)):
        raise InvalidRequest("full_name must be a name")
    try:
        date = PartialDate.parse(birth) if birth is not None else None
    except PopulationError:
        raise InvalidRequest("birth_date must be YYYY-MM-DD (or YYYY-MM, YYYY)") from None
    if birth is not None and "-" not in birth and len(birth) != 4:
        raise InvalidRequest("birth_date must be YYYY-MM-DD (or YYYY-MM, YYYY)")
    if gender is not None and gender not in _GENDERS:
        raise InvalidRequest("gender must be male or female")
    if name is None and date is None and gender is None:
        raise InvalidRequest("give at least one of full_name, birth_date, gender")
    return MatchQuery(number, name, date, gender)


def compare(record: Citizen, query: MatchQuery) -> bool:
    """Whether every asked detail is the record's. Every asked field is compared, each
    time (no early exit), so the work does not depend on which one differs."""
    results = [
        query.full_name is None or name_key(query.full_name) == name_key(record.full_name),
        query.birth_date is None or query.birth_date == record.birth_date,
        query.gender is None or query.gender == record.sex,
    ]
    return all(results)


def _record_or_decoy(p: Provider, id_number: str) -> tuple[Citizen, bool]:
    try:
        return p.registry.get(id_number), True
    except NotFoundError:
        return _DECOY, False


@bp.post("/api/match")
def match() -> ResponseReturnValue:
    p = provider()
    params = collect(request.form)  # the body only, as every client-authenticated endpoint
    params.check()
    client = authenticate_client(p, params)
    if not client.match:
        raise UnauthorizedClient("this client may not ask for matches")
    if p.ephemeral.reserve(match_window(client.client_id), MATCH_LIMIT,
                           MATCH_WINDOW) is None:
        raise RateLimited(f"at most {MATCH_LIMIT} checks per {MATCH_WINDOW} s")
    query = _parse({name: params.get(name) for name in ("id_number", *_CLAIMS)})
    record, known = _record_or_decoy(p, query.id_number)
    same = compare(record, query)
    # Recorded for unknown numbers too: the same work, and a number checked is a
    # number someone typed (the log names the number asked, never the values compared).
    record_release(p, citizen=query.id_number, client=client, action="match",
                   attributes=query.claims, basis="permission:match")
    response: Response = jsonify(match=known and same)
    response.headers["Cache-Control"] = "no-store"
    return response
