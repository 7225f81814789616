"""CLIENTS python-socketio clients at URL, at once, as a browser's would:
long-polling first, then the upgrade to a WebSocket, with an HTTP session
that keeps cookies. Each waits until it is on `websocket`, then makes ASKS
`ask` calls and notes which server acknowledged each. Prints one JSON line:
per client its transport, the servers that answered, or its error."""
import asyncio
import json
import sys

import aiohttp
import socketio


async def one(url, asks):
    jar = aiohttp.CookieJar(unsafe=True)  # cookies for 127.0.0.1 too
    async with aiohttp.ClientSession(cookie_jar=jar) as http:
        client = socketio.AsyncClient(http_session=http, reconnection=False)
        try:
            await client.connect(url, transports=["polling", "websocket"], wait_timeout=5)
            for _ in range(100):  # the upgrade runs in the background
                if client.transport() == "websocket":
                    break
                await asyncio.sleep(0.05)
            servers, transports = [], []
            for n in range(asks):
                answer = await client.call("ask", n, timeout=10)
                servers.append(answer["server"])
                transports.append(answer["transport"])
            result = {"transport": client.transport(), "servers": sorted(set(servers)),
                      "server_transports": sorted(set(transports)), "answers": len(servers)}
        except Exception as e:  # the failure Socket.IO documents without stickiness
            result = {"error": f"{type(e).__name__}: {e}"}
        finally:
            try:
                await client.disconnect()
            except Exception:
                pass
        return result


async def main():
    url, clients, asks = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    async def bounded():
        try:
            return await asyncio.wait_for(one(url, asks), timeout=10)
        except asyncio.TimeoutError:
            return {"error": "TimeoutError: no answer within 10 s"}

    results = await asyncio.gather(*(bounded() for _ in range(clients)))
    print(json.dumps(results), flush=True)


asyncio.run(main())
