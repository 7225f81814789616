"""WebSocket load for scripts/bench.sh --websocket. Stdlib only, so that
the harness, not a library, sets the pace for every proxy alike.

  server PORT                  answers the upgrade (101 with the right
                               Sec-WebSocket-Accept), then echoes raw bytes:
                               proxies do not parse frames, so frames come
                               back as they went
  load PORT CONNS SECONDS SIZE CONNS connections, each sending one masked
                               SIZE-byte frame and waiting for its echo, for
                               SECONDS; prints the messages echoed
  idle PORT N                  opens N WebSockets, prints "ready", holds them
                               until stdin closes
"""
import asyncio
import base64
import hashlib
import os
import sys
import time

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
KEY = base64.b64encode(b"tether-bench-key").decode()
HANDSHAKE = (
    "GET /ws HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
    f"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: {KEY}\r\n\r\n"
).encode()


def frame(size):
    mask = os.urandom(4)
    payload = bytes(size)
    head = bytes([0x82, 0x80 | size]) if size < 126 else bytes([0x82, 0x80 | 126]) + size.to_bytes(2, "big")
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


class Echo(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport, self.head, self.open = transport, b"", False

    def data_received(self, data):
        if self.open:
            self.transport.write(data)
            return
        self.head += data
        end = self.head.find(b"\r\n\r\n")
        if end < 0:
            return
        keys = [l.split(b":", 1)[1].strip() for l in self.head[:end].split(b"\r\n") if l.lower().startswith(b"sec-websocket-key:")]
        if not keys:  # a plain request (the harness checking the port): plain answer
            self.head = self.head[end + 4:]
            self.transport.write(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n")
            return
        key = keys[0]
        accept = base64.b64encode(hashlib.sha1(key + GUID).digest())
        self.transport.write(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                             b"Sec-WebSocket-Accept: " + accept + b"\r\n\r\n")
        self.open = True
        if self.head[end + 4:]:
            self.transport.write(self.head[end + 4:])


async def upgrade(port):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(HANDSHAKE)
    head = await reader.readuntil(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 101"):
        raise SystemExit(f"no upgrade: {head[:80]!r}")
    return reader, writer


async def load(port, conns, seconds, size):
    message = frame(size)
    count = 0
    deadline = time.monotonic() + seconds

    async def one():
        nonlocal count
        reader, writer = await upgrade(port)
        while time.monotonic() < deadline:
            writer.write(message)
            await reader.readexactly(len(message))
            count += 1
        writer.close()

    await asyncio.gather(*(one() for _ in range(conns)))
    print(count, flush=True)


async def idle(port, n):
    held = []
    for i in range(0, n, 100):
        held += await asyncio.gather(*(upgrade(port) for _ in range(min(100, n - i))))
    print("ready", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)


async def serve(port):
    server = await asyncio.get_running_loop().create_server(Echo, "127.0.0.1", port, backlog=4096)
    async with server:
        await server.serve_forever()


mode = sys.argv[1]
if mode == "server":
    asyncio.run(serve(int(sys.argv[2])))
elif mode == "load":
    asyncio.run(load(int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])))
elif mode == "idle":
    asyncio.run(idle(int(sys.argv[2]), int(sys.argv[3])))
