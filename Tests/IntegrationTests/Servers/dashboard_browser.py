#!/usr/bin/env python3
"""Opens Tether's admin dashboard in headless Chromium as an operator would:
the admin URL, the login form (the token typed in and submitted), then the
dashboard, at a given window width. Driven over the DevTools protocol with
the `websockets` package; every wait is for an event or a page condition,
bounded in time.

    dashboard_browser.py ADMIN_URL TOKEN SCREENSHOT.png WIDTH

Prints one JSON object: the final URL, the page's text, whether page
scripts can read the session cookie, the table's right edge against the
window width, the action buttons seen, and the screenshot's size.
"""
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

from websockets.sync.client import connect

admin, token, shot, width = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
chromium = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
if not chromium:
    print(json.dumps({"error": "no chromium on PATH"}))
    sys.exit(1)

profile = tempfile.mkdtemp(prefix="tether-chromium-")
browser = subprocess.Popen(
    [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
     "--disable-extensions", "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0",
     f"--user-data-dir={profile}", f"--window-size={width},900", "about:blank"],
    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def deadline_loop(seconds, what):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        yield
    raise TimeoutError(what)


try:
    # Chromium writes the port it chose to DevToolsActivePort.
    port_file = os.path.join(profile, "DevToolsActivePort")
    for _ in deadline_loop(30, "chromium did not open its DevTools port"):
        if os.path.exists(port_file):
            lines = open(port_file).read().split()
            if lines:
                port = int(lines[0])
                break
        time.sleep(0.05)
    targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10))
    page = next(t for t in targets if t.get("type") == "page")
    ws = connect(page["webSocketDebuggerUrl"], max_size=64 * 1024 * 1024, open_timeout=10).__enter__()
    next_id = 0
    events = []

    def call(method, **params):
        global next_id
        next_id += 1
        ws.send(json.dumps({"id": next_id, "method": method, "params": params}))
        for _ in deadline_loop(30, f"no answer to {method}"):
            msg = json.loads(ws.recv(timeout=30))
            if msg.get("id") == next_id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            events.append(msg)

    def wait_event(name):
        for _ in deadline_loop(30, f"no {name}"):
            for i, e in enumerate(events):
                if e.get("method") == name:
                    del events[: i + 1]
                    return e
            events.append(json.loads(ws.recv(timeout=30)))

    def js(expr):
        r = call("Runtime.evaluate", expression=expr, returnByValue=True, awaitPromise=True)
        return r.get("result", {}).get("value")

    def wait_until(expr, what):
        try:
            for _ in deadline_loop(30, what):
                if js(expr):
                    return
                time.sleep(0.05)
        except TimeoutError:
            print(json.dumps({"error": what, "url": js("location.href"), "text": js("document.body.innerText")}))
            raise

    call("Page.enable")
    call("Emulation.setDeviceMetricsOverride", width=width, height=900, deviceScaleFactor=1, mobile=False)
    events.clear()
    call("Page.navigate", url=admin + "/")
    wait_event("Page.loadEventFired")
    login_url = js("location.href")
    login_text = js("document.body.innerText")
    # Type the token and submit the form, as a person would.
    js(f"document.querySelector('input[name=token]').value = {json.dumps(token)};"
       "document.querySelector('form').requestSubmit(); true")
    wait_event("Page.loadEventFired")
    # The dashboard fills its table from /stats.
    wait_until("document.querySelectorAll('#rows tr').length > 0", "the dashboard showed no backend")
    layout = js("""(() => {
        const t = document.querySelector('table').getBoundingClientRect();
        const buttons = [...document.querySelectorAll('#rows button')].map(b => {
            const r = b.getBoundingClientRect();
            return {text: b.textContent, visible: r.width > 0 && r.left >= 0 && r.right <= innerWidth};
        });
        const heads = [...document.querySelectorAll('#heads th')].map(h => {
            const r = h.getBoundingClientRect();
            return {text: h.textContent, visible: r.width > 0 && r.right <= innerWidth};
        });
        return {tableRight: t.right, innerWidth, pageWidth: document.documentElement.scrollWidth, buttons, heads};
    })()""")
    shot_data = base64.b64decode(call("Page.captureScreenshot", format="png")["data"])
    with open(shot, "wb") as f:
        f.write(shot_data)
    print(json.dumps({
        "login_url": login_url,
        "login_text": login_text,
        "url": js("location.href"),
        "text": js("document.body.innerText"),
        "cookie_visible_to_scripts": js("document.cookie"),
        "layout": layout,
        "screenshot_bytes": len(shot_data),
    }))
    ws.close()
finally:
    browser.kill()
    browser.wait()
    shutil.rmtree(profile, ignore_errors=True)
