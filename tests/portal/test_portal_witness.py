"""Witnessing on the portal: "witnessed by N of M peers" with names and when, the warning
on every page once a hub showed two histories (in every portal language), and
``/checkpoint`` serving the cosigned note as text."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask.testing import FlaskClient
from support import run_canopy

from crypto.cosignature import Cosigner, cosign
from crypto.note import Checkpoint, parse_note, sign_note
from hub.daemon import HubCore
from hub.local import DataDir, create_identity, load_identity, load_signing_key
from hub.witness import WitnessFiles, witness_key, witness_name
from hub.witness.core import Heard, Known
from hub.witness.heads import sign_head

PAGES = ["/", "/log", "/alerts", "/charter", "/hubs", "/verify", "/audits"]


@pytest.fixture
def corner(tmp_path: Path, data: Path) -> str:
    """Another hub, federated with the seeded one; returns its feed (hex)."""
    dd = DataDir(tmp_path / "corner")
    ident = create_identity(dd, "Corner")
    r = run_canopy("peer", "add", ident.verifier.to_string(), "--name", "Corner", data=data)
    assert r.code == 0, r.err
    return ident.feed.hex()


def _cosign_own(data: Path, witness_dir: Path, witness_feed: str, at: int) -> str:
    """The corner hub's cosignature of the seeded hub's current checkpoint, as the witness
    service keeps it; returns the cosigned note."""
    core = HubCore(DataDir(data))
    core.open()
    try:
        note = core.log.checkpoint()
    finally:
        core.close()
    cp = Checkpoint.parse(parse_note(note).text)
    wdd = DataDir(witness_dir)
    me = Cosigner(witness_name(load_identity(wdd)), witness_key(wdd).public)
    sig = cosign(cp.body(), me.name, witness_key(wdd), at)
    heard = Heard(
        load_identity(DataDir(data)).feed.hex(),
        Known(witness_feed, me),
        cp.size,
        cp.root,
        at,
        sig,
        cp.body(),
    )
    files = WitnessFiles(DataDir(data))
    files.keep(heard)
    files.set_own_note(note + heard.line())
    return note + heard.line()


def test_witnessed_by_n_of_m_with_names_and_when_and_the_cosigned_note(
    client: FlaskClient, data: Path, corner: str, tmp_path: Path
) -> None:
    html = client.get("/").get_data(as_text=True)
    assert "witnessed by 0 of 1 peers" in html
    cosigned = _cosign_own(data, tmp_path / "corner", corner, 1_767_225_600)
    html = client.get("/").get_data(as_text=True)
    assert "witnessed by 1 of 1 peers" in html and "Corner (" in html
    assert "2026-01-01 00:00 UTC" in html
    own = load_identity(DataDir(data)).feed.hex()
    page = client.get(f"/hubs/{own[:16]}").get_data(as_text=True)
    assert "Witnessed by 1 of 1 peers" in page and "Corner (" in page
    es = client.get(f"/hubs/{own[:16]}?lang=es").get_data(as_text=True)
    assert "Atestiguado por 1 de 1 hubs vecinos" in es
    r = client.get("/checkpoint")
    assert r.status_code == 200 and r.mimetype == "text/plain"
    assert r.get_data(as_text=True) == cosigned and "/witness " in cosigned


def test_a_split_view_warns_on_every_page_in_every_language(
    client: FlaskClient, data: Path, corner: str, tmp_path: Path
) -> None:
    """Only evidence that proves itself warns: two checkpoints the corner hub signed at one
    size with different roots; a peer's word alone does not."""
    for path in PAGES:
        assert "split view" not in client.get(path).get_data(as_text=True)
    cdd = DataDir(tmp_path / "corner")
    ident, key = load_identity(cdd), load_signing_key(cdd, load_identity(cdd))
    one, two = (
        sign_note(Checkpoint(ident.origin, 4, bytes([n]) * 32).body(), ident.origin, key)
        for n in (1, 2)
    )
    core = HubCore(DataDir(data))
    core.open()
    try:
        core.log.append(
            "split-view",
            {"feed": bytes.fromhex(corner), "a": b"one note", "b": b"another", "by": None},
        )
        core.close()
        for path in PAGES:
            assert 'role="alert"' not in client.get(path).get_data(as_text=True), path
        core.open()
        core.log.append(
            "split-view",
            {"feed": bytes.fromhex(corner), "a": one.encode(), "b": two.encode(), "by": None},
        )
    finally:
        core.close()
    for path in PAGES:
        html = client.get(path).get_data(as_text=True)
        assert "the hub Corner showed two different histories" in html, path
        es = client.get(path + "?lang=es").get_data(as_text=True)
        assert "el hub Corner mostró dos historias distintas" in es, path
    own = load_identity(DataDir(data)).feed.hex()
    page = client.get(f"/hubs/{own[:16]}").get_data(as_text=True)
    assert 'role="alert"' in page and "Corner showed two different histories" in page


