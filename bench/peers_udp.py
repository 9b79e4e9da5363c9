#!/usr/bin/python3
"""UDP request/response load for bench/peers.sh, both ends.

  peers_udp.py server RESPONSE_BYTES LIFETIME ADDR... PORT
      answers every datagram with RESPONSE_BYTES bytes that begin with the
      request's first 8 (its sequence number); one socket per ADDR, so
      that an answer to the VIP leaves from the VIP, as DSR needs; exits
      after LIFETIME seconds.
  peers_udp.py client ADDR PORT SECONDS WINDOW REQUEST_BYTES
      keeps WINDOW requests outstanding for SECONDS (a new one for each
      answer; after 200 ms without an answer, the outstanding ones count
      as lost and WINDOW new ones go); prints
      "ANSWERED BYTES_RECEIVED LOST ELAPSED_SECONDS".
"""
import selectors
import socket
import struct
import sys
import time


def server(size, lifetime, addrs):
    sel = selectors.DefaultSelector()
    port = int(addrs[-1])
    for addr in addrs[:-1]:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind((addr, port))
        sel.register(sock, selectors.EVENT_READ)
    pad = b"\0" * max(0, size - 8)
    end = time.monotonic() + lifetime
    while time.monotonic() < end:
        for key, _ in sel.select(timeout=1):
            try:
                data, peer = key.fileobj.recvfrom(2048)
                key.fileobj.sendto(data[:8] + pad, peer)
            except OSError:
                pass


def client(addr, port, seconds, window, size):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.connect((addr, port))
    sock.settimeout(0.2)
    pad = b"\0" * max(0, size - 8)
    seq = 0
    outstanding = set()
    answered = received = lost = 0

    def send():
        nonlocal seq
        seq += 1
        outstanding.add(seq)
        try:
            sock.send(struct.pack("!Q", seq) + pad)
        except OSError:   # an earlier ICMP port unreachable
            pass

    start = time.monotonic()
    end = start + seconds
    for _ in range(window):
        send()
    while time.monotonic() < end:
        try:
            data = sock.recv(65536)
        except (socket.timeout, OSError):
            lost += len(outstanding)
            outstanding.clear()
            for _ in range(window):
                send()
            continue
        n = struct.unpack("!Q", data[:8])[0] if len(data) >= 8 else 0
        if n in outstanding:        # late answers to lost ones: ignored
            outstanding.discard(n)
            answered += 1
            received += len(data)
            send()
    print(answered, received, lost, f"{time.monotonic() - start:.3f}")


def main():
    if sys.argv[1] == "server":
        server(int(sys.argv[2]), float(sys.argv[3]), sys.argv[4:])
    else:
        client(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]),
               int(sys.argv[5]), int(sys.argv[6]))


if __name__ == "__main__":
    main()
