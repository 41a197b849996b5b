"""The testing kit, used the way a portal team would: through the pytest plugin's fixtures."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from freezegun import freeze_time

from eid.errors import ConfigurationError, KeySourceError, NotFoundError, TokenError
from eid.testing import TOKEN_FAULTS, JwksServer, TestIssuer
from eid.verify import RemoteKeySource, verify_id_token, verify_logout_token

AUD = "eid-test-client"
HUNG = "074078000101"  # LoA2
KHANG = "074209000303"  # LoA1


def verify(token: str, issuer: TestIssuer, **kw: Any) -> dict[str, Any]:
    args: dict[str, Any] = {"issuer": issuer.issuer, "audience": AUD, "jwks": issuer.key_set()}
    args.update(kw)
    return dict(verify_id_token(token, **args))


def test_minted_token_for_a_fixture_citizen(eid_mint: Callable[..., str],
                                            eid_issuer: TestIssuer) -> None:
    claims = verify(eid_mint(HUNG, nonce="n-1"), eid_issuer, nonce="n-1", min_acr="LoA2")
    assert claims["acr"] == "LoA2"
    assert claims["sub"] == eid_issuer.subject(HUNG, AUD)
    assert HUNG not in claims["sub"]  # pairwise, never the ID number


def test_acr_follows_the_account_level(eid_mint: Callable[..., str],
                                       eid_issuer: TestIssuer) -> None:
    assert verify(eid_mint(KHANG), eid_issuer)["acr"] == "LoA1"


def test_any_claim_can_be_overridden(eid_mint: Callable[..., str],
                                     eid_issuer: TestIssuer) -> None:
    claims = verify(eid_mint(HUNG, amr=["pwd", "otp"], custom="x"), eid_issuer)
    assert claims["amr"] == ["pwd", "otp"]
    assert claims["custom"] == "x"


@pytest.mark.parametrize("name", sorted(TOKEN_FAULTS))
def test_every_fault_is_rejected_with_its_code(name: str, eid_mint: Callable[..., str],
                                               eid_issuer: TestIssuer) -> None:
    token = eid_mint(HUNG, nonce="n-1", fault=name)
    with pytest.raises(TokenError) as err:
        verify(token, eid_issuer, nonce="n-1", min_acr="LoA2")
    assert err.value.code == TOKEN_FAULTS[name].expected_code


def test_unknown_fault_names_the_known_ones(eid_mint: Callable[..., str]) -> None:
    with pytest.raises(ConfigurationError) as err:
        eid_mint(HUNG, fault="cosmic_ray")
    assert "expired" in str(err.value)


def test_unknown_persona(eid_mint: Callable[..., str]) -> None:
    with pytest.raises(NotFoundError):
        eid_mint("079999999999")


def test_tokens_minted_under_freezegun_carry_the_frozen_time(
        eid_mint: Callable[..., str], eid_issuer: TestIssuer) -> None:
    with freeze_time("2026-03-01 08:00:00"):
        token = eid_mint(HUNG)
        claims = verify(token, eid_issuer)
    assert claims["iat"] == 1772352000
    with pytest.raises(TokenError) as err:
        verify(token, eid_issuer)  # real time is long after exp
    assert err.value.code == "expired"


def test_userinfo_releases_only_the_granted_scopes(eid_issuer: TestIssuer) -> None:
    info = eid_issuer.userinfo(HUNG, ["openid", "profile"], audience=AUD)
    assert info["name"] == "Nguyễn Văn Hùng"
    assert "vn_id_number" not in info
    assert eid_issuer.userinfo(HUNG, ["openid", "id_number"], audience=AUD)[
        "vn_id_number"] == HUNG


def test_logout_tokens(eid_issuer: TestIssuer) -> None:
    token = eid_issuer.logout_token(audience=AUD, sid="s-1")
    assert verify_logout_token(token, issuer=eid_issuer.issuer, audience=AUD,
                               jwks=eid_issuer.key_set())["sid"] == "s-1"


def test_rotation_mid_test_is_found_by_a_remote_key_source(
        eid_jwks_server: JwksServer, eid_issuer: TestIssuer, eid_mint: Callable[..., str]) -> None:
    source = RemoteKeySource(eid_jwks_server.url, min_refresh_interval=0)
    verify(eid_mint(HUNG), eid_issuer, jwks=source)
    eid_issuer.rotate(keep_old=False)
    verify(eid_mint(HUNG), eid_issuer, jwks=source)  # unknown kid -> one refetch
    assert eid_jwks_server.requests.count("/jwks") == 2


def test_failing_jwks_is_a_key_source_error(eid_jwks_server: JwksServer,
                                            eid_issuer: TestIssuer,
                                            eid_mint: Callable[..., str]) -> None:
    eid_jwks_server.fail(503)
    with pytest.raises(KeySourceError) as err:
        verify(eid_mint(HUNG), eid_issuer, jwks=RemoteKeySource(eid_jwks_server.url))
    assert err.value.code == "fetch_failed"
    eid_jwks_server.heal()
    verify(eid_mint(HUNG), eid_issuer, jwks=RemoteKeySource(eid_jwks_server.url))


def test_slow_jwks_trips_the_read_timeout(eid_jwks_server: JwksServer,
                                          eid_issuer: TestIssuer,
                                          eid_mint: Callable[..., str]) -> None:
    eid_jwks_server.slow(0.5)
    with pytest.raises(KeySourceError):
        verify(eid_mint(HUNG), eid_issuer,
               jwks=RemoteKeySource(eid_jwks_server.url, read_timeout=0.1))


def test_token_mint_command(capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from eid.cli import main
    from eid.verify import KeySet

    assert main(["token", "mint", "--persona", HUNG, "--aud", "portal-x", "--nonce", "n",
                 "--claim", "custom=1", "--claim", 'tags=["a"]', "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    claims = verify_id_token(out["id_token"], issuer=out["issuer"], audience="portal-x",
                             jwks=KeySet.from_jwks(out["jwks"]), nonce="n")
    assert (claims["custom"], claims["tags"], claims["acr"]) == (1, ["a"], "LoA2")


def test_token_mint_plain_output_is_token_then_jwks(capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from eid.cli import main

    assert main(["token", "mint", "--aud", "x", "--fault", "expired"]) == 0
    token, jwks = capsys.readouterr().out.splitlines()
    assert token.count(".") == 2
    assert json.loads(jwks)["keys"]


@pytest.mark.parametrize(("argv", "code"), [
    (["token", "mint", "--aud", "x", "--fault", "cosmic_ray"], 2),
    (["token", "mint"], 2),
    (["token", "mint", "--list-faults"], 0),
    (["token", "mint", "--aud", "x", "--persona", "079999999999"], 1),
    (["token", "mint", "--aud", "x", "--persona", "12"], 3),
])
def test_token_mint_exit_codes(argv: list[str], code: int) -> None:
    from eid.cli import main

    assert main(argv) == code
