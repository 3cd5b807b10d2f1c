"""A contactless card behind a PC/SC contactless reader, for vsmartcard's vpcd: the ATR a PC/SC
reader builds for an ISO 14443-4 card (3B 8n 80 01 ...), and GET DATA (FF CA 00 00 00) answered
with the card's UID and 90 00 as such a reader does. Everything else goes to vicc's ISO 7816 card.

Run with PYTHONPATH=/usr/lib/python3/site-packages/virtualsmartcard (Debian's vsmartcard)."""
from __future__ import annotations

import argparse
import logging

from virtualsmartcard.VirtualSmartcard import VirtualICC


def contactless_atr(historical: bytes) -> bytes:
    body = bytes([0x80 | len(historical), 0x80, 0x01]) + historical
    tck = 0
    for byte in body:
        tck ^= byte
    return b"\x3b" + body + bytes([tck])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=35963)
    parser.add_argument("--uid", required=True, help="hex")
    args = parser.parse_args()
    uid = bytes.fromhex(args.uid)
    icc = VirtualICC(None, "iso7816", "localhost", args.port, logginglevel=logging.ERROR)
    iso_execute = icc.os.execute
    atr = contactless_atr(b"KTP-el")

    def execute(msg: bytes) -> bytes:
        if msg[:2] == b"\xff\xca":
            return uid + b"\x90\x00"
        return iso_execute(msg)

    icc.os.execute = execute
    icc.os.getATR = lambda: atr
    icc.run()


if __name__ == "__main__":
    main()
