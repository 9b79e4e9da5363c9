#!/usr/bin/python3
"""Opens one connection per source port to VIP:PORT and prints, for each,
"PROTO CLIENT_IP:SPORT BACKEND" ("[IPv6]:SPORT" for IPv6): TCP sends an HTTP GET and takes the name
from the answer (deploy/http-backend.py), UDP sends a datagram and takes
the first word of the reply (deploy/udp-backend.py); "timeout" when no
answer came.  With --hold, TCP connections stay open until the client is killed
(established connections, pinned in conntrack).

usage: trace-client.py tcp|udp CLIENT_IP VIP PORT FIRST_SPORT COUNT [--hold]
"""
import signal
import socket
import sys


def family(address):
    return socket.AF_INET6 if ":" in address else socket.AF_INET


def tcp_one(client, sport, vip, port, hold):
    sock = socket.socket(family(client), socket.SOCK_STREAM)
    sock.settimeout(5)
    sock.bind((client, sport))
    try:
        sock.connect((vip, port))
        sock.sendall(b"GET /trace HTTP/1.1\r\nHost: %s\r\n\r\n"
                     % (b"[%s]" % vip.encode() if ":" in vip
                        else vip.encode()))
        data = b""
        while b"\r\n\r\n" not in data or not data.split(b"\r\n\r\n")[1]:
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
        name = data.split(b"\r\n\r\n", 1)[1].split()[0].decode()
    except (OSError, IndexError):
        name = "timeout"
    if hold:
        return name, sock
    sock.close()
    return name, None


def udp_one(client, sport, vip, port):
    with socket.socket(family(client), socket.SOCK_DGRAM) as sock:
        sock.settimeout(2)
        sock.bind((client, sport))
        for attempt in range(3):
            sock.sendto(b"trace %d" % sport, (vip, port))
            try:
                data, peer = sock.recvfrom(2048)
                return data.split()[0].decode()
            except socket.timeout:
                continue
    return "timeout"


def main():
    proto, client, vip = sys.argv[1], sys.argv[2], sys.argv[3]
    port, first, count = (int(x) for x in sys.argv[4:7])
    hold = "--hold" in sys.argv[7:]
    held = []
    for sport in range(first, first + count):
        if proto == "tcp":
            name, sock = tcp_one(client, sport, vip, port, hold)
            if sock:
                held.append(sock)
        else:
            name = udp_one(client, sport, vip, port)
        shown = "[%s]" % client if ":" in client else client
        print("%s %s:%d %s" % (proto, shown, sport, name), flush=True)
    if hold:
        signal.pause()


if __name__ == "__main__":
    main()
