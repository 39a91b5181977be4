#!/usr/bin/env python3
"""Recording origin for the end-to-end tests: appends what each request
carried (method, target, headers as received, body length) to a JSON-lines
file and answers 200 with a small JSON body. Reads Content-Length and
chunked request bodies itself, so it sees exactly what the proxy sent.

A request's head is recorded as it arrives ({"event": "head"}), before the
body is read: a head whose body never completes (the proxy cut the
connection mid-body) is then followed by {"event": "aborted"} instead of
the full record, so the smuggling test sees every byte that reached it."""
import json
import socketserver
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer


class Recorder(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def record(self, rec):
        with open(sys.argv[2], "a") as f:
            f.write(json.dumps(rec) + "\n")

    def read_body(self):
        """The body, or None when the connection ended before it did."""
        te = self.headers.get("Transfer-Encoding", "")
        if te.lower() == "chunked":
            body = b""
            while True:
                try:
                    size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                except ValueError:
                    return None
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return body
                body += self.rfile.read(size)
                self.rfile.readline()
        n = int(self.headers.get("Content-Length", "0") or 0)
        body = self.rfile.read(n) if n else b""
        return body if len(body) == n else None

    def upgrade_echo(self):
        # RFC 9110 §7.8: switch protocols, then echo raw bytes until EOF
        self.send_response(101)
        self.send_header("Upgrade", "websocket")
        self.send_header("Connection", "Upgrade")
        self.end_headers()
        self.wfile.flush()
        while True:
            data = self.connection.recv(65536)
            if not data:
                break
            self.connection.sendall(data)
        self.close_connection = True

    def handle_any(self):
        if self.headers.get("Upgrade", "").lower() == "websocket":
            self.record({"method": self.command, "path": self.path, "upgrade": True,
                         "headers": [[k, v] for k, v in self.headers.items()]})
            return self.upgrade_echo()
        self.record({"event": "head", "method": self.command, "path": self.path})
        body = self.read_body()
        if body is None:
            self.record({"event": "aborted", "method": self.command, "path": self.path})
            self.close_connection = True
            return
        if self.path.startswith("/chunked-response"):
            # a chunked response, for clients that cannot take one (HTTP/1.0)
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for part in (b"first part, ", b"second part, ", b"last part\n"):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
            self.wfile.write(b"0\r\n\r\n")
            return
        rec = {"method": self.command, "path": self.path,
               "headers": [[k, v] for k, v in self.headers.items()],
               "body_len": len(body)}
        self.record(rec)
        out = json.dumps({"body_len": len(body)}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(out)

    do_GET = do_POST = do_PUT = do_HEAD = do_DELETE = handle_any


class Server(socketserver.ThreadingMixIn, HTTPServer):
    daemon_threads = True


Server((sys.argv[1], 8081), Recorder).serve_forever()
