#!/usr/bin/env python3
"""Runs dsrd on the host for end-to-end tests running inside the VM.

The tests run in the guest (tests/vm/run.sh); dsrd runs here, on the host,
against the guest's OVS (OpenFlow and OVSDB forwarded by qemu to this
namespace's 127.0.0.1).  deploy/sandbox.sh calls this agent instead of
starting dsrd itself when SB_DSRD_AGENT is set.  One directory per test
(the X-Sandbox header names it) holds dsrd's config, state, log, pidfile
and sanitizer reports, as $SB_DIR does for a local dsrd.

  POST /start     body {"config": TEXT or "", "args": "..."}: starts dsrd
  POST /stop      stops dsrd through its control socket and waits for it
  POST /appctl    body ["dsr/show", ...]: ovs-appctl -t dsrd ARGS
  POST /address   body "IP/LEN [FLAG...]": an address of this host on the
                  data link ("2001:db8::5/64 nodad")
  GET  /file/NAME a file of the test's directory (dsrd.log, sanitizer.*)

usage: dsrd-agent.py DSRD LISTEN-PORT WORKDIR   (OpenFlow and OVSDB on
127.0.0.1:6653 and :6640 unless DSR_VM_OPENFLOW / DSR_VM_OVSDB say otherwise)
"""
import glob
import http.server
import json
import os
import re
import shlex
import subprocess
import sys
import time

DSRD, PORT, WORKDIR = sys.argv[1], int(sys.argv[2]), sys.argv[3]
OPENFLOW = os.environ.get("DSR_VM_OPENFLOW", "tcp:127.0.0.1:6653")
OVSDB = os.environ.get("DSR_VM_OVSDB", "tcp:127.0.0.1:6640")


def sandbox_dir(name):
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", name or ""):
        raise ValueError("bad X-Sandbox header")
    d = os.path.join(WORKDIR, name)
    os.makedirs(d, exist_ok=True)
    return d


def env_for(d):
    env = dict(os.environ, OVS_RUNDIR=d, OVS_DBDIR=d, OVS_LOGDIR=d)
    for var, extra in (("ASAN_OPTIONS", ""),
                       ("UBSAN_OPTIONS", ":print_stacktrace=1")):
        old = os.environ.get(var)
        env[var] = "log_path=%s/sanitizer%s%s" % (
            d, extra, ":" + old if old else "")
    return env


def pid_of(d):
    try:
        with open(os.path.join(d, "dsrd.pid")) as f:
            return int(f.read())
    except (OSError, ValueError):
        return None


def alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except OSError:
        return False


def start(d, body):
    req = json.loads(body)
    cmd = [DSRD, "--pidfile=%s/dsrd.pid" % d, "--log-file=%s/dsrd.log" % d,
           "-vconsole:off", "--detach", "--ovsdb=" + OVSDB]
    if req.get("config"):
        cfg = json.loads(req["config"])
        # The guest's bridge is reached through qemu's port forwarding.
        for br in cfg.get("bridges", []):
            br.setdefault("target", OPENFLOW)
        path = os.path.join(d, "dsrd.json")
        with open(path, "w") as f:
            json.dump(cfg, f)
        cmd.append("--config=" + path)
    cmd += shlex.split(req.get("args", ""))
    return subprocess.run(cmd, env=env_for(d), capture_output=True, text=True)


def appctl(d, args):
    return subprocess.run(["ovs-appctl", "-t", "dsrd"] + args,
                          env=env_for(d), capture_output=True, text=True)


def stop(d):
    pid = pid_of(d)
    if not pid or not alive(pid):
        return 0, ""
    r = appctl(d, ["exit"])
    deadline = time.time() + 30
    while alive(pid) and time.time() < deadline:
        time.sleep(0.1)
    return (0 if not alive(pid) else 1), r.stdout + r.stderr


class Handler(http.server.BaseHTTPRequestHandler):
    def reply(self, code, text):
        data = text.encode()
        self.send_response(code)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        try:
            d = sandbox_dir(self.headers.get("X-Sandbox"))
            name = self.path[len("/file/"):]
            if not self.path.startswith("/file/") or "/" in name:
                return self.reply(404, "no such endpoint\n")
            if name == "sanitizers":
                text = ""
                for f in sorted(glob.glob(d + "/sanitizer.*")):
                    text += open(f).read()
                return self.reply(200, text)
            with open(os.path.join(d, name)) as f:
                return self.reply(200, f.read())
        except (OSError, ValueError) as e:
            return self.reply(404, "%s\n" % e)

    def do_POST(self):
        try:
            d = sandbox_dir(self.headers.get("X-Sandbox"))
            n = int(self.headers.get("Content-Length", 0))
            body = self.rfile.read(n).decode()
            if self.path == "/start":
                r = start(d, body)
                return self.reply(200 if r.returncode == 0 else 500,
                                  r.stdout + r.stderr)
            if self.path == "/stop":
                code, text = stop(d)
                return self.reply(200 if code == 0 else 500, text)
            if self.path == "/appctl":
                r = appctl(d, json.loads(body))
                return self.reply(200 if r.returncode == 0 else 500,
                                  r.stdout + r.stderr)
            if self.path == "/address":
                r = subprocess.run(["ip", "addr", "replace"] + body.split()
                                   + ["dev", "vmtap0"],
                                   capture_output=True, text=True)
                return self.reply(200 if r.returncode == 0 else 500,
                                  r.stdout + r.stderr)
            return self.reply(404, "no such endpoint\n")
        except (OSError, ValueError) as e:
            return self.reply(500, "%s\n" % e)

    def log_message(self, fmt, *args):
        pass


http.server.ThreadingHTTPServer(("127.0.0.1", PORT), Handler).serve_forever()
