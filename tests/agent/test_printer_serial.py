"""The receipt printer on a serial line made by socat (a pty pair): what arrives on the far end
is byte for byte what python-escpos produces for the same receipt; a printer that vanishes
mid-call gives an error and a state with a reason, and printing works again once it is back."""
from __future__ import annotations

import pytest
from escpos.printer import Dummy

from agent.devices.receipt import Receipt, render
from tests.agent import stacks
from tests.agent.client import RpcFailure
from tests.agent.conftest import answers_info

pytestmark = pytest.mark.hardware

RECEIPT = {
    "title": "TANDA TERIMA", "office": "Disdukcapil Kabupaten Hulu Sungai Selatan",
    "number": "KP-BUS01-000123", "check_code": "8HNHMZ", "date": "01-12-2026 10:15 WITA",
    "name": "Siti Aminah binti Abdul Gafur", "nik_masked": "6306••••••••0001",
    "services": ["KIA baru", "Akta kelahiran"], "ready_date": "08-12-2026",
    "collect_at": "Kantor Disdukcapil, Jl. Aluh Idut, Kandangan",
    "qr": "KPTT:KP-BUS01-000123:8HNHMZ", "lines": ["Simpan tanda terima ini."], "copy": None,
}


def escpos_bytes(receipt: dict, paper: int) -> bytes:
    dummy = Dummy()
    render(dummy, Receipt.from_params(receipt), paper)
    return dummy.output


def printer_device(client) -> dict:
    return next(d for d in client.call("devices.list") if d["kind"] == "printer")


def wait_printer_state(client, state: str) -> dict:
    current = printer_device(client)
    if current["state"] == state:
        return current
    return client.notification("device.changed", lambda d: d["kind"] == "printer" and d["state"] == state)


@pytest.mark.parametrize("paper", [58, 80])
def test_the_receipt_arrives_on_the_line_byte_for_byte(serial_pair, start_agent, connect, paper):
    agent = start_agent("--printer", serial_pair.printer, "--paper", str(paper), "--baud", "9600")
    client = connect(agent)
    expected = escpos_bytes(RECEIPT, paper)
    with serial_pair.open_host() as host:
        printed = client.call("printer.print", {"receipt": RECEIPT})
        arrived = stacks.read_exactly(host, len(expected))
        assert host.read(64) == b""               # and nothing after it
    assert arrived == expected
    assert printed["bytes"] == len(expected)
    assert printed["seconds"] >= 0
    # What the bytes say, independently of the layout code:
    assert arrived.startswith(b"\x1b@")                          # ESC @ initialise
    assert b"\x1d(k" in arrived and b"KPTT:KP-BUS01-000123:8HNHMZ" in arrived   # native QR
    assert arrived.endswith(b"\x1dV\x00")                        # GS V cut
    assert b"6306********0001" in arrived and "••".encode() not in arrived
    assert client.call("printer.status") == {"state": "ready", "reason": None, "paper_width": paper}
    agent.stop()


def test_a_printer_port_that_is_not_there_is_not_ready_with_the_reason(start_agent, connect, tmp_path):
    agent = start_agent("--printer", str(tmp_path / "ttyUSB9"))
    client = connect(agent)
    status = client.call("printer.status")
    assert status["state"] == "not_ready" and "not found" in status["reason"]
    with pytest.raises(RpcFailure) as absent:
        client.call("printer.print", {"receipt": RECEIPT})
    assert absent.value.code == 4003 and absent.value.data["reason"]
    agent.stop()


def test_a_printer_unplugged_mid_call_errors_and_printing_recovers(serial_pair, start_agent, connect, ticket):
    agent = start_agent("--printer", serial_pair.printer)
    client = connect(agent)
    serial_pair.freeze()                           # the printer stops answering...
    call = client.send("printer.print", {"receipt": RECEIPT})
    wait_printer_state(client, "busy")
    serial_pair.unplug()                           # ...and its cable is pulled mid-call
    with pytest.raises(RpcFailure) as lost:
        client.result(call, timeout=30)
    assert lost.value.code in (4003, 4004) and lost.value.data["reason"]
    gone = wait_printer_state(client, "not_ready")
    assert "not found" in gone["reason"] or "unplugged" in gone["reason"]
    answers_info(agent, ticket)

    serial_pair.start()                            # plugged back in
    wait_printer_state(client, "ready")
    with serial_pair.open_host() as host:
        printed = client.call("printer.print", {"receipt": RECEIPT})
        assert stacks.read_exactly(host, printed["bytes"]) == escpos_bytes(RECEIPT, 58)
    agent.stop()


def test_a_second_print_while_one_runs_is_busy(start_agent, connect, tmp_path):
    agent = start_agent("--simulate", "--baud", "1200")   # a slow line: ~1 s a receipt
    first, second = connect(agent), connect(agent)
    call = first.send("printer.print", {"receipt": RECEIPT})
    first.notification("device.changed", lambda d: d["kind"] == "printer" and d["state"] == "busy")
    with pytest.raises(RpcFailure) as busy:
        second.call("printer.print", {"receipt": RECEIPT})
    assert busy.value.code == 4002
    assert second.call("printer.status")["state"] == "busy"
    assert first.result(call)["bytes"] > 0
    agent.stop()


def test_sigterm_stops_the_agent_even_with_a_printer_call_stuck(serial_pair, start_agent, connect):
    agent = start_agent("--printer", serial_pair.printer)
    client = connect(agent)
    serial_pair.freeze()
    client.send("printer.print", {"receipt": RECEIPT})
    wait_printer_state(client, "busy")
    assert agent.stop() == 0                       # SIGTERM, clean exit status, well within 10 s
    assert "Traceback" not in agent.log_text()
    serial_pair.unplug()
