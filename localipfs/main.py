"""localipfs start|stop|run|status: a local IPFS service on 127.0.0.1.

  localipfs start [--port P] [--repo DIR] [--token T] [...]   detach, wait until /api/v0/id answers
  localipfs stop  [--repo DIR]                                 shut down (clean attempt, then SIGKILL)
  localipfs run   [--port P] [--repo DIR] [...]                serve in the foreground

DIR (default ./.localipfs) holds the kubo repo (DIR/kubo), the pid, port,
token and log files, and the pinning service's requests. --port 0 lets the
OS pick a free port; it is written to DIR/localipfs.port.
"""
from __future__ import annotations

import argparse
import os
import secrets
import socket
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from localsvc import lifecycle  # noqa: E402

NAME = "localipfs"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def parser() -> argparse.ArgumentParser:
    def serve_options(s):
        s.add_argument("--port", type=int, default=5001, help="HTTP port on 127.0.0.1 (0: any free port)")
        s.add_argument("--swarm-port", type=int, default=0, help="kubo's libp2p TCP port (0: any free port)")
        s.add_argument("--token", default=None,
                       help="Pinning Service API bearer token (default: DIR/token, made once)")
        s.add_argument("--rpc-token", default=None,
                       help="if set, /api/v0 needs Authorization: Bearer <this>")
        s.add_argument("--pin-timeout", type=float, default=60.0,
                       help="seconds a pin request may spend fetching content before it fails")
        s.add_argument("--fetch-timeout", type=float, default=10.0,
                       help="seconds cat, the gateway and pin/add may spend fetching content")
        s.add_argument("--max-upload", type=int, default=512 << 20, help="largest /api/v0/add body in bytes")

    return lifecycle.command_parser(NAME, __doc__, "--repo", ".localipfs", "state folder (default ./.localipfs)",
                                    serve_options)


def run(args) -> int:
    from localipfs.kubo import KuboNode
    from localipfs.pinservice import PinService
    from localipfs.server import LocalIPFS, serve, wait_for_shutdown

    state = os.path.abspath(args.repo)
    os.makedirs(state, exist_ok=True)
    os.chdir(state)  # kubo writes ./kubo.log

    def log(msg: str) -> None:
        print(time.strftime("%H:%M:%S ") + msg, flush=True)

    token = args.token
    token_file = os.path.join(state, "token")
    if token is None:
        if os.path.exists(token_file):
            token = open(token_file).read().strip()
        else:
            token = secrets.token_urlsafe(24)
    lifecycle.write_atomic(token_file, token + "\n")
    os.chmod(token_file, 0o600)
    rpc_token_file = os.path.join(state, "rpc-token")
    if args.rpc_token is not None:
        lifecycle.write_atomic(rpc_token_file, args.rpc_token + "\n")
        os.chmod(rpc_token_file, 0o600)
    elif os.path.exists(rpc_token_file):
        os.remove(rpc_token_file)
    swarm_port = args.swarm_port or free_port()
    node = KuboNode(os.path.join(state, "kubo"), swarm_port)
    log(f"kubo peer {node.peer_id} on {node.multiaddrs()}")
    pins = PinService(node, state, args.pin_timeout, log)
    app = LocalIPFS(node, pins, state, token, args.rpc_token, args.fetch_timeout, args.max_upload, log)
    server = serve(app, args.port)
    lifecycle.write_atomic(lifecycle.port_path(state, NAME), f"{server.port}\n")
    log(f"serving http://127.0.0.1:{server.port} (RPC /api/v0, gateway /ipfs, pinning service /pins)")
    if args.exit_with:
        lifecycle.watch_parent(args.exit_with, app.shutdown, log)
    try:
        wait_for_shutdown(app)
    except KeyboardInterrupt:
        pass
    log("shutting down")
    server.shutdown()
    try:
        node.cleanup()
    finally:
        os._exit(0)  # the Go runtime would keep the process alive


def main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    state = os.path.abspath(args.repo)
    if args.cmd == "run":
        return run(args)
    if args.cmd == "stop":
        headers = None
        rpc_token_file = os.path.join(state, "rpc-token")
        if os.path.exists(rpc_token_file):
            headers = {"Authorization": "Bearer " + open(rpc_token_file).read().strip()}
        return lifecycle.stop(NAME, state, "/api/v0/shutdown", headers)
    if args.cmd == "status":
        return lifecycle.status(NAME, state)
    run_args = ["--repo", state, "--port", str(args.port), "--swarm-port", str(args.swarm_port),
                "--pin-timeout", str(args.pin_timeout), "--fetch-timeout", str(args.fetch_timeout),
                "--max-upload", str(args.max_upload)]
    if args.token is not None:
        run_args += ["--token", args.token]
    if args.rpc_token is not None:
        run_args += ["--rpc-token", args.rpc_token]
    if args.exit_with is not None:
        run_args += ["--exit-with", str(args.exit_with)]
    headers = {"Authorization": f"Bearer {args.rpc_token}"} if args.rpc_token is not None else None
    return lifecycle.start(NAME, os.path.abspath(__file__), run_args, state, "/api/v0/id", "POST", headers)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
