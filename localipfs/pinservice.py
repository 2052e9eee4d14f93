"""The IPFS Pinning Service API (the public spec, v1.0.0) over the kubo node.

A request goes queued -> pinning -> pinned, or -> failed with the reason in
info.status_details. One worker pins requests in order (so "queued" is real
while it is busy). Pinning means: connect to the request's origins, then
kubo PinCID, which fetches the DAG over Bitswap; if that does not finish
within pin_timeout seconds the request fails. Requests are kept in
STATE/pins.json so they survive a restart (unfinished ones are re-queued).
"""
from __future__ import annotations

import json
import os
import queue
import secrets
import threading
from datetime import datetime, timezone

from .cids import CID, CIDError
from .kubo import TIMEOUT

STATUSES = ("queued", "pinning", "pinned", "failed")
MAX_LIMIT = 1000
DEFAULT_LIMIT = 10
MAX_CIDS_IN_FILTER = 10
CONNECT_TIMEOUT_S = 10.0


class PinServiceError(Exception):
    def __init__(self, status: int, reason: str, details: str):
        super().__init__(details)
        self.status, self.reason, self.details = status, reason, details

    def body(self) -> dict:
        return {"error": {"reason": self.reason, "details": self.details}}


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_time(text: str, name: str) -> datetime:
    try:
        t = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise PinServiceError(400, "BAD_REQUEST", f"{name}={text!r} is not an ISO 8601 timestamp")
    if t.tzinfo is None:
        t = t.replace(tzinfo=timezone.utc)
    return t


def validate_pin(body) -> dict:
    if not isinstance(body, dict):
        raise PinServiceError(400, "BAD_REQUEST", "the body must be a JSON object {\"cid\": ...}")
    cid = body.get("cid")
    if not isinstance(cid, str) or not cid:
        raise PinServiceError(400, "BAD_REQUEST", "\"cid\" is required and must be a string")
    try:
        CID.parse(cid)
    except CIDError as e:
        raise PinServiceError(400, "BAD_REQUEST", str(e))
    pin = {"cid": cid}
    name = body.get("name")
    if name is not None:
        if not isinstance(name, str) or len(name) > 255:
            raise PinServiceError(400, "BAD_REQUEST", "\"name\" must be a string of at most 255 characters")
        pin["name"] = name
    origins = body.get("origins", [])
    if not isinstance(origins, list) or len(origins) > 20 or not all(isinstance(o, str) for o in origins):
        raise PinServiceError(400, "BAD_REQUEST", "\"origins\" must be a list of at most 20 multiaddr strings")
    pin["origins"] = origins
    meta = body.get("meta", {})
    if not isinstance(meta, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in meta.items()):
        raise PinServiceError(400, "BAD_REQUEST", "\"meta\" must be an object of string values")
    pin["meta"] = meta
    return pin


