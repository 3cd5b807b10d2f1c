"""Small generated images for the demo data, the benchmarks and the tests: PNG written with
zlib + struct (no imaging library), deterministic per seed, and different per seed (so the
file store, which keeps one copy per content, stores each one).

    portrait_png(seed) -> bytes        # a pas foto: a head and shoulders on a red or blue ground
    scan_png(seed) -> bytes            # a scanned page: grey lines of "text" on paper
    noise_png(size_bytes, seed) -> bytes   # incompressible pixels: a photo upload of about that size
    photo_png(seed, size_bytes, document=False) -> bytes
                                       # a camera photo of about that size: a pas foto or a document
                                       # page, with sensor grain (so it compresses as a photo does)
"""
from __future__ import annotations

import random
import struct
import zlib
from typing import Callable

Pixel = tuple[int, int, int]

RED_GROUND = (196, 30, 36)
BLUE_GROUND = (24, 86, 170)
PAPER = (246, 244, 236)


def png(width: int, height: int, pixel: Callable[[int, int], Pixel]) -> bytes:
    """An 8-bit RGB PNG whose colour at (x, y) is `pixel(x, y)`."""
    rows = b"".join(b"\x00" + bytes(c for x in range(width) for c in pixel(x, y)) for y in range(height))
    return png_from_rows(width, height, rows)


def png_from_rows(width: int, height: int, rows: bytes) -> bytes:
    """A PNG from raw scanlines (each a filter byte 0 and width × RGB bytes)."""
    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 9))
            + chunk(b"IEND", b""))


def portrait_png(seed: int, *, red: bool = True, width: int = 60, height: int = 80) -> bytes:
    """A 2×3 pas foto (head, hair, shoulders) in colours that vary with the seed."""
    rng = random.Random(seed)
    ground = RED_GROUND if red else BLUE_GROUND
    skin = (rng.randint(150, 215), rng.randint(110, 160), rng.randint(80, 120))
    hair = (rng.randint(10, 40),) * 3
    shirt = (rng.randint(200, 255), rng.randint(200, 255), rng.randint(200, 255))
    cx, cy, rx, ry = width / 2, height * 0.42, width * 0.2, height * 0.2

    def pixel(x: int, y: int) -> Pixel:
        head = ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2
        if head <= 1:
            return hair if y < cy - ry * 0.45 else skin
        if y > height * 0.72 and ((x - cx) / (width * 0.45)) ** 2 + ((y - height) / (height * 0.3)) ** 2 <= 1:
            return shirt
        return ground

    return png(width, height, pixel)


