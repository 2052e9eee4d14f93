"""localarweave start|stop|run|status: a local ANS-104 bundler and gateway on 127.0.0.1.

  localarweave start [--port P] [--repo DIR] [--max-item BYTES]   detach, wait until /info answers
  localarweave stop  [--repo DIR]
  localarweave run   [--port P] [--repo DIR]                       serve in the foreground

DIR (default ./.localarweave) holds items/, the pid, port and log files.
--port 0 lets the OS pick a free port; it is written to DIR/localarweave.port.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from localsvc import lifecycle  # noqa: E402

NAME = "localarweave"


def parser() -> argparse.ArgumentParser:
    def serve_options(s):
        s.add_argument("--port", type=int, default=1984, help="HTTP port on 127.0.0.1 (0: any free port)")
        s.add_argument("--max-item", type=int, default=256 << 20, help="largest data item in bytes")

    return lifecycle.command_parser(NAME, __doc__, "--repo", ".localarweave", "state folder (default ./.localarweave)",
                                    serve_options)


def run(args) -> int:
    import warnings
    warnings.filterwarnings("ignore", category=UserWarning)  # pkg_resources notice from irys-sdk's deps
    from localarweave.server import Bundler, serve

    state = os.path.abspath(args.repo)
    os.makedirs(state, exist_ok=True)

    def log(msg: str) -> None:
        print(time.strftime("%H:%M:%S ") + msg, flush=True)

    app = Bundler(state, args.max_item, log)
    server = serve(app, args.port)
    lifecycle.write_atomic(lifecycle.port_path(state, NAME), f"{server.port}\n")
    log(f"serving http://127.0.0.1:{server.port} (bundler POST /tx, gateway GET /{{id}}, items GET /tx/{{id}})")
    if args.exit_with:
        lifecycle.watch_parent(args.exit_with, app.shutdown, log)
    try:
        while not app.shutdown.wait(1.0):
            pass
        time.sleep(0.2)
    except KeyboardInterrupt:
        pass
    server.shutdown()
    log("stopped")
    return 0


def main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    state = os.path.abspath(args.repo)
    if args.cmd == "run":
        return run(args)
    if args.cmd == "stop":
        return lifecycle.stop(NAME, state, "/shutdown")
    if args.cmd == "status":
        return lifecycle.status(NAME, state)
    run_args = ["--repo", state, "--port", str(args.port), "--max-item", str(args.max_item)]
    if args.exit_with is not None:
        run_args += ["--exit-with", str(args.exit_with)]
    return lifecycle.start(NAME, os.path.abspath(__file__), run_args, state, "/info")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