class PinService:
    def __init__(self, node, state_dir: str, pin_timeout: float, log):
        self.node = node
        self.path = os.path.join(state_dir, "pins.json")
        self.pin_timeout = pin_timeout
        self.log = log
        self.lock = threading.Lock()
        self.requests: dict[str, dict] = {}
        self.queue: queue.Queue[str] = queue.Queue()
        if os.path.exists(self.path):
            with open(self.path) as f:
                self.requests = json.load(f)
        for rid, r in sorted(self.requests.items(), key=lambda kv: kv[1]["created"]):
            if r["status"] in ("queued", "pinning"):
                r["status"] = "queued"
                self.queue.put(rid)
        threading.Thread(target=self._worker, name="pin-worker", daemon=True).start()

    # ---- state ------------------------------------------------------------
    def _save(self) -> None:
        tmp = self.path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(self.requests, f)
        os.replace(tmp, self.path)

    def delegates(self) -> list[str]:
        addrs = self.node.multiaddrs() or []
        return [f"{a}/p2p/{self.node.peer_id}" for a in addrs] or [f"/p2p/{self.node.peer_id}"]

    def _set(self, rid: str, status: str, details: str | None = None) -> None:
        with self.lock:
            r = self.requests.get(rid)
            if r is None:
                return
            r["status"] = status
            if details is not None:
                r["info"] = {"status_details": details}
            self._save()
        self.log(f"pin {rid} {r['pin']['cid']}: {status}" + (f" ({details})" if details else ""))

    # ---- the worker ---------------------------------------------------------
    def _worker(self) -> None:
        while True:
            rid = self.queue.get()
            with self.lock:
                r = self.requests.get(rid)
                pin = dict(r["pin"]) if r and r["status"] == "queued" else None
            if pin is None:
                continue
            self._set(rid, "pinning")
            for origin in pin.get("origins", []):
                rc = self.node.connect(origin, CONNECT_TIMEOUT_S)
                if rc is TIMEOUT or rc != 0:
                    self.log(f"pin {rid}: could not connect to origin {origin} ({'time-out' if rc is TIMEOUT else rc})")
            rc = self.node.pin(pin["cid"], self.pin_timeout)
            if rc is TIMEOUT:
                self._set(rid, "failed",
                          f"content not found: no provider gave {pin['cid']} within {self.pin_timeout:g} s")
            elif rc != 0:
                self._set(rid, "failed", f"kubo could not pin {pin['cid']} (PinCID returned {rc}; see kubo.log)")
            else:
                self._set(rid, "pinned")

    # ---- API operations -----------------------------------------------------
    def _status(self, r: dict) -> dict:
        return {"requestid": r["requestid"], "status": r["status"], "created": r["created"],
                "pin": r["pin"], "delegates": self.delegates(), "info": r.get("info", {})}

    def add(self, body, replace: str | None = None) -> dict:
        pin = validate_pin(body)
        with self.lock:
            if replace is not None:
                old = self.requests.pop(replace, None)
                if old is None:
                    raise PinServiceError(404, "NOT_FOUND", f"no pin request {replace}")
            rid = secrets.token_hex(16)
            r = {"requestid": rid, "status": "queued", "created": now_iso(), "pin": pin, "info": {}}
            self.requests[rid] = r
            self._save()
            out = self._status(r)
        if replace is not None and old["pin"]["cid"] != pin["cid"]:
            self._unpin_if_unused(old["pin"]["cid"])
        self.queue.put(rid)
        self.log(f"pin {rid} {pin['cid']}: queued")
        return out

    def get(self, rid: str) -> dict:
        with self.lock:
            r = self.requests.get(rid)
            if r is None:
                raise PinServiceError(404, "NOT_FOUND", f"no pin request {rid}")
            return self._status(r)

    def delete(self, rid: str) -> None:
        with self.lock:
            r = self.requests.pop(rid, None)
            if r is None:
                raise PinServiceError(404, "NOT_FOUND", f"no pin request {rid}")
            self._save()
        self._unpin_if_unused(r["pin"]["cid"])

    def _unpin_if_unused(self, cid: str) -> None:
        with self.lock:
            used = any(r["pin"]["cid"] == cid for r in self.requests.values())
        if not used:
            self.node.unpin(cid)

    def list(self, q: dict[str, str]) -> dict:
        cids = [c for c in q.get("cid", "").split(",") if c]
        if len(cids) > MAX_CIDS_IN_FILTER:
            raise PinServiceError(400, "BAD_REQUEST", f"at most {MAX_CIDS_IN_FILTER} CIDs in the cid filter")
        statuses = [s for s in q.get("status", "pinned").split(",") if s]
        for s in statuses:
            if s not in STATUSES:
                raise PinServiceError(400, "BAD_REQUEST", f"unknown status {s!r}; use {', '.join(STATUSES)}")
        name = q.get("name")
        match = q.get("match", "exact")
        if match not in ("exact", "iexact", "partial", "ipartial"):
            raise PinServiceError(400, "BAD_REQUEST", f"unknown match {match!r}")
        before = parse_time(q["before"], "before") if "before" in q else None
        after = parse_time(q["after"], "after") if "after" in q else None
        try:
            limit = int(q.get("limit", DEFAULT_LIMIT))
        except ValueError:
            raise PinServiceError(400, "BAD_REQUEST", "limit must be an integer")
        if not 1 <= limit <= MAX_LIMIT:
            raise PinServiceError(400, "BAD_REQUEST", f"limit must be between 1 and {MAX_LIMIT}")
        meta = {}
        if "meta" in q:
            try:
                meta = json.loads(q["meta"])
                assert isinstance(meta, dict)
            except (ValueError, AssertionError):
                raise PinServiceError(400, "BAD_REQUEST", "meta must be a JSON object")

        def name_ok(n: str | None) -> bool:
            if name is None:
                return True
            if n is None:
                return False
            return {"exact": n == name, "iexact": n.lower() == name.lower(),
                    "partial": name in n, "ipartial": name.lower() in n.lower()}[match]

        with self.lock:
            rows = []
            for r in self.requests.values():
                created = parse_time(r["created"], "created")
                if r["status"] not in statuses:
                    continue
                if cids and r["pin"]["cid"] not in cids:
                    continue
                if not name_ok(r["pin"].get("name")):
                    continue
                if before and not created < before:
                    continue
                if after and not created > after:
                    continue
                if any(r["pin"].get("meta", {}).get(k) != v for k, v in meta.items()):
                    continue
                rows.append(r)
            rows.sort(key=lambda r: r["created"], reverse=True)
            return {"count": len(rows), "results": [self._status(r) for r in rows[:limit]]}
