#!/usr/bin/python3
"""The clustered store's figures, against one node's API (node a):

  propagate COUNT: PATCHes a backend's weight through node a COUNT times;
      for each, the time from sending it until every node's Node row says
      it applied the store's version (GET /v1/cluster); prints the median
      and p99 in milliseconds.
  failover PID: PATCHes in a loop, kills process PID (the Raft leader)
      after 20 of them, and prints the longest time in milliseconds from
      one acknowledged write to the next around the kill.

usage: cluster_client.py URL propagate SERVICE BACKEND_IP COUNT
       cluster_client.py URL failover SERVICE BACKEND_IP PID
"""
import http.client
import json
import os
import signal
import statistics
import sys
import time
import urllib.parse


def request(conn, method, path, body=None):
    headers = {"Content-Type": "application/json"} if body else {}
    conn.request(method, path, body, headers)
    resp = conn.getresponse()
    return resp.status, resp.read()


def all_applied(conn):
    status, body = request(conn, "GET", "/v1/cluster")
    c = json.loads(body)
    return (status == 200 and len(c["nodes"]) == 3
            and all(n["applied_version"] == c["store_version"]
                    for n in c["nodes"]))


def main():
    url, mode, service, ip = sys.argv[1:5]
    parsed = urllib.parse.urlparse(url)
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port,
                                      timeout=30)
    path = "/v1/services/%s/backends/%s" % (service, ip)
    if mode == "propagate":
        times = []
        for i in range(int(sys.argv[5])):
            start = time.perf_counter()
            status, _ = request(conn, "PATCH", path,
                                json.dumps({"weight": 100 + i % 2}))
            if status != 200:
                sys.exit("PATCH answered %d" % status)
            deadline = start + 10
            while not all_applied(conn):
                if time.perf_counter() > deadline:
                    sys.exit("not applied everywhere within 10 s")
            times.append((time.perf_counter() - start) * 1000)
        times.sort()
        print("%.2f %.2f" % (statistics.median(times),
                             times[int(len(times) * 0.99) - 1]))
    else:
        pid = int(sys.argv[5])
        last = None
        longest = 0
        for i in range(60):
            if i == 20:
                os.kill(pid, signal.SIGKILL)
            status, _ = request(conn, "PATCH", path,
                                json.dumps({"weight": 100 + i % 2}))
            if status != 200:
                sys.exit("PATCH answered %d" % status)
            now = time.perf_counter()
            if last is not None and i >= 20:
                longest = max(longest, (now - last) * 1000)
            last = now
        print("%.0f" % longest)


if __name__ == "__main__":
    main()
