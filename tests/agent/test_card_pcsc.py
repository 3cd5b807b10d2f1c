"""The card reader through a real pcscd with vsmartcard's virtual reader (vpcd) and virtual cards
(vicc): notifications on insert and remove, card.read with ATR and (for a contactless card) the
UID by GET DATA, and pcscd going away and coming back."""
from __future__ import annotations

import pytest

from tests.agent import stacks
from tests.agent.client import RpcFailure
from tests.agent.conftest import answers_info

pytestmark = pytest.mark.hardware

READER, CONTACTLESS_READER = stacks.READERS
KTP_UID = "04A1B2C3D4E5F6"


@pytest.fixture(scope="module")
def card_agent(pcscd, start_agent):
    agent = start_agent("--reader-filter", "Virtual PCD")
    return agent


def card_device(client) -> dict:
    return next(d for d in client.call("devices.list") if d["kind"] == "card")


def wait_card_state(client, state: str) -> dict:
    current = card_device(client)
    if current["state"] == state:
        return current
    return client.notification("device.changed", lambda d: d["kind"] == "card" and d["state"] == state)


def test_inserting_and_removing_a_card_notifies_and_card_read_gives_the_atr(card_agent, connect, tmp_path):
    client = connect(card_agent)
    wait_card_state(client, "ready")
    card = stacks.VirtualCard(tmp_path, slot=0).insert()
    try:
        inserted = client.notification("card.inserted", lambda p: p["reader"] == READER)
        assert inserted["atr"] == stacks.VirtualCard.ISO_ATR
        read = client.call("card.read", {"reader": READER})
        assert read["reader"] == READER
        assert read["atr"] == stacks.VirtualCard.ISO_ATR
        assert read["uid"] is None                 # a contact card: no GET DATA sent (auto)
        assert read["at"].endswith("Z")
        reader_info = {r["name"]: r["card"] for r in card_device(client)["readers"]}
        assert reader_info[READER] is True
    finally:
        card.remove()
    assert client.notification("card.removed", lambda p: p["reader"] == READER) == {"reader": READER}
    with pytest.raises(RpcFailure) as no_card:
        client.call("card.read", {"reader": READER})
    assert (no_card.value.code, no_card.value.data["reason"]) == (4003, "no card in the reader")
    assert card_device(client)["state"] == "ready"   # no card is not a broken reader


def test_a_contactless_card_gives_its_uid_through_get_data(card_agent, connect, tmp_path):
    client = connect(card_agent)
    card = stacks.VirtualCard(tmp_path, slot=1, contactless_uid=KTP_UID).insert()
    try:
        inserted = client.notification("card.inserted", lambda p: p["reader"] == CONTACTLESS_READER)
        assert inserted["atr"].startswith("3B8")
        read = client.call("card.read")            # no reader named: the one with a card
        assert (read["reader"], read["uid"]) == (CONTACTLESS_READER, KTP_UID)
    finally:
        card.remove()
    client.notification("card.removed", lambda p: p["reader"] == CONTACTLESS_READER)


def test_an_unknown_reader_is_invalid_params(card_agent, connect):
    with pytest.raises(RpcFailure) as unknown:
        connect(card_agent).call("card.read", {"reader": "Nope 00 00"})
    assert unknown.value.code == -32602


def test_pcscd_stopping_makes_the_reader_not_ready_and_it_recovers(card_agent, pcscd, connect, ticket, tmp_path):
    client = connect(card_agent)
    card = stacks.VirtualCard(tmp_path, slot=0).insert()
    client.notification("card.inserted", lambda p: p["reader"] == READER)
    pcscd.stop()                                   # the service goes away with a card in
    try:
        gone = wait_card_state(client, "not_ready")
        assert "pcscd" in gone["reason"]
        assert client.notification("card.removed", lambda p: p["reader"] == READER)
        with pytest.raises(RpcFailure) as down:
            client.call("card.read")
        assert down.value.code == 4003 and "pcscd" in down.value.data["reason"]
        answers_info(card_agent, ticket)
    finally:
        card.remove()                              # vicc lost its reader; start a new one
        pcscd.start()
    wait_card_state(client, "ready")
    card = stacks.VirtualCard(tmp_path, slot=0).insert()
    try:
        client.notification("card.inserted", lambda p: p["reader"] == READER)
        assert client.call("card.read", {"reader": READER})["atr"] == stacks.VirtualCard.ISO_ATR
    finally:
        card.remove()
    answers_info(card_agent, ticket)
