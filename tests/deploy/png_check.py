#!/usr/bin/env python3
"""Checks that a PNG is a real, non-blank picture: the magic bytes, the expected size, more than
MIN_COLOURS distinct colours, and each EXPECT colour (hex RRGGBB, e.g. a CSS background) present
somewhere. Decodes the PNG with zlib alone (8-bit RGB or RGBA, no interlace: what Chromium writes).

Usage: png_check.py FILE WIDTH HEIGHT MIN_COLOURS [EXPECT ...]
Prints one line; exits 1 with the reason when a check fails, 2 on a bad command line."""

import struct
import sys
import zlib


def fail(message):
    print(f"png_check: {message}", file=sys.stderr)
    sys.exit(1)


def read_chunks(data):
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        fail(f"not a PNG (first bytes {data[:8]!r})")
    at, chunks = 8, []
    while at + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[at:at + 8])
        chunks.append((kind, data[at + 8:at + 8 + length]))
        at += 12 + length
        if kind == b"IEND":
            return chunks
    fail("truncated PNG (no IEND chunk)")


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else (b if pb <= pc else c)


def pixels(chunks):
    """Yields each row's bytes after undoing the PNG filters."""
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", chunks[0][1])
    if depth != 8 or colour not in (2, 6) or interlace != 0:
        fail(f"unsupported PNG (depth {depth}, colour type {colour}, interlace {interlace})")
    bpp = 3 if colour == 2 else 4
    raw = zlib.decompress(b"".join(body for kind, body in chunks if kind == b"IDAT"))
    stride = width * bpp
    previous = bytearray(stride)
    for y in range(height):
        kind, row = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for x in range(stride):
            a = row[x - bpp] if x >= bpp else 0
            b = previous[x]
            c = previous[x - bpp] if x >= bpp else 0
            row[x] = (row[x] + (0, a, b, (a + b) // 2, paeth(a, b, c))[kind]) & 0xFF
        yield width, bpp, row
        previous = row


def main():
    if len(sys.argv) < 5:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    path, width, height, min_colours = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    expected = {bytes.fromhex(colour) for colour in sys.argv[5:]}
    with open(path, "rb") as f:
        chunks = read_chunks(f.read())
    if chunks[0][0] != b"IHDR":
        fail("first chunk is not IHDR")
    size = struct.unpack(">II", chunks[0][1][:8])
    if size != (width, height):
        fail(f"size is {size[0]}x{size[1]}, expected {width}x{height}")
    colours = set()
    for w, bpp, row in pixels(chunks):
        colours.update(bytes(row[x:x + 3]) for x in range(0, w * bpp, bpp))
    if len(colours) <= min_colours:
        fail(f"only {len(colours)} distinct colours (blank page?), expected more than {min_colours}")
    missing = sorted(c.hex() for c in expected - colours)
    if missing:
        fail(f"colours {missing} do not appear (the page's CSS did not render?)")
    print(f"png_check: {path} is a {width}x{height} PNG with {len(colours)} distinct colours")


if __name__ == "__main__":
    main()
