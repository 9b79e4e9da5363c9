#!/usr/bin/python3
"""Sends COUNT API writes as fast as THREADS connections allow and records
each outcome, for the crash test: "create N STATUS" per line, STATUS being
the HTTP status or "error" when dsrd was gone.

Write N creates service "svc-N" (VIP 10.200.N/256.N%256, one backend with
a configured MAC), so that every acknowledged write has its own group in
OVS.

URL may be several, comma-separated (the nodes of a clustered store):
thread K writes through URL K modulo their number.

usage: api-writer.py URL[,URL...] COUNT THREADS OUTFILE
"""
import http.client
import json
import sys
import threading
import urllib.parse


def main():
    url, count, threads, out_path = (sys.argv[1], int(sys.argv[2]),
                                     int(sys.argv[3]), sys.argv[4])
    urls = [urllib.parse.urlparse(u) for u in url.split(",")]
    out = open(out_path, "w", buffering=1)
    lock = threading.Lock()
    next_i = [0]

    def worker(parsed):
        conn = None
        while True:
            with lock:
                i = next_i[0]
                next_i[0] += 1
            if i >= count:
                return
            body = json.dumps({
                "name": "svc-%d" % i,
                "vip": "10.200.%d.%d" % (i // 256, i % 256),
                "protocol": "tcp", "port": 80,
                "backends": [{"ip": "10.0.0.11",
                              "mac": "02:00:00:00:00:11"}]})
            try:
                if conn is None:
                    conn = http.client.HTTPConnection(parsed.hostname,
                                                      parsed.port, timeout=15)
                conn.request("POST", "/v1/services", body,
                             {"Content-Type": "application/json"})
                resp = conn.getresponse()
                answer = resp.read()
                status = str(resp.status)
                if resp.status >= 300:
                    # Its reason, for the test's log.
                    status += " " + json.loads(answer).get("reason", "")
            except Exception:
                status = "error"
                conn = None
            with lock:
                out.write("create %d %s\n" % (i, status))

    workers = [threading.Thread(target=worker, args=(urls[k % len(urls)],))
               for k in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()


if __name__ == "__main__":
    main()
