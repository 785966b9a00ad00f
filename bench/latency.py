#!/usr/bin/env python3
"""Latency figures of issue 16 §3, beside supbench.py's table (stdlib only).

  latency.py --supervisord CMD --supervisorctl CMD [--n 1000] [--reps 15]

Starts SUPERVISORD with N idle programs (sleep, startsecs=0) on a unix socket and prints
one JSON object:
  ctl_status_ms            median wall time of `SUPERVISORCTL status` (all N listed)
  getAllProcessInfo_daemon_ms  daemon CPU per raw getAllProcessInfo call (median of batches)
  getState_per_s           getState calls per second on ONE keep-alive HTTP/1.1 connection,
                           raw requests, answers read by Content-Length (no XML parsing)
  getPID_during_2MiB_ms    worst wait of getPID calls sent while another connection's
                           2 MiB request is being parsed
"""
import argparse, json, os, shlex, signal, socket, statistics, subprocess, sys, tempfile
import threading, time


def proc_cpu(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def call_body(method, params_xml=""):
    return (f"<?xml version='1.0'?>\n<methodCall>\n<methodName>{method}</methodName>\n"
            f"<params>\n{params_xml}</params>\n</methodCall>\n").encode()


class Conn:
    """One keep-alive HTTP/1.1 connection to the daemon's unix socket."""

    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(30)
        self.s.connect(path)
        self.buf = b""

    def request(self, body):
        return (b"POST /RPC2 HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/xml\r\n"
                b"Content-Length: %d\r\n\r\n" % len(body)) + body

    def read_answer(self):
        while b"\r\n\r\n" not in self.buf:
            self._more()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        length = next(int(l.split(b":")[1]) for l in head.split(b"\r\n")
                      if l.lower().startswith(b"content-length:"))
        while len(self.buf) < length:
            self._more()
        body, self.buf = self.buf[:length], self.buf[length:]
        return body

    def _more(self):
        b = self.s.recv(1 << 20)
        if not b:
            raise RuntimeError("connection closed")
        self.buf += b

    def call(self, body):
        self.s.sendall(self.request(body))
        return self.read_answer()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--supervisord", required=True)
    ap.add_argument("--supervisorctl", required=True)
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--reps", type=int, default=15)
    ap.add_argument("--calls", type=int, default=20000)
    a = ap.parse_args()
    d = tempfile.mkdtemp(prefix="latency-")
    sock = os.path.join(d, "s.sock")
    conf = os.path.join(d, "supervisord.conf")
    with open(conf, "w") as f:
        f.write(f"""[unix_http_server]
file={sock}
[supervisord]
logfile={d}/supervisord.log
pidfile={d}/supervisord.pid
childlogdir={d}
loglevel=warn
minfds={min(20000, 5 * a.n + 1000)}
[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface
[supervisorctl]
serverurl=unix://{sock}
[program:p]
command=sleep 100000
numprocs={a.n}
process_name=%(program_name)s_%(process_num)d
startsecs=0
""")
    p = subprocess.Popen(shlex.split(a.supervisord) + ["-n", "-c", conf],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=d)
    out = {"n": a.n}
    try:
        deadline = time.monotonic() + 120
        get_all = call_body("supervisor.getAllProcessInfo")
        while True:
            try:
                if Conn(sock).call(get_all).count(b"<string>RUNNING</string>") == a.n:
                    break
            except (OSError, RuntimeError, StopIteration):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("programs not RUNNING in 120 s")
            time.sleep(0.05)

        walls = []
        for _ in range(a.reps):
            t = time.monotonic()
            r = subprocess.run(shlex.split(a.supervisorctl) + ["-c", conf, "status"],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            walls.append(time.monotonic() - t)
            if r.stdout.count(b"RUNNING") != a.n:
                raise RuntimeError("status output unexpected: " + r.stdout.decode()[:300])
        out["ctl_status_ms"] = round(statistics.median(walls) * 1000, 1)

        c = Conn(sock)
        per_call = []
        for _ in range(a.reps):
            c0 = proc_cpu(p.pid)
            for _ in range(20):
                c.call(get_all)
            per_call.append((proc_cpu(p.pid) - c0) / 20)
        out["getAllProcessInfo_daemon_ms"] = round(statistics.median(per_call) * 1000, 2)

        body = call_body("supervisor.getState")
        req = c.request(body)
        rates = []
        for _ in range(3):
            t = time.monotonic()
            for _ in range(a.calls // 3):
                c.s.sendall(req)
                c.read_answer()
            rates.append(a.calls // 3 / (time.monotonic() - t))
        out["getState_per_s"] = round(statistics.median(rates))

        # 2 MiB of <int> params: a request that really costs parsing
        value = "<value><array><data>\n" + "<value><int>1</int></value>\n" * 74000 + "</data></array></value>"
        big = call_body("supervisor.getPID", f"<param>\n{value}\n</param>\n")
        waits = []
        for _ in range(5):
            bigc = Conn(sock)
            small = Conn(sock)
            pid_req = small.request(call_body("supervisor.getPID"))
            done = threading.Event()
            worst = [0.0]

            def probe():
                while not done.is_set():
                    t = time.monotonic()
                    small.s.sendall(pid_req)
                    small.read_answer()
                    worst[0] = max(worst[0], time.monotonic() - t)

            th = threading.Thread(target=probe)
            th.start()
            bigc.s.sendall(bigc.request(big))
            bigc.read_answer()
            done.set()
            th.join()
            waits.append(worst[0])
        out["big_request_bytes"] = len(big)
        out["getPID_during_2MiB_ms"] = round(statistics.median(waits) * 1000, 1)
    finally:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(60)
        except subprocess.TimeoutExpired:
            p.kill()
        subprocess.run(["rm", "-rf", d])
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    sys.exit(main())
