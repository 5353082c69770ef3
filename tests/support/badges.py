"""Reading an Open Badge baked into a PNG straight from its bytes."""

from __future__ import annotations

import struct
import zlib


def png_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    """(type, payload) of every chunk, checking each CRC, read straight from the bytes."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, at = [], 8
    while at < len(data):
        (length,) = struct.unpack(">I", data[at:at + 4])
        kind, body = data[at + 4:at + 8], data[at + 8:at + 8 + length]
        (crc,) = struct.unpack(">I", data[at + 8 + length:at + 12 + length])
        assert crc == zlib.crc32(kind + body)
        chunks.append((kind, body))
        at += 12 + length
    return chunks


def baked_itxt(data: bytes) -> tuple[str, int, str]:
    """(keyword, compression flag, text) of the baked iTXt chunk."""
    (body,) = [b for k, b in png_chunks(data) if k == b"iTXt"]
    keyword, rest = body.split(b"\0", 1)
    compressed, _method = rest[0], rest[1]
    _lang, rest = rest[2:].split(b"\0", 1)
    _translated, text = rest.split(b"\0", 1)
    return keyword.decode("latin-1"), compressed, text.decode("utf-8")
