#!/usr/bin/python3
"""The soak's API writer: bursts of creates, patches and deletes of the
"churn-N" services, and weight patches of the backends of
TRAFFIC_SERVICES (none if empty), until STOPFILE exists.  It keeps the model of what dsrd acknowledged and
checks it against GET /v1/config after every dsrd restart (the first
answer after a refused connection), every 100 writes, and at the end:
an acknowledged write missing is LOST, an unacknowledged state is
PHANTOM.  A write whose answer was cut off (dsrd killed) may or may not
have landed: that name is "uncertain" until the next check reads it.

While PAUSEFILE exists it writes nothing and says so by creating
PAUSEFILE.ack, so the soak can compare the switch across a restart.

Prints one line per write ("write TIME OP NAME STATUS"), per check
("check TIME ok N" or "check TIME LOST|PHANTOM NAME WHAT") and a summary:
"writes N acked N cut N unexpected N checks N mismatches N".

usage: writer.py URL TRAFFIC_SERVICES BACKEND_IPS STOPFILE PAUSEFILE
       (TRAFFIC_SERVICES, BACKEND_IPS comma-separated)
"""
import http.client
import json
import os
import random
import sys
import time
import urllib.parse

CHURN = 20


class Api:
    def __init__(self, url):
        parsed = urllib.parse.urlparse(url)
        self.host, self.port = parsed.hostname, parsed.port
        self.conn = None

    def call(self, method, path, body=None):
        """Returns (status, parsed body), status "error" if dsrd is gone."""
        try:
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port,
                                                       timeout=10)
            self.conn.request(method, path,
                              json.dumps(body) if body is not None else None,
                              {"Content-Type": "application/json"})
            resp = self.conn.getresponse()
            data = resp.read()
            return resp.status, json.loads(data) if data else None
        except (OSError, http.client.HTTPException, ValueError):
            self.conn = None
            return "error", None


class Writer:
    def __init__(self, api, traffic, ips):
        self.api, self.traffic, self.ips = api, traffic, ips
        self.churn = {}          # name -> port, or None when absent
        self.weights = {}        # (service, ip) -> weight
        self.uncertain = set()   # names (or (service, ip)) of cut writes
        self.counts = dict(writes=0, acked=0, cut=0, unexpected=0,
                           checks=0, mismatches=0)

    def write(self, op, key, method, path, body, expect, apply):
        status, _ = self.api.call(method, path, body)
        self.counts["writes"] += 1
        print("write %.3f %s %s %s"
              % (time.time(), op, "/".join(key) if op == "weight" else key,
                 status))
        # 202: accepted and durable, not yet on a switch (disconnected).
        if status in (expect, 202):
            self.counts["acked"] += 1
            apply()
            self.uncertain.discard(key)
        elif status == "error":
            self.counts["cut"] += 1
            self.uncertain.add(key)
        elif key not in self.uncertain:
            self.counts["unexpected"] += 1
        return status

    def one_write(self):
        name = "churn-%d" % random.randrange(CHURN)
        i = int(name.split("-")[1])
        path = "/v1/services/" + name
        roll = random.random()
        if roll < 0.15 and self.traffic:
            svc, ip = random.choice(self.traffic), random.choice(self.ips)
            w = random.randint(50, 200)
            return self.write(
                "weight", (svc, ip), "PATCH",
                "/v1/services/%s/backends/%s" % (svc, ip), {"weight": w},
                200, lambda: self.weights.__setitem__((svc, ip), w))
        port = random.randint(9000, 9999)
        if self.churn.get(name) is None:
            body = {"name": name, "vip": "10.0.1.%d" % (10 + i),
                    "protocol": "tcp", "port": port,
                    "backends": [{"ip": ip} for ip in self.ips[:2]]}
            return self.write("create", name, "POST", "/v1/services", body,
                              201, lambda: self.churn.__setitem__(name, port))
        if roll < 0.6:
            return self.write("patch", name, "PATCH", path, {"port": port},
                              200, lambda: self.churn.__setitem__(name, port))
        return self.write("delete", name, "DELETE", path, None, 204,
                          lambda: self.churn.__setitem__(name, None))

    def check(self):
        status, config = self.api.call("GET", "/v1/config")
        if status != 200:
            return False
        have = {s["name"]: s for s in config["services"]}
        bad = []
        for name in ("churn-%d" % i for i in range(CHURN)):
            got = have[name]["port"] if name in have else None
            if name in self.uncertain:
                self.churn[name] = got
                self.uncertain.discard(name)
            elif got != self.churn.get(name):
                kind = "LOST" if self.churn.get(name) is not None or \
                    got is None else "PHANTOM"
                bad.append("%s %s want %s got %s"
                           % (kind, name, self.churn.get(name), got))
        for svc in self.traffic:
            for b in have[svc]["backends"]:
                key = (svc, b["ip"])
                weight = b.get("weight", 100)    # the schema's default
                if key in self.uncertain:
                    self.weights[key] = weight
                    self.uncertain.discard(key)
                elif key in self.weights and self.weights[key] != weight:
                    bad.append("LOST %s/%s weight want %d got %d"
                               % (svc, b["ip"], self.weights[key], weight))
        self.counts["checks"] += 1
        self.counts["mismatches"] += len(bad)
        for line in bad:
            print("check %.3f %s" % (time.time(), line))
        if not bad:
            print("check %.3f ok %d" % (time.time(), len(have)))
        return True


def main():
    url, stop, pause = sys.argv[1], sys.argv[4], sys.argv[5]
    traffic = [s for s in sys.argv[2].split(",") if s]
    writer = Writer(Api(url), traffic, sys.argv[3].split(","))
    must_check = True
    since_check = 0
    while not os.path.exists(stop):
        if os.path.exists(pause):
            open(pause + ".ack", "w").close()
            while os.path.exists(pause) and not os.path.exists(stop):
                time.sleep(0.05)
            os.unlink(pause + ".ack")
            continue
        if must_check or since_check >= 100:
            if writer.check():
                must_check, since_check = False, 0
            else:
                time.sleep(0.1)     # dsrd is away: try again shortly
                continue
        # A burst of writes, then a pause.
        for _ in range(random.randint(1, 20)):
            if writer.one_write() == "error":
                must_check = True
                break
            since_check += 1
        time.sleep(random.uniform(0, 0.3))
    while not writer.check():
        time.sleep(0.1)
    print("writes %(writes)d acked %(acked)d cut %(cut)d unexpected "
          "%(unexpected)d checks %(checks)d mismatches %(mismatches)d"
          % writer.counts, flush=True)


if __name__ == "__main__":
    main()
