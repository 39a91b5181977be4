#!/usr/bin/env python3
"""Hold idle TCP connections open to a proxy, in stages.

    idle_conns.py HOST PORT COUNT [COUNT ...]

Connects (without sending anything) until COUNT connections are open, prints
"held N failed F", and waits for a line on standard input before going on to
the next COUNT; after the last one it waits for end of input and closes
everything. Bounded: gives up after 240 seconds whatever happens. Connects
in batches so that a proxy's accept queue is not overrun (a dropped SYN
would cost a one-second retransmission each).
"""
import select
import signal
import socket
import sys
import time

BATCH = 250


def main():
    host, port = sys.argv[1], int(sys.argv[2])
    counts = [int(c) for c in sys.argv[3:]]
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    signal.alarm(240)
    held, failed = [], 0
    for target in counts:
        while len(held) < target and failed < target:
            pending = {}
            poller = select.poll()
            for _ in range(min(BATCH, target - len(held))):
                s = socket.socket(family, socket.SOCK_STREAM)
                s.setblocking(False)
                try:
                    s.connect((host, port))
                except BlockingIOError:
                    pass
                except OSError:
                    s.close()
                    failed += 1
                    continue
                pending[s.fileno()] = s
                poller.register(s, select.POLLOUT)
            until = time.monotonic() + 10
            while pending and time.monotonic() < until:
                for fd, _ in poller.poll(200):
                    s = pending.pop(fd)
                    poller.unregister(fd)
                    if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0:
                        held.append(s)
                    else:
                        s.close()
                        failed += 1
            for s in pending.values():
                s.close()
                failed += 1
        print("held %d failed %d" % (len(held), failed), flush=True)
        if not sys.stdin.readline():
            break
    for s in held:
        s.close()


if __name__ == "__main__":
    main()
