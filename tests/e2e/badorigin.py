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
  /conn-content-length     a body framed by Content-Length, which its
                           Connection header names as hop-by-hop
  /conn-transfer-encoding  the same with Transfer-Encoding: chunked
  /chunk-size-junk         a chunked body whose size line is "5 junk"
  /trailer-content-length  a chunked body with a Content-Length trailer
  /trailer-control         a chunked body with an ESC byte in a trailer
  /chunked-ext-trailer     a valid chunked body with a chunk extension and
                           a trailer field
  /trailer-late            a chunk of body, a second later a Content-Length
                           trailer
  /chunked-close           a chunk of body, then a close before the last
                           chunk
  /body-reset   a body delimited by the close of the connection: its
                first bytes, then a reset (RST) instead of the close
  /body-stall   the same body's first bytes, then nothing (until the peer
                goes)
  /echo-raw     answers with the exact bytes of the request it received
                (head and body; a chunked body read up to its last chunk)
The faulty responses keep their connection open afterwards, as a
kept-alive origin does.

    badorigin.py ADDRESS PORT
Every connection is bounded: 20 seconds at most."""
import socket
import struct
import sys
import threading
import time


def read_head(c):
    """The request's path and every byte read so far."""
    data = b""
    while b"\r\n\r\n" not in data and len(data) < 65536:
        d = c.recv(4096)
        if not d:
            break
        data += d
    line = data.split(b"\r\n", 1)[0].split(b" ")
    return (line[1].decode("latin-1") if len(line) > 1 else ""), data


def read_chunked_rest(c, data):
    """Read on until the data ends with a last chunk and an empty trailer."""
    while not data.endswith(b"\r\n0\r\n\r\n") and len(data) < 65536:
        d = c.recv(4096)
        if not d:
            break
        data += d
    return data


CHUNKED = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n"
FAULTS = {
    "/conn-content-length": b"HTTP/1.1 200 OK\r\nConnection: Content-Length\r\n"
                            b"Content-Length: 5\r\n\r\nhello",
    "/conn-transfer-encoding": b"HTTP/1.1 200 OK\r\nConnection: Transfer-Encoding\r\n"
                               b"Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    "/chunk-size-junk": CHUNKED + b"5 junk\r\nhello\r\n0\r\n\r\n",
    "/trailer-content-length": CHUNKED + b"5\r\nhello\r\n0\r\nContent-Length: 99\r\n\r\n",
    "/trailer-control": CHUNKED + b"5\r\nhello\r\n0\r\nX-Note: a\x1b[2Jb\r\n\r\n",
    "/chunked-ext-trailer": CHUNKED + b"5;name=\"v\"\r\nhello\r\n6\r\n world\r\n"
                           b"0\r\nX-Checksum: abc\r\n\r\n",
}


def wait_for_peer(c):
    try:
        while c.recv(4096):
            pass
    except OSError:
        pass


def serve(c):
    c.settimeout(20)
    try:
        path, data = read_head(c)
        if path in FAULTS:
            c.sendall(FAULTS[path])
            wait_for_peer(c)
        elif path.startswith("/trailer-late"):
            c.sendall(CHUNKED + b"5\r\nhello\r\n")
            time.sleep(1)
            c.sendall(b"0\r\nContent-Length: 99\r\n\r\n")
            wait_for_peer(c)
        elif path.startswith("/chunked-close"):
            c.sendall(CHUNKED + b"5\r\nhello\r\n")
            time.sleep(0.5)
        elif path.startswith("/body-reset"):
            c.sendall(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nhello")
            time.sleep(0.5)
            c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        elif path.startswith("/body-stall"):
            c.sendall(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nhello")
            wait_for_peer(c)
        elif path.startswith("/echo-raw"):
            if b"\r\ntransfer-encoding: chunked\r\n" in data.lower():
                data = read_chunked_rest(c, data)
            c.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
                      b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(data) + data)
        elif path.startswith("/reset"):
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
