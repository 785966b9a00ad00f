#!/usr/bin/env python3
"""Two probes beside supbench.py's table (stdlib only, reusing supbench's Daemon helper).

  probes.py [--supbench PATH] memory SUPERVISORD ...
  probes.py [--supbench PATH] restart SUPERVISORD ...

memory: resident memory per program beyond an empty daemon, read from /proc after every
        started program runs: 1,000 programs all running, and 10,000 with 3,000 running
        (issue 16), then again after five raw getAllProcessInfo answers.
restart: a crash of a process that has run over 1 s, to RUNNING again (median/max of 8).
        supbench's `restart` kills right after each respawn, so it measures D10's 1 s
        pacing instead; this is the latency users see after a real crash.
"""
import argparse, importlib.util, os, signal, statistics, time


def load_supbench(path):
    spec = importlib.util.spec_from_file_location("supbench", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        return next(int(l.split()[1]) for l in f if l.startswith("VmRSS:"))


def children(pid):
    n = 0
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                        n += 1
            except OSError:
                pass
    return n


def resident(sb, binary, n, k):
    progs = ""
    if k:
        progs += sb.prog("w", "sleep 100000", numprocs=k, startsecs=1,
                         process_name="%(program_name)s_%(process_num)d")
    if n > k:
        progs += sb.prog("x", "sleep 100000", numprocs=n - k, autostart="false",
                         process_name="%(program_name)s_%(process_num)d")
    d = sb.Daemon(binary, progs, extra_supervisord=f"minfds=19000\nminprocs={k + 200}")
    try:
        deadline = time.monotonic() + 300
        while children(d.p.pid) < k:
            if time.monotonic() > deadline:
                raise RuntimeError(f"not {k} children in 300 s")
            time.sleep(0.2)
        time.sleep(2)
        started = rss_kib(d.p.pid)
        for _ in range(5):
            sb.raw_call(d.sock, sb.GET_ALL)
        time.sleep(0.5)
        return started, rss_kib(d.p.pid)
    finally:
        d.close()


def memory(sb, binary):
    base = resident(sb, binary, 1, 0)[0]
    one_k = resident(sb, binary, 1000, 1000)
    ten_k = resident(sb, binary, 10000, 3000)
    print(f"{binary}: empty {base} KiB; per program beyond it: "
          f"1k all running {(one_k[0] - base) / 1000:.2f} KiB, "
          f"10k/3k running {(ten_k[0] - base) / 10000:.2f} KiB "
          f"({ten_k[0]} KiB), after answers {(ten_k[1] - base) / 10000:.2f} KiB", flush=True)


def restart(sb, binary):
    d = sb.Daemon(binary, sb.prog("r", "sleep 100000", startsecs=0, autorestart="true"))
    try:
        d.wait_all("RUNNING")
        lat = []
        for _ in range(8):
            time.sleep(1.2)  # the probe's pacing: the process has been up over 1 s (D10)
            old = d.rpc.supervisor.getProcessInfo("r")["pid"]
            t = time.monotonic()
            os.kill(old, signal.SIGKILL)
            while True:
                i = d.rpc.supervisor.getProcessInfo("r")
                if i["statename"] == "RUNNING" and i["pid"] not in (0, old):
                    break
                if time.monotonic() - t > 30:
                    raise RuntimeError("no restart in 30 s")
                time.sleep(0.0005)
            lat.append(time.monotonic() - t)
        print(f"{binary}: restart after a crash, median {statistics.median(lat) * 1000:.1f} ms, "
              f"max {max(lat) * 1000:.1f} ms", flush=True)
    finally:
        d.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--supbench", default="../shared/bench/supbench.py")
    ap.add_argument("probe", choices=["memory", "restart"])
    ap.add_argument("supervisord", nargs="+")
    a = ap.parse_args()
    sb = load_supbench(a.supbench)
    for binary in a.supervisord:
        # supbench starts the daemon from its own work directory.
        binary = os.path.abspath(binary) if os.path.exists(binary) else binary
        {"memory": memory, "restart": restart}[a.probe](sb, binary)


if __name__ == "__main__":
    main()
