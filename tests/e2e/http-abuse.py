#!/usr/bin/env python3
"""Abusive HTTP clients for http-abuse.sh.

usage: http-abuse.py MODE N PORT SECONDS ADDR...

Connects to 127.0.0.1:PORT from the ADDRs in turn (any 127/8 address is
a distinct client address on loopback) and, for up to SECONDS:
  idle        holds N connections that send nothing; reopens those the
              server closes, at most $REOPEN_PER_S (default 1000) a
              second, as slowloris tools do (they pace their connects).
              It holds them until SIGTERM, so that the test can check
              the server while they are held: SECONDS is only a safety
              net for a test that never stops it (it then fails).  It
              prints what happened so far, as below, a few times a
              second.
  slowloris   N connections dribble a request head, one byte per 0.5 s,
              never finishing it
  big-headers N requests whose head carries a 1 MiB header
  big-body    N requests announcing a 1 GiB body: the even ones send
              "Expect: 100-continue" and wait for the answer, as curl
              does; the odd ones send the body at once ("blast")
Prints one JSON object of what happened.
"""
import json
import os
import select
import signal
import socket
import sys
import time

mode, n, port, seconds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), \
    float(sys.argv[4])
addrs = sys.argv[5:]
start = time.monotonic()
stats = {"mode": mode, "opened": 0, "closed_by_server": 0,
         "connect_errors": 0, "statuses": {}, "lifetimes_max_s": 0.0}


def connect(i):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setblocking(False)
    s.bind((addrs[i % len(addrs)], 0))
    s.connect_ex(("127.0.0.1", port))
    stats["opened"] += 1
    return s


def status_of(data):
    line = data.split(b"\r\n", 1)[0].split()
    return line[1].decode() if len(line) > 1 else "closed"


def count_status(status):
    stats["statuses"][status] = stats["statuses"].get(status, 0) + 1


def run_idle():
    ep = select.epoll()
    socks = {}

    def hold(i):
        """Opens connection 'i' and watches for the server closing it."""
        try:
            s = connect(i)
        except OSError:
            stats["connect_errors"] += 1
            return
        socks[s.fileno()] = (s, i)
        ep.register(s.fileno(), select.EPOLLIN | select.EPOLLRDHUP)

    for i in range(n):
        hold(i)
    stats["connected_at_start"] = len(socks)
    print("ready", flush=True)
    rate = float(os.environ.get("REOPEN_PER_S", "1000"))
    closed = []
    budget, last = 0.0, time.monotonic()
    reported, reported_at = None, 0.0
    while not stopped:
        if time.monotonic() - start >= seconds:
            print("idle: not stopped within %g s" % seconds,
                  file=sys.stderr)
            return False
        for fd, _ in ep.poll(0.01):
            s, i = socks.pop(fd)
            ep.unregister(fd)
            s.close()
            stats["closed_by_server"] += 1
            closed.append(i)
        now = time.monotonic()
        budget = min(budget + (now - last) * rate, rate)
        last = now
        while closed and budget >= 1:
            hold(closed.pop())
            budget -= 1
        stats["open_at_end"] = len(socks)
        if now - reported_at >= 0.2:
            report = json.dumps(stats)
            if report != reported:
                print(report, flush=True)
            reported, reported_at = report, now
    return True


def run_slowloris():
    head = b"GET /v1/status HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 100000
    conns = []
    for i in range(n):
        conns.append({"s": connect(i), "sent": 0, "t0": time.monotonic(),
                      "open": True})
    while time.monotonic() - start < seconds and any(c["open"]
                                                      for c in conns):
        for c in conns:
            if not c["open"]:
                continue
            try:
                c["s"].send(head[c["sent"]:c["sent"] + 1])
                c["sent"] += 1
                r, _, _ = select.select([c["s"]], [], [], 0)
                closed = bool(r) and not c["s"].recv(4096)
            except (BlockingIOError, InterruptedError):
                closed = False
            except OSError:
                closed = True
            if closed:
                c["open"] = False
                stats["closed_by_server"] += 1
                stats["lifetimes_max_s"] = max(stats["lifetimes_max_s"],
                                               time.monotonic() - c["t0"])
        time.sleep(0.5)
    stats["open_at_end"] = sum(c["open"] for c in conns)


def send_and_read(head, body_size, wait=False):
    """Sends 'head' then up to 'body_size' bytes of body, stopping as soon
    as the server answers (with 'wait', sending nothing until it does);
    returns the status and the answer."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((addrs[stats["opened"] % len(addrs)], 0))
    s.settimeout(seconds)
    s.connect(("127.0.0.1", port))
    stats["opened"] += 1
    data = b""
    chunk = b"x" * 65536
    try:
        s.sendall(head)
        sent = 0
        while sent < body_size:
            r, _, _ = select.select([s], [], [], seconds if wait else 0)
            if r:
                break
            sent += s.send(chunk)
        stats["body_bytes_sent_max"] = max(
            stats.get("body_bytes_sent_max", 0), sent)
        while True:
            part = s.recv(65536)
            if not part:
                break
            data += part
    except OSError:
        pass
    s.close()
    return status_of(data), data


def run_big(kind):
    for i in range(n):
        if kind == "big-headers":
            head = (b"GET /v1/status HTTP/1.1\r\nHost: x\r\nX-Big: "
                    + b"a" * (1 << 20) + b"\r\n\r\n")
            status, data = send_and_read(head, 0)
            count_status(status)
            continue
        wait = i % 2 == 0
        head = (b"POST /v1/services HTTP/1.1\r\nHost: x\r\n"
                b"Content-Type: application/json\r\n"
                + (b"Expect: 100-continue\r\n" if wait else b"")
                + b"Content-Length: 1073741824\r\n\r\n")
        status, data = send_and_read(head, 1 << 30, wait)
        if wait:
            count_status(status)
            body = data.split(b"\r\n\r\n", 1)[-1]
            stats["last_body"] = body.decode(errors="replace")
        else:
            # The server closes with the body unread, which may reset the
            # connection before its answer is read: either is fine.
            blast = stats.setdefault("blast_statuses", {})
            blast[status] = blast.get(status, 0) + 1


stopped = False


def stop(signum, frame):
    global stopped
    stopped = True


ok = True
if mode == "idle":
    signal.signal(signal.SIGTERM, stop)
    ok = run_idle()
elif mode == "slowloris":
    print("ready", flush=True)
    run_slowloris()
elif mode in ("big-headers", "big-body"):
    print("ready", flush=True)
    run_big(mode)
else:
    sys.exit("unknown mode " + mode)
stats["seconds"] = round(time.monotonic() - start, 2)
print(json.dumps(stats))
sys.exit(0 if ok else 1)
