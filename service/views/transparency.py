"""The data-access log's public face: its latest checkpoint, its key, and proofs (issue 14).

Anyone may fetch these: they carry hashes only, never an entry (entries name citizens;
a citizen gets their own from "Who accessed my data"). A citizen holding an entry and an
auditor holding an older checkpoint check the service with them:

* ``GET /transparency/checkpoint``: the latest checkpoint, a C2SP signed note
  (tlog-checkpoint: origin, tree size, base64 root hash, then the signature line);
* ``GET /transparency/key``: the verifier key of the note (``<origin>+<key id>+<key>``);
* ``GET /transparency/inclusion?index=I[&size=N]``: RFC 9162 §2.1.3 inclusion proof of
  entry ``I`` in the tree of ``N`` entries (default: the latest checkpoint's size);
* ``GET /transparency/consistency?first=M[&second=N]``: RFC 9162 §2.1.4 consistency
  proof from the tree of ``M`` entries to that of ``N`` (default: the latest).

A proof asked for a size no checkpoint covers yet gets one signed on the spot (of
exactly that size), so a citizen's fresh entry is provable at once. The JSON field
names are RFC 9162 §4.3 / §4.4's (``leaf_index``, ``tree_size``, ``inclusion_path``;
``tree_size_1``, ``tree_size_2``, ``consistency_path``), hashes in standard base64.
Bad parameters are 400 with a stable ``error``: ``invalid_request`` (malformed,
repeated), ``invalid_tree_size`` (a size or index the log has not reached).
"""

from __future__ import annotations

import base64

from flask import Blueprint, Response, g, jsonify, request
from flask.typing import ResponseReturnValue

from eid.errors import AuditError, InvalidRequest
from eid.storage.access_proofs import consistency_proof, inclusion_proof
from service.params import collect
from service.provider import provider
from service.public import public
from service.transparency import checkpointer

__all__ = ["bp"]

bp = Blueprint("transparency", __name__, url_prefix="/transparency")

# A checkpoint changes every few seconds while the log grows; a short shared cache
# absorbs a crowd of verifiers without serving anything stale for long.
_NOTE_CACHE = "public, max-age=5"
_KEY_CACHE = "public, max-age=3600"


@bp.before_request
def _as_api() -> None:
    g.api = True  # errors as JSON (service.errors), as for the other machine endpoints


@bp.errorhandler(AuditError)
def _audit_error(err: AuditError) -> ResponseReturnValue:
    response = jsonify(error=err.code, error_description=err.message)
    response.status_code = 400
    return response


def _text(body: str, cache: str) -> Response:
    return public(Response(body, mimetype="text/plain"), cache)


def _json(doc: dict[str, object], *, sized: bool) -> Response:
    # A proof for a named size never changes: cacheable for long; one for "the latest"
    # changes with the next checkpoint.
    return public(jsonify(doc), _KEY_CACHE if sized else _NOTE_CACHE)


def _b64(values: list[bytes]) -> list[str]:
    return [base64.b64encode(v).decode("ascii") for v in values]


def _numbers(*names: str) -> dict[str, int | None]:
    params = collect(request.args)
    params.check(names)
    return {name: params.integer(name) for name in names}


@bp.get("/checkpoint")
def checkpoint() -> ResponseReturnValue:
    return _text(checkpointer().latest().note, _NOTE_CACHE)


@bp.get("/key")
def key() -> ResponseReturnValue:
    return _text(checkpointer().signer.verifier_key + "\n", _KEY_CACHE)


@bp.get("/inclusion")
def inclusion() -> ResponseReturnValue:
    values = _numbers("index", "size")
    index, size = values["index"], values["size"]
    if index is None:
        raise InvalidRequest("index is required")
    signed = checkpointer().covering(index + 1 if size is None else size,
                                     exact=size is not None)
    size = signed.size if size is None else size
    proof = inclusion_proof(provider().durable, index, size)
    return _json({"leaf_index": index, "tree_size": size, "inclusion_path": _b64(proof),
                  "checkpoint": signed.note if signed.size == size else None},
                 sized=values["size"] is not None)


@bp.get("/consistency")
def consistency() -> ResponseReturnValue:
    values = _numbers("first", "second")
    first, second = values["first"], values["second"]
    if first is None:
        raise InvalidRequest("first is required")
    signed = checkpointer().covering(first if second is None else second,
                                     exact=second is not None)
    second = signed.size if second is None else second
    proof = consistency_proof(provider().durable, first, second)
    return _json({"tree_size_1": first, "tree_size_2": second,
                  "consistency_path": _b64(proof),
                  "checkpoint": signed.note if signed.size == second else None},
                 sized=values["second"] is not None)
