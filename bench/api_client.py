#!/usr/bin/python3
"""Times API requests over one keep-alive connection and prints the
median and p99 in milliseconds.

usage: api_client.py URL patch SERVICE BACKEND_IP COUNT
       api_client.py URL get PATH COUNT
"""
import http.client
import json
import statistics
import sys
import time
import urllib.parse


def main():
    url, mode = sys.argv[1], sys.argv[2]
    parsed = urllib.parse.urlparse(url)
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port,
                                      timeout=10)
    times = []
    if mode == "patch":
        service, ip, count = sys.argv[3], sys.argv[4], int(sys.argv[5])
        path = "/v1/services/%s/backends/%s" % (service, ip)
        for i in range(count):
            body = json.dumps({"weight": 100 + i % 2})
            start = time.perf_counter()
            conn.request("PATCH", path, body,
                         {"Content-Type": "application/json"})
            resp = conn.getresponse()
            resp.read()
            times.append((time.perf_counter() - start) * 1000)
            if resp.status != 200:
                sys.exit("PATCH answered %d" % resp.status)
    else:
        path, count = sys.argv[3], int(sys.argv[4])
        for _ in range(count):
            start = time.perf_counter()
            conn.request("GET", path)
            resp = conn.getresponse()
            resp.read()
            times.append((time.perf_counter() - start) * 1000)
    times.sort()
    print("%.3f %.3f" % (statistics.median(times),
                         times[int(len(times) * 0.99) - 1]))


if __name__ == "__main__":
    main()
