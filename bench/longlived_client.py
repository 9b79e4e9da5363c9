#!/usr/bin/python3
"""Holds N long-lived TCP connections to VIP:PORT for DURATION seconds,
each sending a line every second and expecting it echoed, and prints one
line per connection: "BACKEND OK|BROKEN SECONDS" (the backend's greeting;
BROKEN with the time the connection broke, measured from the start).

usage: longlived_client.py VIP PORT N DURATION
"""
import asyncio
import sys
import time


async def hold(vip, port, duration, start, out):
    name, state = "?", "BROKEN"
    when = 0.0
    try:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(vip, port), 5)
        name = (await asyncio.wait_for(reader.readline(), 5)).decode().strip()
        while time.time() - start < duration:
            writer.write(b"ping\n")
            line = await asyncio.wait_for(reader.readline(), 3)
            if line != b"ping\n":
                raise ConnectionError("bad echo")
            await asyncio.sleep(1)
        state = "OK"
        writer.close()
    except (OSError, asyncio.TimeoutError, ConnectionError):
        when = time.time() - start
    out.append(f"{name} {state} {when:.1f}")


async def main():
    vip, port, n, duration = (sys.argv[1], int(sys.argv[2]),
                              int(sys.argv[3]), float(sys.argv[4]))
    start, out, tasks = time.time(), [], []
    for _ in range(n):
        tasks.append(asyncio.create_task(hold(vip, port, duration, start,
                                              out)))
        await asyncio.sleep(0.002)      # 500 new connections a second
    await asyncio.gather(*tasks)
    print("\n".join(out))


asyncio.run(main())
