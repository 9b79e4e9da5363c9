#!/usr/bin/python3
"""Asks dsrd's GET /v1/trace about many connections at once: reads lines
"PROTO CLIENT_IP[:PORT] VIP[:PORT]" from stdin and prints, for each, in
the same order, "PROTO CLIENT BACKEND DECIDED_BY PIN SLOT SLOT_BACKEND"
("-" for what is null or unknown).  A few keep-alive
connections ask in parallel, so that dsrd answers many questions with
each conntrack dump.

usage: trace-query.py API_URL < QUERIES
"""
import concurrent.futures
import http.client
import json
import sys
import threading
import urllib.parse

local = threading.local()


def ask(host, port, line):
    proto, client, vip = line.split()
    if not hasattr(local, "conn"):
        local.conn = http.client.HTTPConnection(host, port, timeout=30)
    query = urllib.parse.urlencode(
        {"protocol": proto, "client": client, "vip": vip})
    local.conn.request("GET", "/v1/trace?" + query)
    reply = local.conn.getresponse()
    body = json.loads(reply.read())
    if reply.status != 200:
        return "%s %s error %s" % (proto, client, body.get("reason"))
    pin = body["pin"]["backend"] if body["pin"] else "-"
    slot = "-" if body["slot"] is None else str(body["slot"])
    return "%s %s %s %s %s %s %s" % (proto, client, body["backend"] or "-",
                                     body["decided_by"], pin, slot,
                                     body["slot_backend"] or "-")


def main():
    url = urllib.parse.urlparse(sys.argv[1])
    lines = [l for l in sys.stdin.read().splitlines() if l.strip()]
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        for answer in pool.map(lambda l: ask(url.hostname, url.port, l),
                               lines):
            print(answer)


if __name__ == "__main__":
    main()
