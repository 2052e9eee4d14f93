"""Just enough CID and dag-pb parsing for the adapter: validate CID
arguments, find a block's multihash, and read the links of a dag-pb node.
Nothing here computes a CID: kubo does that."""
from __future__ import annotations

import base64

from localsvc.base58 import b58decode


class CIDError(ValueError):
    pass


def _b58decode(text: str) -> bytes:
    try:
        return b58decode(text)
    except ValueError as e:
        raise CIDError(str(e)) from None


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    value = 0
    for shift in range(0, 64, 7):
        if pos >= len(data):
            raise CIDError("truncated varint")
        b = data[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        if not b & 0x80:
            return value, pos
    raise CIDError("varint too long")


class CID:
    def __init__(self, version: int, codec: int, multihash: bytes):
        self.version, self.codec, self.multihash = version, codec, multihash

    @staticmethod
    def parse(text: str) -> "CID":
        text = text.strip()
        if text.startswith("/ipfs/"):
            text = text[len("/ipfs/"):]
        if "/" in text:
            raise CIDError(f"paths inside a DAG are not supported: {text}")
        if len(text) == 46 and text.startswith("Qm"):
            mh = _b58decode(text)
            if len(mh) != 34 or mh[0] != 0x12 or mh[1] != 0x20:
                raise CIDError(f"invalid CIDv0 {text}")
            return CID(0, 0x70, mh)
        if text.startswith("b") and len(text) > 8:
            body = text[1:].upper()
            try:
                raw = base64.b32decode(body + "=" * (-len(body) % 8))
            except ValueError:
                raise CIDError(f"invalid base32 in CID {text}")
            version, pos = _varint(raw, 0)
            codec, pos = _varint(raw, pos)
            if version != 1:
                raise CIDError(f"unsupported CID version {version}")
            code, p2 = _varint(raw, pos)
            length, p3 = _varint(raw, p2)
            if p3 + length != len(raw):
                raise CIDError(f"CID {text} has a multihash of the wrong length")
            return CID(1, codec, raw[pos:])
        raise CIDError(f"invalid CID {text!r}: expected CIDv0 (Qm...) or CIDv1 base32 (b...)")


def dagpb_links(block: bytes) -> list[tuple[bytes, int]]:
    """(hash, Tsize) of each link of a dag-pb node."""
    links = []
    pos = 0
    while pos < len(block):
        key, pos = _varint(block, pos)
        field, wire = key >> 3, key & 7
        if wire != 2:
            raise CIDError("unexpected wire type in dag-pb node")
        length, pos = _varint(block, pos)
        value = block[pos:pos + length]
        pos += length
        if field == 2:
            h, tsize, lp = b"", 0, 0
            while lp < len(value):
                k, lp = _varint(value, lp)
                if k & 7 == 2:
                    ln, lp = _varint(value, lp)
                    if k >> 3 == 1:
                        h = value[lp:lp + ln]
                    lp += ln
                elif k & 7 == 0:
                    v, lp = _varint(value, lp)
                    if k >> 3 == 3:
                        tsize = v
                else:
                    raise CIDError("unexpected wire type in dag-pb link")
            links.append((h, tsize))
    return links
