#!/usr/bin/python3
"""The soak's clients: for DURATION seconds (or until SIGTERM), every
PERIOD_MS one HTTP request on a new TCP connection and one UDP request
from a new socket (so every request is a new flow, hashed afresh), each
to a port picked at random among TCP_PORTS and UDP_PORTS of VIP, and each
carrying its own sequence number.  Prints one line per request once all
are done:

    START END PROTO PORT SEQ OK ANSWER

(wall-clock seconds; OK 1 or 0; ANSWER the backend's name or the error),
so that the soak can match each failure with the event that caused it.

usage: traffic.py VIP TCP_PORTS UDP_PORTS DURATION PERIOD_MS TIMEOUT
       (PORTS as FIRST-LAST)
"""
import asyncio
import random
import signal
import socket
import sys
import time


def port_range(text):
    first, last = map(int, text.split("-"))
    return list(range(first, last + 1))


async def tcp_request(vip, port, seq, timeout):
    reader, writer = await asyncio.wait_for(
        asyncio.open_connection(vip, port), timeout)
    try:
        writer.write(b"GET /%d HTTP/1.0\r\n\r\n" % seq)
        reply = await asyncio.wait_for(reader.read(), timeout)
    finally:
        writer.close()
    if not reply.startswith(b"HTTP/1.0 200"):
        raise OSError("bad reply %r" % reply[:20])
    return reply.split(b"\r\n\r\n", 1)[1].strip().decode()


async def udp_request(vip, port, seq, timeout):
    loop = asyncio.get_running_loop()
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setblocking(False)
    try:
        sock.connect((vip, port))
        payload = b"seq-%d" % seq
        await loop.sock_sendall(sock, payload)
        reply = await asyncio.wait_for(loop.sock_recv(sock, 2048), timeout)
    finally:
        sock.close()
    name, _, echoed = reply.partition(b" ")
    if echoed != payload:
        raise OSError("wrong echo %r" % reply[:40])
    return name.decode()


async def request(proto, vip, port, seq, timeout, results):
    start = time.time()
    call = tcp_request if proto == "tcp" else udp_request
    try:
        answer, ok = await call(vip, port, seq, timeout), 1
    except (OSError, asyncio.TimeoutError) as e:
        answer, ok = type(e).__name__, 0
    results.append("%.3f %.3f %s %d %d %d %s"
                   % (start, time.time(), proto, port, seq, ok, answer))


async def main():
    vip = sys.argv[1]
    tcp_ports, udp_ports = port_range(sys.argv[2]), port_range(sys.argv[3])
    duration, period = float(sys.argv[4]), float(sys.argv[5]) / 1000
    timeout = float(sys.argv[6])
    end = [time.time() + duration]
    asyncio.get_running_loop().add_signal_handler(
        signal.SIGTERM, lambda: end.__setitem__(0, 0))
    results, tasks, seq = [], [], 0
    while time.time() < end[0]:
        for proto, ports in (("tcp", tcp_ports), ("udp", udp_ports)):
            seq += 1
            tasks.append(asyncio.create_task(request(
                proto, vip, random.choice(ports), seq, timeout, results)))
        await asyncio.sleep(period)
    await asyncio.gather(*tasks)
    print("\n".join(sorted(results)))


if __name__ == "__main__":
    asyncio.run(main())