def scan_png(seed: int, *, width: int = 100, height: int = 140) -> bytes:
    """A page as a scanner sees it: a title bar, lines of text of varying length, a stamp."""
    rng = random.Random(seed)
    lines = {y: rng.randint(int(width * 0.45), width - 12) for y in range(30, height - 30, 7)}
    stamp = (rng.randint(width // 2, width - 30), height - 26)

    def pixel(x: int, y: int) -> Pixel:
        if 10 <= y < 16 and 20 <= x < width - 20:
            return (60, 60, 60)
        row = max((r for r in lines if r <= y), default=None)
        if row is not None and y - row < 2 and 10 <= x < lines[row]:
            return (120, 120, 120)
        if (x - stamp[0]) ** 2 + (y - stamp[1]) ** 2 <= 100:
            return (70, 90, 170)
        return PAPER

    return png(width, height, pixel)


def noise_png(size_bytes: int = 50_000, seed: int = 0) -> bytes:
    """A PNG of random pixels, close to `size_bytes` long (random bytes do not compress)."""
    rng = random.Random(seed)
    side = max(8, int((size_bytes / 3) ** 0.5))
    rows = b"".join(b"\x00" + rng.randbytes(side * 3) for _ in range(side))
    return png_from_rows(side, side, rows)


GRAIN_BITS = 4          # random low bits per colour byte: sensor noise that deflate cannot squeeze


def _portrait_rows(rng: random.Random, width: int, height: int) -> bytes:
    ground = bytes(RED_GROUND if rng.random() < 0.5 else BLUE_GROUND)
    skin = bytes((rng.randint(150, 215), rng.randint(110, 160), rng.randint(80, 120)))
    hair = bytes((rng.randint(10, 40),) * 3)
    shirt = bytes((rng.randint(200, 255), rng.randint(200, 255), rng.randint(200, 255)))
    cx = width * rng.uniform(0.46, 0.54)
    cy, rx, ry = height * rng.uniform(0.38, 0.45), width * rng.uniform(0.17, 0.23), height * rng.uniform(0.17, 0.22)
    sx, sy = width * rng.uniform(0.4, 0.5), height * 0.3
    rows = []
    for y in range(height):
        row = bytearray(ground * width)
        if y > height * 0.72 and abs(y - height) <= sy:
            half = sx * (1 - ((y - height) / sy) ** 2) ** 0.5
            left, right = max(0, int(cx - half)), min(width, int(cx + half) + 1)
            row[3 * left:3 * right] = shirt * (right - left)
        if abs(y - cy) <= ry:
            half = rx * (1 - ((y - cy) / ry) ** 2) ** 0.5
            left, right = max(0, int(cx - half)), min(width, int(cx + half) + 1)
            row[3 * left:3 * right] = (hair if y < cy - ry * 0.45 else skin) * (right - left)
        rows.append(b"\x00" + bytes(row))
    return b"".join(rows)


def _document_rows(rng: random.Random, width: int, height: int) -> bytes:
    paper, ink, grey, blue = bytes(PAPER), bytes((60, 60, 60)), bytes((120, 120, 120)), bytes((70, 90, 170))
    margin, pitch = max(2, width // 10), max(3, height // 28)
    lines = {y: rng.randint(int(width * 0.45), width - margin) for y in range(height // 5, height - height // 6, pitch)}
    stamp_x, stamp_y, stamp_r = rng.randint(width // 2, width - width // 4), height - height // 7, max(2, width // 16)
    rows = []
    for y in range(height):
        row = bytearray(paper * width)
        if height // 14 <= y < height // 14 + max(1, pitch // 2):
            row[3 * (2 * margin):3 * (width - 2 * margin)] = ink * (width - 4 * margin)
        top = max((r for r in lines if r <= y), default=None)
        if top is not None and y - top < max(1, pitch // 3):
            row[3 * margin:3 * lines[top]] = grey * (lines[top] - margin)
        if abs(y - stamp_y) <= stamp_r:
            half = int((stamp_r ** 2 - (y - stamp_y) ** 2) ** 0.5)
            left, right = max(0, stamp_x - half), min(width, stamp_x + half + 1)
            row[3 * left:3 * right] = blue * (right - left)
        rows.append(b"\x00" + bytes(row))
    return b"".join(rows)


def _grained_png(seed: int, width: int, height: int, document: bool) -> bytes:
    rng = random.Random(seed)
    base = (_document_rows if document else _portrait_rows)(rng, width, height)
    low = (1 << GRAIN_BITS) - 1
    keep = int.from_bytes((b"\x00" + bytes([0xFF ^ low]) * (3 * width)) * height, "big")
    grain = int.from_bytes((b"\x00" + bytes([low]) * (3 * width)) * height, "big")
    raw = (int.from_bytes(base, "big") & keep) | (int.from_bytes(rng.randbytes(len(base)), "big") & grain)
    return png_from_rows(width, height, raw.to_bytes(len(base), "big"))


def photo_png(seed: int, size_bytes: int = 200_000, *, document: bool = False) -> bytes:
    """A camera photo of about `size_bytes` (within a few per cent): a pas foto 2×3 (head,
    hair and shoulders on a red or blue ground) or a document page held to the camera, with
    sensor grain. Deterministic per seed, and different per seed (pose, colours, grain)."""
    aspect = 1.414 if document else 1.5                   # height / width
    target = max(2_000, int(size_bytes))
    per_pixel = _BYTES_PER_PIXEL.get(document)
    if per_pixel is None:                                 # measured once: the size grows with the area
        probe = _grained_png(seed, 200, int(200 * aspect), document)
        per_pixel = _BYTES_PER_PIXEL[document] = len(probe) / (200 * int(200 * aspect))
    width = max(16, int((target / per_pixel / aspect) ** 0.5))
    return _grained_png(seed, width, int(width * aspect), document)


_BYTES_PER_PIXEL: dict[bool, float] = {}
