#!/usr/bin/python3
"""A UDP echo-style server for DSR backends: answers each datagram with
"NAME DATAGRAM" and logs the client's address.  It binds to the VIP so
that replies leave from the VIP, as DSR requires (a socket bound to
0.0.0.0 would answer from the real IP).

usage: udp-backend.py NAME LOGFILE VIP PORT
"""
import socket
import sys


def main():
    name, log_path = sys.argv[1], sys.argv[2]
    vip, port = sys.argv[3], int(sys.argv[4])
    log = open(log_path, "a", buffering=1)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((vip, port))
    while True:
        data, peer = sock.recvfrom(2048)
        sock.sendto(name.encode() + b" " + data, peer)
        log.write(f"{peer[0]} {port}\n")


if __name__ == "__main__":
    main()
