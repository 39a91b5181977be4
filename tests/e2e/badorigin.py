#!/usr/bin/env python3
"""An origin that misbehaves on purpose, for the end-to-end tests. The path
of the request picks the fault:

  /reset        reads the request, then resets the connection (RST)
  /close        reads the request, closes without a word
  /half-close   reads the request, shuts down its sending side, keeps reading
  /stall        reads the request, never answers (until the peer goes)
  /stall-head   sends half a status line, then nothing
  /garbage      answers bytes that are not HTTP
  /two-lengths  answers with two different Content-Length headers
  /truncated    promises 1000 bytes of body, sends 10, closes

    badorigin.py ADDRESS PORT
Every connection is bounded: 20 seconds at most."""
import socket
import struct
import sys
import threading


def read_head(c):
    data = b""
    while b"\r\n\r\n" not in data and len(data) < 65536:
        d = c.recv(4096)
        if not d:
            break
        data += d
    line = data.split(b"\r\n", 1)[0].split(b" ")
    return line[1].decode("latin-1") if len(line) > 1 else ""


def wait_for_peer(c):
    try:
        while c.recv(4096):
            pass
    except OSError:
        pass


def serve(c):
    c.settimeout(20)
    try:
        path = read_head(c)
        if path.startswith("/reset"):
            c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        elif path.startswith("/half-close"):
            c.shutdown(socket.SHUT_WR)
            wait_for_peer(c)
        elif path.startswith("/stall-head"):
            c.sendall(b"HTTP/1.1 20")
            wait_for_peer(c)
        elif path.startswith("/stall"):
            wait_for_peer(c)
        elif path.startswith("/garbage"):
            c.sendall(b"\x00\x01\x02 this is not HTTP\r\n\r\n")
        elif path.startswith("/two-lengths"):
            c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!")
        elif path.startswith("/truncated"):
            c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n0123456789")
    except OSError:
        pass
    finally:
        c.close()


s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2])))
s.listen(64)
while True:
    conn, _ = s.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
