"""localnet start|stop|status|run: the local Solana network (LiteSVM behind
standard JSON-RPC) on 127.0.0.1, with the same lifecycle as localipfs and
localarweave (localsvc/lifecycle.py).

  localnet start  [--port P] [--ledger DIR] [--exit-with PID]   detach; wait until GET /health answers
  localnet stop   [--ledger DIR]                                 SIGTERM, then SIGKILL after a grace
  localnet status [--ledger DIR]
  localnet run    [--port P] [--ledger DIR] [--exit-with PID]   serve in the foreground (Ctrl-C stops)

DIR (default localnet/state) keeps the accounts, and the pid, port and log
files (localnet.pid, localnet.port, localnet.log). --port 0 lets the OS pick
a free port; it is written to DIR/localnet.port. See docs/localnet.md.
"""
from __future__ import annotations

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from localsvc import lifecycle  # noqa: E402

NAME = "localnet"
# Solana's usual RPC port, so tools that assume a local validator find it.
DEFAULT_PORT = 8899


def main(argv: list[str]) -> int:
    args = lifecycle.command_parser(
        NAME, __doc__, "--ledger", os.path.join(HERE, "state"),
        "folder that keeps accounts across restarts (default localnet/state)",
        lambda s: s.add_argument("--port", type=int, default=DEFAULT_PORT,
                                 help="HTTP port on 127.0.0.1 (0: any free port)")).parse_args(argv)
    ledger = os.path.abspath(args.ledger)
    if args.cmd in ("start", "run"):
        try:
            import solders.litesvm  # noqa: F401
        except ImportError:
            print(f"localnet: {sys.executable} cannot import solders; run ./bootstrap "
                  "(or .venv/bin/pip install -r requirements.txt)", file=sys.stderr)
            return 1
    if args.cmd == "run":
        from localnet.server import serve
        return serve(args.port, ledger, args.exit_with)
    if args.cmd == "stop":
        # No shutdown route: the server stops on SIGTERM.
        return lifecycle.stop(NAME, ledger, None)
    if args.cmd == "status":
        return lifecycle.status(NAME, ledger, "/health")
    run_args = ["--ledger", ledger, "--port", str(args.port)]
    if args.exit_with is not None:
        run_args += ["--exit-with", str(args.exit_with)]
    return lifecycle.start(NAME, os.path.abspath(__file__), run_args, ledger, "/health")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
