"""Checks an ANS-104 data item with an implementation independent of ours.

Parsing and the deep hash are irys-sdk's (PyPI, Irys's own Python SDK:
irys_sdk.bundle.dataitem.DataItem, irys_sdk.bundle.sign.get_signature_data,
irys_sdk.bundle.tags.decode_tags). irys-sdk does not check Ed25519
signatures, so that step is PyNaCl's. irys-sdk also does not check
everything the spec requires (presence bytes of 0 or 1, lengths that fit,
tag limits), so those checks are here, before irys-sdk reads the item.
"""
from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass

import nacl.exceptions
import nacl.signing
from irys_sdk.bundle.constants import MAX_TAG_BYTES, MIN_BINARY_SIZE, SIG_CONFIG
from irys_sdk.bundle.dataitem import DataItem
from irys_sdk.bundle.sign import get_signature_data
from irys_sdk.bundle.tags import decode_tags

# Signature types whose signature is plain Ed25519 over the deep hash.
ED25519_TYPES = {2: "ed25519", 4: "solana"}
MAX_TAGS = 128
MAX_TAG_NAME_BYTES = 1024
MAX_TAG_VALUE_BYTES = 3072


class ItemError(ValueError):
    pass


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass
class VerifiedItem:
    id: str
    signature_type: int
    signature: bytes
    owner: bytes
    target: bytes
    anchor: bytes
    tags: list[tuple[str, str]]
    data_offset: int

    @property
    def owner_address(self) -> str:
        return b64url(hashlib.sha256(self.owner).digest())

    def tag(self, name: str) -> str | None:
        for n, v in self.tags:
            if n.lower() == name.lower():
                return v
        return None


def verify_item(raw: bytes) -> VerifiedItem:
    """Returns the checked item, or raises ItemError saying what is wrong."""
    if len(raw) < MIN_BINARY_SIZE:
        raise ItemError(f"data item too short: {len(raw)} bytes (at least {MIN_BINARY_SIZE})")
    sig_type = int.from_bytes(raw[0:2], "little")
    if sig_type not in SIG_CONFIG:
        raise ItemError(f"unknown signature type {sig_type}")
    if sig_type not in ED25519_TYPES:
        raise ItemError(f"signature type {sig_type} ({SIG_CONFIG[sig_type]['sigName']}) is not accepted here: "
                        f"this bundler verifies Ed25519 items only (types 2 and 4)")
    sig_len, owner_len = SIG_CONFIG[sig_type]["sigLength"], SIG_CONFIG[sig_type]["pubLength"]
    pos = 2 + sig_len + owner_len
    for field in ("target", "anchor"):
        if pos >= len(raw):
            raise ItemError(f"data item truncated before its {field} presence byte")
        flag = raw[pos]
        if flag not in (0, 1):
            raise ItemError(f"{field} presence byte is {flag}, must be 0 or 1")
        pos += 1 + (32 if flag == 1 else 0)
    if pos + 16 > len(raw):
        raise ItemError("data item truncated in its tag counts")
    n_tags = int.from_bytes(raw[pos:pos + 8], "little")
    n_tag_bytes = int.from_bytes(raw[pos + 8:pos + 16], "little")
    if n_tags > MAX_TAGS:
        raise ItemError(f"{n_tags} tags; at most {MAX_TAGS} are allowed")
    if n_tag_bytes > MAX_TAG_BYTES:
        raise ItemError(f"{n_tag_bytes} tag bytes; at most {MAX_TAG_BYTES} are allowed")
    if pos + 16 + n_tag_bytes > len(raw):
        raise ItemError(f"data item truncated inside its {n_tag_bytes} tag bytes")
    if (n_tags == 0) != (n_tag_bytes == 0):
        raise ItemError(f"{n_tags} tags in {n_tag_bytes} bytes is inconsistent")

    item = DataItem(bytearray(raw))  # irys-sdk from here on
    tags: list[tuple[str, str]] = []
    if n_tags:
        try:
            decoded = decode_tags(bytes(item.raw_tags))
        except Exception as e:
            raise ItemError(f"malformed tags (Avro): {e.__class__.__name__}: {e}")
        if len(decoded) != n_tags:
            raise ItemError(f"tag count says {n_tags} but the tag bytes hold {len(decoded)}")
        for name, value in decoded:
            if not name or not value:
                raise ItemError("tag names and values must not be empty")
            if len(name.encode()) > MAX_TAG_NAME_BYTES or len(value.encode()) > MAX_TAG_VALUE_BYTES:
                raise ItemError("tag name or value too long")
            tags.append((name, value))
    signature = bytes(item.raw_signature)
    owner = bytes(item.raw_owner)
    message = bytes(get_signature_data(item))
    try:
        nacl.signing.VerifyKey(owner).verify(message, signature)
    except nacl.exceptions.BadSignatureError:
        raise ItemError("the Ed25519 signature does not verify over the item's deep hash "
                        "(tampered item or wrong key)")
    except (ValueError, TypeError, nacl.exceptions.CryptoError) as e:
        raise ItemError(f"bad owner key or signature: {e}")
    return VerifiedItem(id=b64url(hashlib.sha256(signature).digest()), signature_type=sig_type,
                        signature=signature, owner=owner, target=bytes(item.raw_target),
                        anchor=bytes(item.raw_anchor), tags=tags, data_offset=item.get_start_of_data())
