"""Draw the favicons of the login service, the demo portal and the receiving office (16 and
32 px, in one ICO each).

A five-pointed star on a rounded square: gold on the service's red, white on the portal's
blue, amber on the office's dark blue. Deterministic, so running it again changes nothing:

    .venv/bin/python tools/make_favicons.py
"""

from __future__ import annotations

import math
import struct
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
Colour = tuple[int, int, int]
SERVICE = ROOT / "service"
ICONS: dict[Path, tuple[Colour, Colour]] = {
    SERVICE / "static" / "favicon.ico": ((0xB3, 0x26, 0x1E), (0xFF, 0xE0, 0x82)),
    SERVICE / "portal" / "static" / "favicon.ico": ((0x15, 0x65, 0xC0), (0xFF, 0xFF, 0xFF)),
    SERVICE / "office" / "static" / "favicon.ico": ((0x0D, 0x47, 0xA1), (0xFF, 0xBF, 0x00)),
}
_SAMPLES = 4  # per axis: 16 samples a pixel, for smooth edges


def _star(size: int) -> list[tuple[float, float]]:
    outer, inner, cx, cy = size * 0.42, size * 0.17, size / 2, size * 0.53
    return [(cx + r * math.sin(math.pi * k / 5), cy - r * math.cos(math.pi * k / 5))
            for k, r in ((k, outer if k % 2 == 0 else inner) for k in range(10))]


def _inside(x: float, y: float, poly: list[tuple[float, float]]) -> bool:
    hit = False
    for (x1, y1), (x2, y2) in zip(poly, poly[1:] + poly[:1], strict=True):
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            hit = not hit
    return hit


def _in_square(x: float, y: float, size: int) -> bool:
    r = size * 0.2  # corner radius
    dx, dy = max(r - x, 0.0, x - (size - r)), max(r - y, 0.0, y - (size - r))
    return dx * dx + dy * dy <= r * r


def _pixels(size: int, back: Colour, fore: Colour) -> bytes:
    star, rows = _star(size), bytearray()
    for py in range(size):
        rows.append(0)  # PNG filter: none
        for px in range(size):
            pts = [(px + (i + 0.5) / _SAMPLES, py + (j + 0.5) / _SAMPLES)
                   for i in range(_SAMPLES) for j in range(_SAMPLES)]
            square = [p for p in pts if _in_square(*p, size)]
            lit = sum(_inside(*p, star) for p in square)
            alpha = round(255 * len(square) / len(pts))
            mix = lit / len(square) if square else 0.0
            rows += bytes(round(b + (f - b) * mix) for b, f in zip(back, fore, strict=True))
            rows.append(alpha)
    return bytes(rows)


def _png(size: int, back: Colour, fore: Colour) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + \
            struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(_pixels(size, back, fore), 9)) + chunk(b"IEND", b""))


def ico(back: Colour, fore: Colour, sizes: tuple[int, ...] = (16, 32)) -> bytes:
    """An ICO file holding one PNG image per size (ICO with PNG payloads, Windows Vista+)."""
    images = [_png(s, back, fore) for s in sizes]
    offset = 6 + 16 * len(images)
    out = struct.pack("<HHH", 0, 1, len(images))
    for size, image in zip(sizes, images, strict=True):
        out += struct.pack("<BBBBHHII", size, size, 0, 0, 1, 32, len(image), offset)
        offset += len(image)
    return out + b"".join(images)


def main() -> None:
    for path, (back, fore) in ICONS.items():
        path.write_bytes(ico(back, fore))
        print(f"{path.relative_to(ROOT)}: {path.stat().st_size} bytes")


if __name__ == "__main__":
    main()
