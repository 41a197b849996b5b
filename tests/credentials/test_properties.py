"""Property: for any claims and any choice of them, the verifier sees exactly the chosen
claims, as issued, and the presentation reveals nothing about the others."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eid.credentials import RESERVED_CLAIMS, present
from eid.signing import SigningKey
from eid.verify import decode_disclosure, split_sd_jwt, verify_sd_jwt

from .conftest import ISSUER, NONCE, NOW, OFFICE, PORTAL, Issue

SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])
# JSON values without "_sd"/"..." members (issue_sd_jwt refuses those, tested apart).
keys = st.text(max_size=6).filter(lambda k: k not in ("_sd", "...", "_sd_alg"))
values = st.recursive(
    st.none() | st.booleans() | st.integers(-2**53, 2**53) | st.text(max_size=10)
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=3),
    max_leaves=12,
)
names = st.text(min_size=1, max_size=8).filter(
    lambda n: n not in RESERVED_CLAIMS and n != "client_id")


@SETTINGS
@given(claims=st.dictionaries(names, values, min_size=1, max_size=8), data=st.data())
def test_the_verifier_sees_exactly_the_chosen_claims(
        claims: dict[str, Any], data: st.DataObject, issue: Issue, holder_key: SigningKey,
        issuer_jwks: dict[str, Any]) -> None:
    chosen = data.draw(st.lists(st.sampled_from(sorted(claims)), unique=True))
    presentation = present(issue(claims), disclose=chosen, holder_key=holder_key,
                           audience=OFFICE, nonce=NONCE, iat=NOW)
    seen = verify_sd_jwt(presentation, issuer=ISSUER, jwks=issuer_jwks, audience=OFFICE,
                         nonce=NONCE, now=NOW)
    assert {k: seen[k] for k in seen if k in claims} == {k: claims[k] for k in chosen}
    assert seen["client_id"] == PORTAL
    # Only the chosen claims' own Disclosures travel: no other claim's name or value.
    top = {d.name for d in map(decode_disclosure, split_sd_jwt(presentation).disclosures)}
    assert top - {None} == set(chosen)
