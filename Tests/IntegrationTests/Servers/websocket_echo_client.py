"""The `websockets` package's client: sends COUNT binary messages through a
WebSocket at URL (wss:// trusting the CA file given third; a fourth
argument: seconds to pause, idle, halfway through), sizes from 1 B to 16 MiB (most small, a few of each
power of two up to 16 MiB), each answered by an echo, and checks every byte.
Prints one JSON line: messages, bytes each way, and the first mismatch."""
import asyncio
import hashlib
import json
import random
import ssl
import sys

from websockets.asyncio.client import connect


def sizes(count):
    rng = random.Random(17)
    big = [1 << k for k in range(10, 25)]  # 1 KiB ... 16 MiB, once each
    small = [rng.randint(1, 4096) for _ in range(count - len(big) - 1)]
    out = [1] + small + big
    rng.shuffle(out)
    return out


async def main():
    url, count = sys.argv[1], int(sys.argv[2])
    tls = ssl.create_default_context(cafile=sys.argv[3]) if len(sys.argv) > 3 and sys.argv[3] else None
    pause = float(sys.argv[4]) if len(sys.argv) > 4 else 0
    sent = received = 0
    mismatch = None
    async with connect(url, max_size=None, compression=None, ssl=tls) as ws:
        for i, size in enumerate(sizes(count)):
            if pause and i == count // 2:
                await asyncio.sleep(pause)
            message = random.randbytes(size)
            await ws.send(message)
            echoed = await ws.recv()
            sent += size
            received += len(echoed)
            if echoed != message and mismatch is None:
                mismatch = {"index": i, "size": size, "got": len(echoed)}
    print(json.dumps({"messages": count, "sent": sent, "received": received, "largest": max(sizes(count)),
                      "smallest": min(sizes(count)), "mismatch": mismatch}), flush=True)


asyncio.run(main())
