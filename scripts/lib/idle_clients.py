#!/usr/bin/env python3
"""Opens N keep-alive connections to HOST:PORT, sends one GET on each, reads
its response, then holds every connection idle. Prints "ready N" when all are
idle, then waits until stdin closes (or HOLD seconds pass) and exits.

    idle_clients.py HOST PORT N [HOLD] [tls]

With "tls", each connection does a TLS handshake first (certificate not
checked: a throw-away one).
Used by scripts/bench.sh --idle. Bounded: at most N connections, HOLD seconds."""
import selectors
import socket
import ssl
import sys
import time

host, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
hold = float(sys.argv[4]) if len(sys.argv) > 4 else 120.0
tls = len(sys.argv) > 5 and sys.argv[5] == "tls"
context = ssl.create_default_context()
context.check_hostname = False
context.verify_mode = ssl.CERT_NONE
request = b"GET / HTTP/1.1\r\nHost: bench\r\n\r\n"
sel = selectors.DefaultSelector()
socks, pending = [], {}
deadline = time.time() + (240 if tls else 60)

def complete(buf):
    head_end = buf.find(b"\r\n\r\n")
    if head_end < 0:
        return False
    length = 0
    for line in buf[:head_end].split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    return len(buf) >= head_end + 4 + length

opened = 0
while (opened < count or pending) and time.time() < deadline:
    # Open in batches so the listen backlog is not overrun.
    while opened < count and len(pending) < 200:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.connect((host, port))
        if tls:
            s = context.wrap_socket(s, server_hostname="localhost")  # blocking handshake
        s.sendall(request)
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ)
        pending[s] = b""
        socks.append(s)
        opened += 1
    for key, _ in sel.select(timeout=1):
        s = key.fileobj
        try:
            data = s.recv(65536)
        except (BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError):
            continue
        if not data:
            sys.exit(f"idle_clients: connection closed before its response ({opened} opened)")
        pending[s] += data
        if complete(pending[s]):
            sel.unregister(s)
            del pending[s]
if pending or opened < count:
    sys.exit(f"idle_clients: only {opened - len(pending)} of {count} connections answered in time")
print(f"ready {len(socks)}", flush=True)
sel.register(sys.stdin, selectors.EVENT_READ)
sel.select(timeout=hold)
