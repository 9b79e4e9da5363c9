#!/usr/bin/python3
"""Starts a short HTTP request on a new TCP connection (a new 5-tuple, so
a new hash) every PERIOD milliseconds for DURATION seconds, whatever the
earlier ones are doing, and prints one line per request: "START_TIME OK
HOW" (wall-clock seconds, 1 or 0, and "answered", "timeout" when no
answer came within TIMEOUT, or the error that ended it, "reset" say).
Starting at a fixed rate, even while requests hang on a dead backend,
makes the last failed start mark when new connections stopped going to
it.  SIGTERM ends it early (the requests
under way finish, and it prints as usual).

usage: failover_client.py VIP DURATION TIMEOUT PERIOD_MS
"""
import asyncio
import signal
import sys
import time


async def request(vip, timeout, results):
    start = time.time()
    ok, how = 0, "bad-answer"
    try:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(vip, 80), timeout)
        writer.write(b"GET / HTTP/1.0\r\n\r\n")
        line = await asyncio.wait_for(reader.read(64), timeout)
        if line.startswith(b"HTTP/1.0 200"):
            ok, how = 1, "answered"
        writer.close()
    except asyncio.TimeoutError:
        how = "timeout"
    except ConnectionResetError:
        how = "reset"
    except OSError as e:
        how = type(e).__name__
    results.append("%.6f %d %s" % (start, ok, how))


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
