"""start / stop / run for a local service, shared by localipfs and localarweave.

`start` re-runs this program with `run` in a new session (detached), writes
DIR/<name>.pid, and waits until the service answers its health check.
`run` serves in the foreground and writes DIR/<name>.port once bound (so
`--port 0` works: the OS picks a free port, callers read the file).
`stop` asks the service to shut down over HTTP, waits, then sends SIGKILL:
a process that loaded kubo's shared library ignores SIGTERM.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

START_TIMEOUT_S = 60.0
STOP_GRACE_S = 5.0
POLL_S = 0.1


def pid_path(state_dir: str, name: str) -> str:
    return os.path.join(state_dir, f"{name}.pid")


def port_path(state_dir: str, name: str) -> str:
    return os.path.join(state_dir, f"{name}.port")


def read_int(path: str) -> int | None:
    try:
        with open(path) as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return None


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child still "exists"; treat it as gone.
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ", 1)[1][0] != "Z"
    except OSError:
        return True


def http_ok(url: str, method: str = "GET", timeout: float = 1.0, headers: dict | None = None) -> bool:
    req = urllib.request.Request(url, method=method, data=b"" if method == "POST" else None, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return 200 <= r.status < 300
    except (urllib.error.URLError, OSError):
        return False


def watch_parent(pid: int, shutdown, log, interval: float = 1.0) -> None:
    """Sets `shutdown` (a threading.Event) once process `pid` is gone, so a
    service started by a test never outlives the test run."""
    import threading

    def watch():
        while not shutdown.wait(interval):
            if not alive(pid):
                log(f"process {pid} ended; shutting down")
                shutdown.set()
                return

    threading.Thread(target=watch, name="exit-with", daemon=True).start()


def write_atomic(path: str, text: str) -> None:
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def start(name: str, program: str, run_args: list[str], state_dir: str,
          health_path: str, health_method: str = "GET", headers: dict | None = None) -> int:
    """Detaches `program run ...`; returns a shell exit code."""
    os.makedirs(state_dir, exist_ok=True)
    pid_file = pid_path(state_dir, name)
    old = read_int(pid_file)
    if old and alive(old):
        print(f"{name}: already running as pid {old} (pid file {pid_file}); run `stop` first", file=sys.stderr)
        return 1
    for p in (pid_file, port_path(state_dir, name)):
        if os.path.exists(p):
            os.remove(p)
    log_path = os.path.join(state_dir, f"{name}.log")
    with open(log_path, "ab") as log:
        proc = subprocess.Popen([sys.executable, program, "run", *run_args],
                                stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                start_new_session=True, cwd=state_dir)
    write_atomic(pid_file, f"{proc.pid}\n")
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            print(f"{name}: exited with status {proc.returncode} while starting; see {log_path}", file=sys.stderr)
            return 1
        port = read_int(port_path(state_dir, name))
        if port and http_ok(f"http://127.0.0.1:{port}{health_path}", health_method, headers=headers):
            print(f"{name}: running as pid {proc.pid} on http://127.0.0.1:{port}")
            return 0
        time.sleep(POLL_S)
    print(f"{name}: no answer on {health_path} within {START_TIMEOUT_S:.0f} s; killing pid {proc.pid}; see {log_path}",
          file=sys.stderr)
    os.kill(proc.pid, signal.SIGKILL)
    return 1


def stop(name: str, state_dir: str, shutdown_path: str | None, headers: dict | None = None) -> int:
    pid_file = pid_path(state_dir, name)
    pid = read_int(pid_file)
    if not pid or not alive(pid):
        print(f"{name}: not running (no live pid in {pid_file})")
        for p in (pid_file, port_path(state_dir, name)):
            if os.path.exists(p):
                os.remove(p)
        return 0
    port = read_int(port_path(state_dir, name))
    if port and shutdown_path:
        http_ok(f"http://127.0.0.1:{port}{shutdown_path}", "POST", timeout=2.0, headers=headers)
    else:
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE_S
    while time.monotonic() < deadline and alive(pid):
        time.sleep(POLL_S)
    how = "cleanly"
    if alive(pid):
        os.kill(pid, signal.SIGKILL)
        how = "with SIGKILL after a clean attempt"
        for _ in range(50):
            if not alive(pid):
                break
            time.sleep(POLL_S)
    for p in (pid_file, port_path(state_dir, name)):
        if os.path.exists(p):
            os.remove(p)
    print(f"{name}: stopped pid {pid} {how}")
    return 0


def command_parser(prog: str, doc: str, state_flag: str, state_default: str, state_help: str,
                   serve_options):
    """The start|run|stop|status command line every local service has: each
    subcommand takes the state folder (`state_flag`); `serve_options(sub)`
    adds the options of start and run (port, limits, --exit-with)."""
    import argparse

    p = argparse.ArgumentParser(prog=prog, description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    for cmd in ("start", "run", "stop", "status"):
        s = sub.add_parser(cmd)
        s.add_argument(state_flag, default=state_default, help=state_help)
        if cmd in ("start", "run"):
            serve_options(s)
            s.add_argument("--exit-with", type=int, default=None, metavar="PID",
                           help="shut down when process PID ends (tests pass their own pid)")
    return p


def status(name: str, state_dir: str, health_path: str | None = None) -> int:
    """Prints whether the service runs (and, given `health_path`, answers
    GET on it); exit code 0 running, 1 running but not answering, 3 not running."""
    pid = read_int(pid_path(state_dir, name))
    port = read_int(port_path(state_dir, name))
    if not pid or not alive(pid):
        print(f"{name}: not running")
        return 3
    if health_path and not (port and http_ok(f"http://127.0.0.1:{port}{health_path}")):
        print(f"{name}: process {pid} runs but does not answer on port {port}")
        return 1
    print(f"{name}: running as pid {pid} on http://127.0.0.1:{port}")
    return 0