def test_checkpoint_without_a_running_hub_says_so(client: FlaskClient) -> None:
    r = client.get("/checkpoint")
    assert r.status_code == 503 and b"no checkpoint available" in r.data


def test_a_rollback_and_a_key_change_warn_on_every_page_in_every_language(
    client: FlaskClient, data: Path, corner: str, tmp_path: Path
) -> None:
    """A peer's `rollback` entry about the corner hub and a key change of another hub
    (a `split-view` entry whose statements are radio announcements); then this hub's own
    rollback, which it keeps in a file (an entry would fork its history)."""
    other = create_identity(DataDir(tmp_path / "kiosk"), "Kiosk")
    r = run_canopy("peer", "add", other.verifier.to_string(), "--name", "Kiosk", data=data)
    assert r.code == 0, r.err
    for path in PAGES:
        assert 'role="alert"' not in client.get(path).get_data(as_text=True)
    cdd = DataDir(tmp_path / "corner")
    ident, key = load_identity(cdd), load_signing_key(cdd, load_identity(cdd))
    earlier = sign_head(key, ident.origin, 9, bytes(32), 1000).note().encode()
    later = sign_head(key, ident.origin, 4, bytes(32), 2000).note().encode()
    core = HubCore(DataDir(data))
    core.open()
    try:
        # a peer's word alone (heads that prove nothing) marks no hub
        for a, b in ((b"head 9", b"4"), (later, earlier), (earlier, earlier)):
            core.log.append("rollback", {"feed": bytes.fromhex(corner), "a": a, "b": b})
        core.close()
        for path in PAGES:
            assert 'role="alert"' not in client.get(path).get_data(as_text=True), path
        core.open()
        core.log.append("rollback", {"feed": bytes.fromhex(corner), "a": earlier, "b": later})
        said = b"radio !5eed0001 announced hub Kiosk with key " + other.feed.hex().encode()
        core.log.append(
            "split-view", {"feed": other.feed.raw, "a": said, "b": b"radio !5eed0001 x"}
        )
    finally:
        core.close()
    for path in PAGES:
        html = client.get(path).get_data(as_text=True)
        assert "the hub Corner went back to an older copy of its log" in html, path
        assert "the hub Kiosk is heard with another key" in html, path
        assert "showed two different histories" not in html, path
        es = client.get(path + "?lang=es").get_data(as_text=True)
        assert "el hub Corner volvió a una copia antigua" in es, path
        assert "el hub Kiosk se oye con otra clave" in es, path
    me = load_identity(DataDir(data)).name
    assert f"the hub {me} went back" not in client.get("/").get_data(as_text=True)
    WitnessFiles(DataDir(data)).set_rollback({"held": 3, "signed": 5, "root": "00", "since": 1})
    for path in PAGES:  # the cached pages key on the finding too
        html = client.get(path).get_data(as_text=True)
        assert f"the hub {me} went back to an older copy of its log" in html, path
