#!/usr/bin/env python3
"""Reload timings with N configured, autostart=false programs (issue 9 §5), stdlib only.

  reload.py --supervisord CMD [--n 10000] [--layout programs|numprocs] [--reps 3]

Prints one JSON object: start-up until getState answers RUNNING, `reloadConfig` wall time,
SIGHUP until the daemon answers again with all N programs, and getAllProcessInfo wall time.
"""
import argparse, json, os, shlex, signal, socket, statistics, subprocess, tempfile, time


def call(sock, method):
    body = (f"<?xml version='1.0'?>\n<methodCall>\n<methodName>{method}</methodName>\n"
            f"<params>\n</params>\n</methodCall>\n").encode()
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(120)
    s.connect(sock)
    s.sendall(b"POST /RPC2 HTTP/1.0\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
    out = []
    while True:
        b = s.recv(1 << 20)
        if not b:
            break
        out.append(b)
    s.close()
    return b"".join(out)


def wait_up(sock, deadline):
    while time.monotonic() < deadline:
        try:
            if b"RUNNING" in call(sock, "supervisor.getState"):
                return
        except OSError:
            pass
        time.sleep(0.01)
    raise RuntimeError("daemon not up")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--supervisord", required=True)
    ap.add_argument("--n", type=int, default=10000)
    ap.add_argument("--layout", choices=["programs", "numprocs"], default="programs")
    ap.add_argument("--reps", type=int, default=3)
    a = ap.parse_args()
    d = tempfile.mkdtemp(prefix="reload-")
    sock = os.path.join(d, "s.sock")
    conf = os.path.join(d, "supervisord.conf")
    if a.layout == "numprocs":
        progs = (f"[program:x]\ncommand=sleep 100000\nautostart=false\nnumprocs={a.n}\n"
                 "process_name=%(program_name)s_%(process_num)d\n")
    else:
        progs = "".join(f"[program:p{i}]\ncommand=sleep 100000\nautostart=false\n" for i in range(a.n))
    with open(conf, "w") as f:
        f.write(f"[unix_http_server]\nfile={sock}\n[supervisord]\nlogfile={d}/supervisord.log\n"
                f"pidfile={d}/supervisord.pid\nchildlogdir={d}\nloglevel=warn\n"
                "[rpcinterface:supervisor]\n"
                "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n"
                + progs)
    t0 = time.monotonic()
    p = subprocess.Popen(shlex.split(a.supervisord) + ["-n", "-c", conf],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=d)
    out = {"n": a.n, "layout": a.layout}
    try:
        wait_up(sock, time.monotonic() + 600)
        out["startup_s"] = round(time.monotonic() - t0, 3)
        info, rel, hup = [], [], []
        for _ in range(a.reps):
            t = time.monotonic()
            n = call(sock, "supervisor.getAllProcessInfo").count(b"<name>name</name>")
            info.append(time.monotonic() - t)
            if n != a.n:
                raise RuntimeError(f"{n} programs, not {a.n}")
            t = time.monotonic()
            if b"<array>" not in call(sock, "supervisor.reloadConfig"):
                raise RuntimeError("reloadConfig failed")
            rel.append(time.monotonic() - t)
            t = time.monotonic()
            os.kill(p.pid, signal.SIGHUP)
            time.sleep(0.05)  # the old loop must see the signal before we probe
            deadline = time.monotonic() + 600
            while time.monotonic() < deadline:
                try:
                    if call(sock, "supervisor.getAllProcessInfo").count(b"<name>name</name>") == a.n:
                        break
                except OSError:
                    pass
                time.sleep(0.01)
            hup.append(time.monotonic() - t)
        out["getAllProcessInfo_s"] = round(statistics.median(info), 3)
        out["reloadConfig_s"] = round(statistics.median(rel), 3)
        out["sighup_reload_s"] = round(statistics.median(hup), 3)
    finally:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(120)
        except subprocess.TimeoutExpired:
            p.kill()
        subprocess.run(["rm", "-rf", d])
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
