"""Small generated images for the demo data, the benchmarks and the tests: PNG written with
zlib + struct (no imaging library), deterministic per seed, and different per seed (so the
file store, which keeps one copy per content, stores each one).

    portrait_png(seed) -> bytes        # a pas foto: a head and shoulders on a red or blue ground
    scan_png(seed) -> bytes            # a scanned page: grey lines of "text" on paper
    noise_png(size_bytes, seed) -> bytes   # incompressible pixels: a photo upload of about that size
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
