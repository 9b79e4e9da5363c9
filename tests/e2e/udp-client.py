#!/usr/bin/python3
"""Sends COUNT UDP datagrams to VIP:PORT, each from a new socket (a new
source port, so a new 5-tuple), and prints the name of the backend that
answered each, "timeout", or "wrong-source ADDR" when the reply did not
come from the VIP (DSR replies must).

usage: udp-client.py VIP PORT COUNT
"""
import socket
import sys


def main():
    vip, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    for i in range(count):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.settimeout(2)
            sock.sendto(b"ping %d" % i, (vip, port))
            try:
                data, peer = sock.recvfrom(2048)
            except socket.timeout:
                print("timeout")
                continue
            if peer != (vip, port):
                print("wrong-source %s:%d" % peer)
            else:
                print(data.split()[0].decode())


if __name__ == "__main__":
    main()
