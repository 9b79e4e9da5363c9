#!/usr/bin/python3
"""Starts a short HTTP request on a new TCP connection (a new 5-tuple, so
a new hash) every PERIOD milliseconds for DURATION seconds, whatever the
earlier ones are doing, and prints one line per request: "START_TIME OK
HOW SECONDS RETRANSMITS".  OK is 1 for an answer within TIMEOUT seconds.
HOW is "answered", "late" (answered after TIMEOUT), "timeout" (no answer
within LATE_FACTOR times TIMEOUT), or the error that ended it ("reset",
say).  RETRANSMITS is how many times the client's kernel resent a
segment of the connection (its SYN, its request): a lost packet on the
way to the backend, where a late answer without one was only slow.
Starting at a fixed rate, even while requests hang on a dead backend,
makes the last failed start mark when new connections stopped going to
it.  SIGTERM ends it early (the requests under way finish, and it prints
as usual).

usage: failover_client.py VIP DURATION TIMEOUT PERIOD_MS
"""
import asyncio
import signal
import socket
import struct
import sys
import time

LATE_FACTOR = 3
# struct tcp_info: 8 bytes of u8 fields, then u32s; tcpi_total_retrans is
# the 24th.
TCPI_TOTAL_RETRANS = 8 + 23 * 4


async def exchange(loop, sock, vip):
    await loop.sock_connect(sock, (vip, 80))
    await loop.sock_sendall(sock, b"GET / HTTP/1.0\r\n\r\n")
    return await loop.sock_recv(sock, 64)


def total_retransmits(sock):
    try:
        info = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO,
                              TCPI_TOTAL_RETRANS + 4)
        return struct.unpack_from("I", info, TCPI_TOTAL_RETRANS)[0]
    except (OSError, struct.error):
        return -1


async def request(vip, timeout, results):
    loop = asyncio.get_running_loop()
    family = socket.AF_INET6 if ":" in vip else socket.AF_INET
    start = time.time()
    how = "bad-answer"
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setblocking(False)
        try:
            answer = await asyncio.wait_for(exchange(loop, sock, vip),
                                            LATE_FACTOR * timeout)
            if answer.startswith(b"HTTP/1.0 200"):
                how = "answered"
        except asyncio.TimeoutError:
            how = "timeout"
        except ConnectionResetError:
            how = "reset"
        except OSError as e:
            how = type(e).__name__
        seconds = time.time() - start
        retransmits = total_retransmits(sock)
    ok = how == "answered" and seconds <= timeout
    if how == "answered" and not ok:
        how = "late"
    results.append("%.6f %d %s %.3f %d"
                   % (start, ok, how, seconds, retransmits))


async def main():
    vip, duration = sys.argv[1], float(sys.argv[2])
    timeout, period = float(sys.argv[3]), float(sys.argv[4]) / 1000
    results, tasks = [], []
    end = [time.time() + duration]
    asyncio.get_running_loop().add_signal_handler(
        signal.SIGTERM, lambda: end.__setitem__(0, 0))
    while time.time() < end[0]:
        tasks.append(asyncio.create_task(request(vip, timeout, results)))
        await asyncio.sleep(period)
    await asyncio.gather(*tasks)
    print("\n".join(sorted(results)))


if __name__ == "__main__":
    asyncio.run(main())
