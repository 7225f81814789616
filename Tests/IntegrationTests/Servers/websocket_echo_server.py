"""The `websockets` package's own server, unmodified: it echoes every
message back. Prints "listening on PORT" once it serves (port 0: any free)."""
import asyncio
import sys

from websockets.asyncio.server import serve


async def echo(ws):
    async for message in ws:
        await ws.send(message)


async def main():
    async with serve(echo, "127.0.0.1", 0, max_size=None) as server:
        port = server.sockets[0].getsockname()[1]
        print(f"listening on {port}", flush=True)
        await asyncio.get_running_loop().create_future()


asyncio.run(main())
