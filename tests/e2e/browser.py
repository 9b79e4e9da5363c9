#!/usr/bin/python3
"""Drives a headless Chromium over the DevTools protocol, for the status
page test: loads URL, then runs the steps given on stdin, a line each:

  wait JS          until the JavaScript expression JS is true (30 s at
                   most, then exit 1 with the page's text)
  shot FILE        a PNG screenshot of the page into FILE
  print JS         prints the value of JS
  signal FILE      creates FILE (the shell test waits for it, then acts)

usage: browser.py CHROMIUM PORT URL < STEPS
"""
import base64
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request

import websocket


class Page:
    def __init__(self, ws_url):
        self.ws = websocket.create_connection(ws_url, timeout=30)
        self.next_id = 0

    def call(self, method, **params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method,
                                 "params": params}))
        while True:
            answer = json.loads(self.ws.recv())
            if answer.get("id") == self.next_id:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error']}")
                return answer["result"]

    def eval(self, js):
        result = self.call("Runtime.evaluate", expression=js,
                           returnByValue=True)["result"]
        return result.get("value")


def target(port, deadline):
    """The page's DevTools websocket, once Chromium listens."""
    while True:
        try:
            with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/json/list", timeout=2) as r:
                pages = [t for t in json.load(r) if t["type"] == "page"]
            if pages:
                return pages[0]["webSocketDebuggerUrl"]
        except OSError:
            pass
        if time.monotonic() > deadline:
            sys.exit("chromium's DevTools never answered")
        time.sleep(0.2)


def main():
    chromium, port, url = sys.argv[1], sys.argv[2], sys.argv[3]
    profile = tempfile.mkdtemp(prefix="dsr-chromium-")
    proc = subprocess.Popen(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu",
         "--no-first-run", "--window-size=1280,1000",
         f"--user-data-dir={profile}", f"--remote-debugging-port={port}",
         url], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        page = Page(target(port, time.monotonic() + 60))
        for line in sys.stdin:
            verb, _, arg = line.strip().partition(" ")
            if verb == "wait":
                deadline = time.monotonic() + 30
                while not page.eval(arg):
                    if time.monotonic() > deadline:
                        text = page.eval("document.body.innerText")
                        sys.exit(f"never true: {arg}\n{text}")
                    time.sleep(0.2)
            elif verb == "shot":
                png = page.call("Page.captureScreenshot", format="png")
                with open(arg, "wb") as f:
                    f.write(base64.b64decode(png["data"]))
            elif verb == "print":
                print(page.eval(arg), flush=True)
            elif verb == "signal":
                open(arg, "w").close()
    finally:
        proc.terminate()
        proc.wait()
        subprocess.run(["rm", "-rf", profile])


if __name__ == "__main__":
    main()
