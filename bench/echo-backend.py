#!/usr/bin/python3
"""A TCP echo server for long-lived-connection benchmarks: greets every
connection with its NAME and a newline, then echoes whatever it gets.

usage: echo-backend.py NAME PORT
"""
import asyncio
import sys


async def serve(name, reader, writer):
    writer.write(name.encode() + b"\n")
    try:
        while data := await reader.read(4096):
            writer.write(data)
            await writer.drain()
    except OSError:
        pass
    writer.close()


async def main():
    name, port = sys.argv[1], int(sys.argv[2])
    server = await asyncio.start_server(
        lambda r, w: serve(name, r, w), "0.0.0.0", port, backlog=4096)
    async with server:
        await server.serve_forever()


asyncio.run(main())
