"""Dev aid: writes a valid Ed25519 (signature type 2) ANS-104 data item.

  make_item.py OUT DATAFILE [--tag NAME=VALUE ...] [--seed HEX32] [--anchor TEXT32]

Written from the ANS-104 spec with PyNaCl and a hand-written Avro tag
encoder, so that it exercises the bundler's irys-sdk-based checker rather
than sharing code with it. The project's real data items come from Swift.
"""
from __future__ import annotations

import argparse
import hashlib
import sys

import nacl.signing


def zigzag_varint(n: int) -> bytes:
    z = (n << 1) ^ (n >> 63)
    out = bytearray()
    while True:
        b = z & 0x7F
        z >>= 7
        out.append(b | (0x80 if z else 0))
        if not z:
            return bytes(out)


def avro_tags(tags: list[tuple[str, str]]) -> bytes:
    if not tags:
        return b""
    out = bytearray(zigzag_varint(len(tags)))
    for name, value in tags:
        for s in (name.encode(), value.encode()):
            out += zigzag_varint(len(s)) + s
    out += zigzag_varint(0)
    return bytes(out)


def deep_hash(item) -> bytes:
    if isinstance(item, list):
        acc = hashlib.sha384(b"list" + str(len(item)).encode()).digest()
        for child in item:
            acc = hashlib.sha384(acc + deep_hash(child)).digest()
        return acc
    tag = hashlib.sha384(b"blob" + str(len(item)).encode()).digest()
    return hashlib.sha384(tag + hashlib.sha384(item).digest()).digest()


def build(data: bytes, tags: list[tuple[str, str]], key: nacl.signing.SigningKey, anchor: bytes = b"") -> bytes:
    owner = bytes(key.verify_key)
    tag_bytes = avro_tags(tags)
    message = deep_hash([b"dataitem", b"1", b"2", owner, b"", anchor, tag_bytes, data])
    signature = key.sign(message).signature
    out = bytearray((2).to_bytes(2, "little"))
    out += signature + owner
    out += b"\x00"  # no target
    out += (b"\x01" + anchor) if anchor else b"\x00"
    out += len(tags).to_bytes(8, "little") + len(tag_bytes).to_bytes(8, "little") + tag_bytes
    out += data
    return bytes(out)


def main(argv):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("out")
    p.add_argument("datafile")
    p.add_argument("--tag", action="append", default=[])
    p.add_argument("--seed", help="32-byte hex Ed25519 seed (default: random)")
    p.add_argument("--anchor", default="", help="exactly 32 characters, or empty")
    a = p.parse_args(argv)
    key = nacl.signing.SigningKey(bytes.fromhex(a.seed)) if a.seed else nacl.signing.SigningKey.generate()
    anchor = a.anchor.encode()
    if anchor and len(anchor) != 32:
        p.error("--anchor must be 32 bytes")
    tags = [tuple(t.split("=", 1)) for t in a.tag]
    with open(a.datafile, "rb") as f:
        data = f.read()
    item = build(data, tags, key, anchor)
    with open(a.out, "wb") as f:
        f.write(item)
    import base64
    print(base64.urlsafe_b64encode(hashlib.sha256(item[2:66]).digest()).rstrip(b"=").decode())


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
