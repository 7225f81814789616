#!/usr/bin/env python3
"""Bounded load for scripts/chaos.sh: simulated users with cookie jars send
idempotent GETs through Tether for DURATION seconds at about RATE req/s, and
report what they saw. Standard library only."""
import http.client
import json
import random
import sys
import threading
import time

port, duration, rate, users = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
lock = threading.Lock()
stats = {"sent": 0, "failed": 0, "moved": 0, "recreated": 0, "errors": {}}
stop_at = time.time() + duration


def user_loop(uid, per_second):
    cookies = {}
    home = None
    visits = 0
    conn = None
    interval = 1.0 / per_second
    next_at = time.time() + random.random() * interval
    while time.time() < stop_at:
        delay = next_at - time.time()
        if delay > 0:
            time.sleep(delay)
        next_at += interval
        try:
            if conn is None:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())} if cookies else {}
            conn.request("GET", "/", headers=headers)
            resp = conn.getresponse()
            body = resp.read().decode()
            for k, v in resp.getheaders():
                if k.lower() == "set-cookie":
                    name, _, rest = v.partition("=")
                    cookies[name.strip()] = rest.split(";")[0]
            ok = resp.status == 200
            backend = resp.getheader("X-Backend")
            count = int(body.split("visits=")[1].split()[0]) if ok and "visits=" in body else None
            with lock:
                stats["sent"] += 1
                if not ok:
                    stats["failed"] += 1
                    stats["errors"][str(resp.status)] = stats["errors"].get(str(resp.status), 0) + 1
                elif home is not None and backend != home:
                    stats["moved"] += 1
                if ok and count == 1 and visits > 0:
                    stats["recreated"] += 1
            if ok:
                home, visits = backend, count
            if resp.getheader("Connection", "").lower() == "close":
                conn.close()
                conn = None
        except Exception as e:  # a failed request, whatever the cause
            with lock:
                stats["sent"] += 1
                stats["failed"] += 1
                stats["errors"][type(e).__name__] = stats["errors"].get(type(e).__name__, 0) + 1
            if conn is not None:
                conn.close()
            conn = None


threads = [threading.Thread(target=user_loop, args=(u, rate / users)) for u in range(users)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(json.dumps(stats))
