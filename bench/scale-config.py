#!/usr/bin/python3
"""The configuration of the scale benchmarks (bench/scale.sh,
bench/announce.sh): N TCP services, a VIP each (10.100.0.0 up), PER
backends each with their MACs given (172.16.0.0 up), on bridge br0.

usage: scale-config.py N PER [--bgp] [--one-backend I]
  --bgp            announce the VIPs by BGP (table 100, no hold-down)
  --one-backend I  service svc-I keeps only its first backend
"""
import argparse
import json


def main():
    p = argparse.ArgumentParser()
    p.add_argument("n", type=int)
    p.add_argument("per", type=int)
    p.add_argument("--bgp", action="store_true")
    p.add_argument("--one-backend", type=int, default=-1)
    args = p.parse_args()
    services = []
    for i in range(args.n):
        backends = []
        for j in range(args.per):
            k = i * args.per + j
            backends.append({
                "ip": "172.%d.%d.%d" % (16 + (k >> 16), (k >> 8) & 255,
                                        k & 255),
                "mac": "02:00:%02x:%02x:%02x:%02x" % (
                    k >> 24, (k >> 16) & 255, (k >> 8) & 255, k & 255)})
        if i == args.one_backend:
            backends = backends[:1]
        services.append({"name": "svc-%d" % i,
                         "vip": "10.%d.%d.%d" % (100 + (i >> 16),
                                                 (i >> 8) & 255, i & 255),
                         "protocol": "tcp", "port": 80,
                         "backends": backends})
    # The whole config read back (ids, versions and slots included) is
    # about 6 KB a service: PUT /v1/config needs a body limit above the
    # 16 MiB default at 10,000 services.
    cfg = {"bridges": [{"name": "br0", "mac": "02:d5:d5:00:00:01"}],
           "limits": {"max_services": max(args.n, 10000),
                      "max_body_bytes": max(16 << 20, args.n * 8192)},
           "services": services}
    if args.bgp:
        cfg["announce"] = {"mode": "bgp", "table": 100, "hold_down_ms": 0}
    print(json.dumps(cfg))


if __name__ == "__main__":
    main()
