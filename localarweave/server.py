"""The bundler endpoint and gateway.

  POST /tx, POST /tx/{token}    upload one binary ANS-104 data item (the path the
                                Irys/Bundlr clients use is /tx/{currency}; ArDrive
                                Turbo's is /tx). 200 + JSON receipt, or 400 saying
                                what is wrong with the item, 413 when too large.
  GET  /tx/{id}                 the whole data item as uploaded (re-verifiable)
  GET  /tx/{id}/tags            its tags as JSON [{"name","value"}]
  GET  /{id}                    its data, Content-Type from its Content-Type tag,
                                tags in X-Arweave-Tags (base64url JSON) and, where
                                header-safe, X-Arweave-Tag-<Name>
  GET  /info                    health and settings
  POST /shutdown                stop the service (used by `localarweave stop`)
"""
from __future__ import annotations

import base64
import json
import os
import re
import threading
import time
from urllib.parse import urlsplit

from localsvc.httpbase import BaseHandler, BodyError, LoopbackServer

from .verify import ItemError, b64url, verify_item

ID_RE = re.compile(r"^[A-Za-z0-9_-]{43}$")
TOKEN_NAME_RE = re.compile(r"^[A-Za-z0-9-]{1,64}$")


class Bundler:
    def __init__(self, state_dir: str, max_item: int, log):
        self.items = os.path.join(state_dir, "items")
        os.makedirs(self.items, exist_ok=True)
        self.max_item, self.log = max_item, log
        self.shutdown = threading.Event()

    def path(self, item_id: str) -> str:
        return os.path.join(self.items, item_id)

    def store(self, raw: bytes) -> tuple[dict, bool]:
        item = verify_item(raw)
        path = self.path(item.id)
        existed = os.path.exists(path)
        if not existed:
            tmp = path + ".tmp"
            with open(tmp, "wb") as f:
                f.write(raw)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        self.log(f"item {item.id}: {'already stored' if existed else 'stored'}, "
                 f"{len(raw) - item.data_offset} data bytes, {len(item.tags)} tags")
        receipt = {"id": item.id, "timestamp": int(time.time() * 1000), "version": "1.0.0",
                   "public": b64url(item.owner), "signature": b64url(item.signature),
                   "owner": item.owner_address, "winc": "0", "deadlineHeight": 0,
                   "dataCaches": ["localarweave"], "fastFinalityIndexes": []}
        return receipt, existed

    def load(self, item_id: str) -> bytes | None:
        if not ID_RE.match(item_id):
            return None
        try:
            with open(self.path(item_id), "rb") as f:
                return f.read()
        except OSError:
            return None


def make_handler(app: Bundler):
    class Handler(BaseHandler):
        server_version = "localarweave/1"

        def log_message(self, fmt, *args):
            app.log(f"{self.address_string()} {fmt % args}")

        def _error(self, status: int, message: str):
            self.send_json(status, {"error": message})

        def do_POST(self):
            path = urlsplit(self.path).path
            try:
                if path == "/shutdown":
                    self.send_bytes(200, b"", "text/plain")
                    app.shutdown.set()
                    return
                parts = path.strip("/").split("/")
                if parts[0] != "tx" or len(parts) > 2:
                    self._error(404, f"no such endpoint POST {path}; upload data items to POST /tx")
                    return
                raw = self.read_body(app.max_item)
                if not raw:
                    self._error(400, "empty body: send one binary ANS-104 data item (application/octet-stream)")
                    return
                receipt, existed = app.store(raw)
                self.send_json(200, receipt)
            except BodyError as e:
                self.close_connection = True
                self._error(e.status, e.message)
            except ItemError as e:
                self._error(400, f"invalid data item: {e}")
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True

        def do_HEAD(self):
            self._get(head=True)

        def do_GET(self):
            self._get(head=False)

        def _get(self, head: bool):
            path = urlsplit(self.path).path
            parts = path.strip("/").split("/")
            try:
                if parts == ["info"]:
                    self.send_json(200, {"service": "localarweave", "version": "1", "maxItemBytes": app.max_item,
                                         "acceptedSignatureTypes": [2, 4], "upload": "POST /tx"})
                    return
                if len(parts) in (2, 3) and parts[0] == "tx":
                    raw = app.load(parts[1])
                    if raw is None:
                        self._error(404, f"no data item {parts[1]}")
                        return
                    if len(parts) == 2:
                        self.send_bytes(200, raw, "application/octet-stream", {"X-Arweave-Id": parts[1]}, head)
                        return
                    if parts[2] == "tags":
                        item = verify_item(raw)
                        self.send_json(200, [{"name": n, "value": v} for n, v in item.tags])
                        return
                    self._error(404, f"no such path {path}")
                    return
                if len(parts) == 1 and parts[0]:
                    raw = app.load(parts[0])
                    if raw is None:
                        self._error(404, f"no data item {parts[0]}")
                        return
                    item = verify_item(raw)  # stored items were checked; this re-check is cheap
                    data = raw[item.data_offset:]
                    headers = {"X-Arweave-Id": item.id, "X-Arweave-Owner": b64url(item.owner),
                               "X-Arweave-Signature-Type": str(item.signature_type),
                               "X-Arweave-Tags": base64.urlsafe_b64encode(json.dumps(
                                   [{"name": n, "value": v} for n, v in item.tags]).encode()).rstrip(b"=").decode()}
                    for n, v in item.tags:
                        if TOKEN_NAME_RE.match(n) and v.isascii() and v.isprintable():
                            headers[f"X-Arweave-Tag-{n}"] = v
                    ctype = item.tag("Content-Type") or "application/octet-stream"
                    if not (ctype.isascii() and ctype.isprintable()):
                        ctype = "application/octet-stream"
                    self.send_bytes(200, data, ctype, headers, head)
                    return
                self._error(404, f"no such path {path}")
            except ItemError as e:
                self._error(500, f"stored item no longer verifies: {e}")
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True

    return Handler


def serve(app: Bundler, port: int) -> LoopbackServer:
    server = LoopbackServer(port, make_handler(app))
    server.log = app.log
    threading.Thread(target=server.serve_forever, name="http", daemon=True).start()
    return server
