#!/usr/bin/python3
"""The floor under a clustered write: COUNT OVSDB transactions, one at a
time, each incrementing DSR_Global's cfg in the OVS_DSR database at the
unix socket SOCKET (a clustered ovsdb-server member: a follower forwards
to the leader, which commits through Raft).  The store must be empty (no
dsrd has seeded it): the row is inserted first and deleted at the end.
Prints the median and p99 latency in milliseconds, as api_client.py does.

usage: ovsdb_transact.py SOCKET COUNT
"""
import json
import socket
import statistics
import sys
import time


def transact(conn, op):
    conn["id"] += 1
    msg = {"id": conn["id"], "method": "transact", "params": ["OVS_DSR", op]}
    conn["sock"].sendall(json.dumps(msg).encode())
    decoder = json.JSONDecoder()
    while True:
        try:
            reply, end = decoder.raw_decode(conn["buf"])
        except ValueError:
            data = conn["sock"].recv(65536)
            if not data:
                sys.exit("connection closed")
            conn["buf"] += data.decode()
            continue
        conn["buf"] = conn["buf"][end:].lstrip()
        if reply.get("id") == conn["id"]:
            break
    result = reply.get("result")
    if reply.get("error") or not result or "error" in result[0]:
        sys.exit("transaction failed: %s" % reply)


def main():
    path, count = sys.argv[1], int(sys.argv[2])
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.connect(path)
    conn = {"sock": sock, "buf": "", "id": 0}
    transact(conn, {"op": "insert", "table": "DSR_Global",
                    "row": {"cfg": 0, "next_service_id": 1}})
    latencies = []
    for i in range(count):
        start = time.perf_counter()
        transact(conn, {"op": "mutate", "table": "DSR_Global", "where": [],
                        "mutations": [["cfg", "+=", 1]]})
        latencies.append((time.perf_counter() - start) * 1000)
    transact(conn, {"op": "delete", "table": "DSR_Global", "where": []})
    latencies.sort()
    print("%.3f %.3f" % (statistics.median(latencies),
                         latencies[int(len(latencies) * 0.99) - 1]))


if __name__ == "__main__":
    main()
