#!/usr/bin/python3
"""Sends COUNT UDP datagrams to VIP:PORT, each from a new socket (a new
source port, so a new 5-tuple), and prints the name of the backend that
answered each, "timeout", or "wrong-source ADDR" when the reply did not
come from the VIP (DSR replies must).  A reply may take up to 30 s (an
emulated guest on a busy host is slow; a lost datagram still shows as
"timeout"); those slower than a second are counted on stderr.

usage: udp-client.py VIP PORT COUNT   (VIP IPv4 or IPv6)
"""
import socket
import sys
import time


def main():
    vip, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    slow = 0
    family = socket.AF_INET6 if ":" in vip else socket.AF_INET
    for i in range(count):
        with socket.socket(family, socket.SOCK_DGRAM) as sock:
            sock.settimeout(30)
            start = time.monotonic()
            sock.sendto(b"ping %d" % i, (vip, port))
            try:
                data, peer = sock.recvfrom(2048)
            except socket.timeout:
                print("timeout")
                continue
            slow += time.monotonic() - start > 1
            if peer[:2] != (vip, port):
                print("wrong-source %s:%d" % peer[:2])
            else:
                print(data.split()[0].decode())
    if slow:
        print("%d of %d replies took more than a second" % (slow, count),
              file=sys.stderr)


if __name__ == "__main__":
    main()
