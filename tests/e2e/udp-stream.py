#!/usr/bin/python3
"""A UDP packet stream with sequence numbers: every PERIOD_MS one datagram
from each of SOCKETS sockets (so several 5-tuples) to VIP:PORT, for
DURATION seconds, or until SIGTERM; the echo backends answer each.
Prints "sent N lost M" and the lost sequence numbers, waiting a second
for stragglers.

usage: udp-stream.py VIP PORT DURATION PERIOD_MS SOCKETS
"""
import select
import signal
import socket
import sys
import time


def main():
    vip, port = sys.argv[1], int(sys.argv[2])
    duration, period = float(sys.argv[3]), float(sys.argv[4]) / 1000
    socks = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
             for _ in range(int(sys.argv[5]))]
    for s in socks:
        s.setblocking(False)
    sent, got = set(), set()
    seq = 0
    end = time.time() + duration

    def stop(signum, frame):
        nonlocal end
        end = 0

    signal.signal(signal.SIGTERM, stop)

    def drain(timeout):
        r, _, _ = select.select(socks, [], [], timeout)
        for s in r:
            while True:
                try:
                    data = s.recv(2048)
                except BlockingIOError:
                    break
                got.add(int(data.split()[-1]))

    tick = time.time()
    while tick < end:
        for s in socks:
            s.sendto(b"seq %d" % seq, (vip, port))
            sent.add(seq)
            seq += 1
        tick += period
        while time.time() < tick:
            drain(max(0, tick - time.time()))
    deadline = time.time() + 1
    while time.time() < deadline and sent - got:
        drain(0.05)
    lost = sorted(sent - got)
    print("sent %d lost %d %s" % (len(sent), len(lost), lost[:20]))


if __name__ == "__main__":
    main()
