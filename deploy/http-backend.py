#!/usr/bin/python3
"""A tiny HTTP server for DSR backends: answers every GET with its name
and logs each client's address, so tests and the demo can see who
answered and that the client's real IP arrived (DSR is transparent).
If LOGFILE.status exists, it answers with the status code written there
(to play a backend that returns 503).  With CERT and KEY in the
environment (PEM files), it serves HTTPS.  BIND in the environment is the
address to listen on (default 0.0.0.0; "::" listens for IPv6 only, so
that another instance can take IPv4 on the same port and log apart).

usage: http-backend.py NAME LOGFILE PORT [PORT...]
"""
import http.server
import os
import socket
import ssl
import sys
import threading


def main():
    name, log_path, ports = sys.argv[1], sys.argv[2], sys.argv[3:]
    log = open(log_path, "a", buffering=1)
    lock = threading.Lock()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"

        def answer(self, with_body):
            body = f"{name}\n".encode()
            try:
                with open(log_path + ".status") as f:
                    status = int(f.read().strip() or 200)
            except (OSError, ValueError):
                status = 200
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if with_body:
                self.wfile.write(body)
                with lock:
                    log.write(f"{self.client_address[0]} "
                              f"{self.server.server_address[1]} "
                              f"{self.path}\n")

        def do_GET(self):
            self.answer(True)

        def do_HEAD(self):      # health checks with "method": "HEAD"
            self.answer(False)

        def log_message(self, *args):
            pass

    class Server4(http.server.ThreadingHTTPServer):
        # socketserver's default backlog of 5 drops SYNs from a burst of
        # new connections long before a real server would (nginx: 511).
        request_queue_size = 511

    class Server6(Server4):
        address_family = socket.AF_INET6

        def server_bind(self):
            self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            super().server_bind()

    bind = os.environ.get("BIND", "0.0.0.0")
    server_class = Server6 if ":" in bind else Server4
    servers = [server_class((bind, int(p)), Handler) for p in ports]
    if os.environ.get("CERT"):
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(os.environ["CERT"], os.environ["KEY"])
        for server in servers:
            server.socket = context.wrap_socket(server.socket,
                                                server_side=True)
    for server in servers[1:]:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    servers[0].serve_forever()


if __name__ == "__main__":
    main()
