""""Ai đã xem dữ liệu của tôi" / "Who accessed my data": the signed-in citizen's own
data-access log, paged, filtered, labelled, and downloadable with proofs (issue 14)."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from eid.audit import canonical_bytes
from eid.storage.records import AccessEntry, StoredCheckpoint
from service.provider import Provider
from service.views.accessed import PAGE_SIZE
from tests.service.flow import HCM, LOA1, LOA2, NATIONAL, Flow, csrf_of

ME, OTHER = LOA2[0], LOA1[0]
#: 2025-12-01 00:00 UTC: 07:00 the same day in Vietnam (UTC+7).
T0 = 1764547200
_INDEX = re.compile(r'data-index="(\d+)"')


def _p(flow: Flow) -> Provider:
    value: Provider = flow.app.extensions["eid"]
    return value


def _entry(citizen: str, client_id: str = HCM.client_id, *, at: int = T0,
           action: str = "userinfo", procedure: str | None = None,
           attributes: tuple[str, ...] = ("birthdate", "name", "sub"),
           organisation: str | None = None, flow: Flow) -> AccessEntry:
    client = _p(flow).clients.get(client_id)
    assert client is not None
    return AccessEntry(
        time=at, citizen=citizen, client_id=client_id,
        organisation=organisation or client.name["vi"], action=action, procedure=procedure,
        purpose=None if procedure else client.purpose["vi"], attributes=attributes,
        basis="consent:openid profile", trace_id="0" * 31 + "1")


def _append(flow: Flow, *entries: AccessEntry) -> list[int]:
    return [_p(flow).durable.append_access(e) for e in entries]


def _sign_in(flow: Flow, who: tuple[str, str] = LOA2) -> None:
    r = flow.submit_login(*who, None)
    assert r.status_code == 302, r.get_data(as_text=True)


def _page(flow: Flow, **query: str) -> str:
    r = flow.browser.get("/my-data/access", query_string=query)
    assert r.status_code == 200, r.get_data(as_text=True)
    return r.get_data(as_text=True)


def _shown(html: str) -> list[int]:
    return [int(i) for i in _INDEX.findall(html)]


def test_signed_out_the_page_sends_to_the_login_screen(flow: Flow) -> None:
    for path in ("/my-data/access", "/my-data/access.json"):
        r = flow.browser.get(path)
        assert r.status_code == 302 and "/login" in r.location


def test_newest_first_a_page_at_a_time(flow: Flow) -> None:
    mine = _append(flow, *[_entry(ME, at=T0 + i, flow=flow) for i in range(PAGE_SIZE + 5)])
    _sign_in(flow)
    first = _page(flow)
    assert _shown(first) == mine[::-1][:PAGE_SIZE]
    older = re.search(r'id="older" href="([^"]+)"', first)
    assert older is not None
    second = flow.browser.get(older.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert _shown(second) == mine[::-1][PAGE_SIZE:]
    assert 'id="older"' not in second and 'id="newest"' in second


def test_the_filter_keeps_one_portals_entries(flow: Flow) -> None:
    hcm = _append(flow, _entry(ME, flow=flow), _entry(ME, flow=flow))
    national = _append(flow, _entry(ME, NATIONAL.client_id, flow=flow))
    _sign_in(flow)
    assert _shown(_page(flow, portal=NATIONAL.client_id)) == national
    assert _shown(_page(flow, portal=HCM.client_id)) == hcm[::-1]
    assert _shown(_page(flow)) == (hcm + national)[::-1]


@pytest.mark.parametrize("query", [
    {},
    {"before": "{other_next}"},
    {"portal": NATIONAL.client_id},
    {"before": "{other_next}", "portal": NATIONAL.client_id},
    {"citizen": OTHER}, {"id_number": OTHER}, {"sub": OTHER},
])
def test_another_citizens_entries_are_never_shown(flow: Flow, query: dict[str, str]) -> None:
    mine = _append(flow, _entry(ME, flow=flow), _entry(ME, NATIONAL.client_id, flow=flow))
    theirs = _append(flow, _entry(OTHER, NATIONAL.client_id, flow=flow),
                     _entry(OTHER, flow=flow))
    _sign_in(flow)
    html = _page(flow, **{k: v.format(other_next=max(theirs) + 1) for k, v in query.items()})
    shown = _shown(html)
    assert shown  # the page lists something, so the check below means something
    assert set(shown) <= set(mine)
    body = json.loads(flow.browser.get("/my-data/access.json").get_data(as_text=True))
    assert {e["index"] for e in body["entries"]} == set(mine)
    assert all(json.loads(e["entry"])["citizen"] == ME for e in body["entries"])


@pytest.mark.parametrize(("query", "why"), [
    ("before=abc", "not a number"),
    ("before=-1", "negative"),
    ("before=%D9%A1%D9%A2", "Arabic-Indic digits"),
    ("before=1&before=2", "repeated"),
    ("before=" + "9" * 19, "beyond a 64-bit index"),
    ("portal=no-such-portal", "unknown portal"),
    ("portal=a%00b", "control character"),
    ("portal=" + "p" * 129, "too long"),
])
def test_malformed_parameters_are_refused(flow: Flow, query: str, why: str) -> None:
    _sign_in(flow)
    r = flow.browser.get("/my-data/access?" + query)
    assert r.status_code == 400, why
    assert '<code id="error-code">invalid_request</code>' in r.get_data(as_text=True)


def test_an_entry_says_when_who_for_what_in_vietnamese(flow: Flow) -> None:
    _append(flow, _entry(ME, procedure="ct01", flow=flow),
            _entry(ME, NATIONAL.client_id, at=T0 + 3600, flow=flow))
    _sign_in(flow)
    html = _page(flow)
    assert "Ai đã xem dữ liệu của tôi" in html
    assert "07:00, 01/12/2025" in html and "08:00, 01/12/2025" in html  # Vietnam's time
    assert "Cổng Dịch vụ công Thành phố Hồ Chí Minh (demo)" in html
    assert "Thủ tục: Đăng ký thay đổi thông tin cư trú (CT01)" in html
    assert "Mục đích: Xác thực công dân và tra cứu hồ sơ thủ tục hành chính." in html
    entries = html[html.index('id="access-log"'):]
    for label in ("Họ, chữ đệm và tên khai sinh", "Ngày, tháng, năm sinh",
                  "Mã định danh của bạn tại cổng này"):
        assert label in entries
    for raw in ("birthdate", ">name<", ">sub<"):  # catalogue labels, never claim names
        assert raw not in entries


def test_the_english_switch(flow: Flow) -> None:
    _append(flow, _entry(ME, procedure="ct01", flow=flow))
    _sign_in(flow)
    html = _page(flow, lang="en")
    assert "Who accessed my data" in html
    assert "1 December 2025, 07:00" in html
    assert "Ho Chi Minh City Public Service Portal (demo)" in html
    assert "Procedure: Residence information change (CT01)" in html
    assert "Full birth name" in html and "Date of birth" in html


def test_a_portal_renamed_since_shows_the_name_it_had(flow: Flow) -> None:
    _append(flow, _entry(ME, organisation="Cổng cũ của Thành phố", flow=flow))
    _sign_in(flow)
    assert "Cổng cũ của Thành phố" in _page(flow, lang="en")


def test_a_revocation_is_in_the_same_timeline(flow: Flow) -> None:
    auth = flow.request(scope="openid profile")
    flow.authorize(auth)
    token = flow.redeem(auth).json["access_token"]  # type: ignore[index]
    assert flow.api.get("/userinfo", headers={"Authorization": f"Bearer {token}"}).status_code \
        == 200
    html = flow.browser.get("/my-data").get_data(as_text=True)
    assert 'id="access-link"' in html
    flow.browser.post("/my-data/revoke", data={"csrf_token": csrf_of(html),
                                               "client_id": HCM.client_id})
    page = _page(flow)
    assert re.findall(r'data-action="(\w+)"', page) == ["revocation", "userinfo"]
    assert "Bạn đã thu hồi sự đồng ý chia sẻ thông tin với cổng này" in page


def test_the_navigation_links_to_the_page(flow: Flow) -> None:
    _sign_in(flow)
    html = flow.browser.get("/my-data").get_data(as_text=True)
    assert 'href="/my-data/access"' in html


# --- the download: an independent RFC 9162 implementation, not the code under test ------

def _leaf(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()  # RFC 9162 §2.1.1


def _mth(leaves: list[bytes]) -> bytes:
    if len(leaves) == 1:
        return leaves[0]
    k = 1 << ((len(leaves) - 1).bit_length() - 1)  # largest power of two below n
    return hashlib.sha256(b"\x01" + _mth(leaves[:k]) + _mth(leaves[k:])).digest()


def _root_from(leaf: bytes, index: int, size: int, path: list[bytes]) -> bytes:
    """RFC 9162 §2.1.3.2, step by step."""
    fn, sn, r = index, size - 1, leaf
    for p in path:
        assert sn != 0
        if fn & 1 or fn == sn:
            r = hashlib.sha256(b"\x01" + p + r).digest()
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = hashlib.sha256(b"\x01" + r + p).digest()
        fn, sn = fn >> 1, sn >> 1
    assert sn == 0
    return r


def _verify_note(note: str, verifier_key: str, size: int, root: bytes) -> None:
    """C2SP tlog-checkpoint in a signed note, checked from the two specs, not eid.audit."""
    text, _, signatures = note.partition("\n\n")
    origin, tree_size, root_b64 = text.split("\n")
    assert (int(tree_size), base64.b64decode(root_b64)) == (size, root)
    name, key_id, key = verifier_key.split("+", 2)
    assert name == origin
    raw_key = base64.b64decode(key)
    assert raw_key[0] == 1  # Ed25519
    line = next(ln for ln in signatures.splitlines() if ln.startswith(f"\u2014 {name} "))
    signature = base64.b64decode(line.rsplit(" ", 1)[1])
    assert signature[:4].hex() == key_id
    Ed25519PublicKey.from_public_bytes(raw_key[1:]).verify(signature[4:],
                                                           (text + "\n").encode())


def test_the_download_proves_each_entry_against_a_signed_checkpoint(flow: Flow) -> None:
    p = _p(flow)
    entries = [_entry(ME if i % 3 else OTHER, at=T0 + i, flow=flow) for i in range(11)]
    _append(flow, *entries)
    # An older checkpoint covers only the first nine: the download signs one covering all.
    assert p.durable.save_checkpoint(StoredCheckpoint(9, b"\x00" * 32, "old\n", T0 + 9))
    _sign_in(flow)
    r = flow.browser.get("/my-data/access.json")
    assert r.status_code == 200 and r.mimetype == "application/json"
    assert "attachment" in r.headers["Content-Disposition"]
    assert r.headers["Cache-Control"] == "no-store"
    body: dict[str, Any] = json.loads(r.get_data(as_text=True))
    size = body["checkpoint"]["tree_size"]
    assert size == 11
    root = _mth([_leaf(canonical_bytes(e)) for e in entries])
    assert base64.b64decode(body["checkpoint"]["root_hash"]) == root
    _verify_note(body["checkpoint"]["note"], body["checkpoint"]["verifier_key"], size, root)
    assert [e["index"] for e in body["entries"]] == [i for i in range(10, -1, -1) if i % 3]
    for item in body["entries"]:
        data = item["entry"].encode("utf-8")
        assert json.loads(data)["citizen"] == ME
        assert base64.b64decode(item["leaf_hash"]) == _leaf(data)
        path = [base64.b64decode(h) for h in item["inclusion_proof"]]
        assert _root_from(_leaf(data), item["index"], size, path) == root


def test_a_changed_entry_no_longer_proves(flow: Flow) -> None:
    # The independent check above would accept anything if the proof did not bind the
    # entry: a changed attribute list must lead elsewhere.
    _append(flow, *[_entry(ME, at=T0 + i, flow=flow) for i in range(5)])
    _sign_in(flow)
    body = json.loads(flow.browser.get("/my-data/access.json").get_data(as_text=True))
    item = body["entries"][0]
    root = base64.b64decode(body["checkpoint"]["root_hash"])
    path = [base64.b64decode(h) for h in item["inclusion_proof"]]
    assert _root_from(_leaf(item["entry"].encode()), item["index"], 5, path) == root
    changed = item["entry"].replace('"birthdate",', "").encode()
    assert _root_from(_leaf(changed), item["index"], 5, path) != root


def test_without_entries_the_download_is_empty(flow: Flow) -> None:
    _append(flow, _entry(OTHER, flow=flow))
    _sign_in(flow)
    body = json.loads(flow.browser.get("/my-data/access.json").get_data(as_text=True))
    assert (body["checkpoint"], body["entries"]) == (None, [])
