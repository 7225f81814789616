"""A python-socketio server (aiohttp mode), unmodified, as Socket.IO apps
run: it keeps each client's session in this process's memory, which is why
Socket.IO's "Using multiple nodes" guide asks for sticky sessions. Event
`ask` is acknowledged with this server's NAME and the transport the client
is on. Prints "listening on PORT" once it serves (port 0: any free)."""
import asyncio
import sys

import socketio
from aiohttp import web

name = sys.argv[1]
sio = socketio.AsyncServer(async_mode="aiohttp", logger=False, engineio_logger=False)
app = web.Application()
sio.attach(app)


@sio.event
async def ask(sid, data):
    return {"server": name, "n": data, "transport": sio.transport(sid)}


async def main():
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    print(f"listening on {port}", flush=True)
    await asyncio.Event().wait()


asyncio.run(main())
