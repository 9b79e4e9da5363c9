#!/usr/bin/python3
"""A UDP echo-style server for DSR backends: answers each datagram with
"NAME DATAGRAM" and logs the client's address.  It binds to the VIP so
that replies leave from the VIP, as DSR requires (a socket bound to
0.0.0.0 would answer from the real IP).  With several PORTs, one process
serves them all.  VIP may be IPv4 or IPv6.

usage: udp-backend.py NAME LOGFILE VIP PORT [PORT...]
"""
import selectors
import socket
import sys


def main():
    name, log_path, vip = sys.argv[1], sys.argv[2], sys.argv[3]
    log = open(log_path, "a", buffering=1)
    sel = selectors.DefaultSelector()
    for port in map(int, sys.argv[4:]):
        family = socket.AF_INET6 if ":" in vip else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_DGRAM)
        sock.bind((vip, port))
        sel.register(sock, selectors.EVENT_READ, port)
    while True:
        for key, _ in sel.select():
            data, peer = key.fileobj.recvfrom(2048)
            key.fileobj.sendto(name.encode() + b" " + data, peer)
            log.write(f"{peer[0]} {key.data}\n")


if __name__ == "__main__":
    main()
