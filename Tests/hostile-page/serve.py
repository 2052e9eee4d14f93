"""The hostile side of HostilePageTests: two web servers on loopback ports.

- the attacker's site (http://127.0.0.1:A/attacker.html): a page of another
  origin that tries every attack on the daemon's API it can;
- a DNS-rebinding stand-in (http://rebind.test:R/, Chromium maps the name to
  127.0.0.1 with --host-resolver-rules): it serves rebind.html, and passes
  every other request on to the daemon unchanged, Host header included, as a
  rebound name would after its DNS answer flipped to 127.0.0.1.

Usage: serve.py DAEMON_PORT PORTS_FILE LIFETIME_SECONDS. Writes "A R" to
PORTS_FILE once both listen; exits after LIFETIME_SECONDS whatever happens.
"""
import http.client
import http.server
import os
import sys
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
DAEMON_PORT = int(sys.argv[1])
PORTS_FILE = sys.argv[2]
LIFETIME = float(sys.argv[3])
PAGES = {"/attacker.html", "/rebind.html"}


class Quiet(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send_page(self):
        name = self.path.split("?")[0]
        with open(os.path.join(HERE, name.lstrip("/")), "rb") as f:
            body = f.read()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)


class Attacker(Quiet):
    def do_GET(self):
        if self.path.split("?")[0] in PAGES:
            self.send_page()
        else:
            self.send_error(404)


class Rebinder(Quiet):
    """After the 'rebind', the page's own origin reaches the daemon."""

    def forward(self):
        if self.command == "GET" and self.path.split("?")[0] in PAGES:
            return self.send_page()
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        conn = http.client.HTTPConnection("127.0.0.1", DAEMON_PORT, timeout=20)
        conn.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
        for name, value in self.headers.items():
            conn.putheader(name, value)  # Host: rebind.test:R, as the browser sent it
        conn.endheaders(body)
        answer = conn.getresponse()
        data = answer.read()
        self.send_response(answer.status)
        for name, value in answer.getheaders():
            if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        conn.close()

    do_GET = do_POST = do_PUT = do_DELETE = do_OPTIONS = forward


def main():
    servers = [http.server.ThreadingHTTPServer(("127.0.0.1", 0), cls) for cls in (Attacker, Rebinder)]
    for s in servers:
        s.daemon_threads = True
        threading.Thread(target=s.serve_forever, daemon=True).start()
    with open(PORTS_FILE + ".tmp", "w") as f:
        f.write(" ".join(str(s.server_address[1]) for s in servers))
    os.rename(PORTS_FILE + ".tmp", PORTS_FILE)
    threading.Event().wait(LIFETIME)


if __name__ == "__main__":
    main()
