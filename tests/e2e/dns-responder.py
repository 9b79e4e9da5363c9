#!/usr/bin/python3
"""A minimal DNS responder for the DSR-path probe tests: answers every
query with an empty response (the query, QR set), one plain UDP socket
per ADDR, each replying with sendto() and no IP_PKTINFO.  Bound to
0.0.0.0 it is the classic DSR mistake: the kernel picks the reply's
source address by route, the backend's real IP, not the VIP the client
asked; bound to the VIP (and the real IP, for plain checks) it is right.

usage: dns-responder.py PORT ADDR...
"""
import select
import socket
import sys


def main():
    port = int(sys.argv[1])
    socks = []
    for addr in sys.argv[2:]:
        family = socket.AF_INET6 if ":" in addr else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_DGRAM)
        sock.bind((addr, port))
        socks.append(sock)
    while True:
        for sock in select.select(socks, [], [])[0]:
            query, peer = sock.recvfrom(2048)
            if len(query) >= 12:
                sock.sendto(query[:2] + bytes([query[2] | 0x80, 0x80])
                            + query[4:], peer)


if __name__ == "__main__":
    main()
