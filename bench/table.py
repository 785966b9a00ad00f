#!/usr/bin/env python3
"""Runs supbench.py for each implementation given and prints one table, metric by metric.

  table.py --supbench PATH [--n N] [--running K] [--scenarios ...] NAME=SUPERVISORD[,SUPERVISORCTL] ...

Each NAME=... is one column; supbench's JSON lines are read back, so the figures are its own.
"""
import argparse, json, subprocess, sys


def run(supbench, d, c, n, running, scenarios, mb):
    cmd = [sys.executable, supbench, "--supervisord", d, "--n", str(n), "--mb", str(mb)]
    if c:
        cmd += ["--supervisorctl", c]
    if running:
        cmd += ["--running", str(running)]
    out = subprocess.run(cmd + scenarios, stdout=subprocess.PIPE, text=True).stdout
    rows = {}
    for line in out.splitlines():
        try:
            r = json.loads(line)
        except ValueError:
            continue
        s = r.pop("scenario", "?")
        for k, v in r.items():
            rows[f"{s}.{k}"] = v
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--supbench", required=True)
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--running", type=int, default=0)
    ap.add_argument("--mb", type=int, default=200)
    ap.add_argument("--scenarios", nargs="+",
                    default=["idle", "scale", "logs", "rpc", "restart", "ctl", "stopall"])
    ap.add_argument("impls", nargs="+", metavar="NAME=SUPERVISORD[,SUPERVISORCTL]")
    a = ap.parse_args()
    cols, results = [], []
    for spec in a.impls:
        name, _, cmds = spec.partition("=")
        d, _, c = cmds.partition(",")
        cols.append(name)
        results.append(run(a.supbench, d, c or None, a.n, a.running, a.scenarios, a.mb))
    keys = []
    for r in results:
        keys += [k for k in r if k not in keys]
    width = max([len(k) for k in keys] + [6])
    print(f"| {'metric':<{width}} | " + " | ".join(f"{c:>14}" for c in cols) + " |")
    print(f"|{'-' * (width + 2)}|" + "|".join("-" * 16 for _ in cols) + "|")
    for k in keys:
        cells = [str(r.get(k, "")) for r in results]
        print(f"| {k:<{width}} | " + " | ".join(f"{v:>14}" for v in cells) + " |")


if __name__ == "__main__":
    main()
