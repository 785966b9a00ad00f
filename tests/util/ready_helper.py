#!/usr/bin/env python3
"""A service that becomes ready after a delay by one mechanism (issue 14's tests).

    ready_helper.py STAMPS MODE DELAY [ARG]

MODE: notify | fd N | tcp PORT | http PORT [STATUS] | log | file PATH | never.
Appends `spawn <time>` to STAMPS at start and `ready <time>` just before it signals
readiness (wall-clock seconds), then serves until killed.
"""
import os
import socket
import sys
import time


def stamp(path, what):
    with open(path, "a") as f:
        f.write("%s %.6f\n" % (what, time.time()))


def serve_tcp(port, http_status=None):
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", port))
    srv.listen(16)
    return srv


def main():
    stamps, mode, delay = sys.argv[1], sys.argv[2], float(sys.argv[3])
    arg = sys.argv[4] if len(sys.argv) > 4 else None
    stamp(stamps, "spawn")
    time.sleep(delay)
    srv = None
    status = None
    if mode == "notify":
        path = os.environ["NOTIFY_SOCKET"]
        if path.startswith("@"):
            path = "\0" + path[1:]
        s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        s.sendto(b"STATUS=warming up", path)
        stamp(stamps, "ready")
        s.sendto(b"STATUS=serving\nREADY=1", path)
    elif mode == "fd":
        stamp(stamps, "ready")
        os.write(int(arg), b"\n")
    elif mode in ("tcp", "http"):
        if mode == "http" and len(sys.argv) > 5:
            status = sys.argv[5]
        stamp(stamps, "ready")
        srv = serve_tcp(int(arg))
    elif mode == "log":
        stamp(stamps, "ready")
        print("server listening on 8080", flush=True)
    elif mode == "file":
        stamp(stamps, "ready")
        open(arg, "w").close()
    while True:
        if srv is None:
            time.sleep(3600)
            continue
        conn, _ = srv.accept()
        if mode == "http":
            conn.recv(4096)
            code = status or "200"
            conn.sendall(("HTTP/1.0 %s X\r\nContent-Length: 0\r\n\r\n" % code).encode())
        conn.close()


main()
