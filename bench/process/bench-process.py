#!/usr/bin/env python3
"""Whole-process cost, side by side: CPU seconds (user + system) of one
process per run, the two commands of a pair run alternately (A, B, A, B...),
the ratio taken within each pair. Prints a markdown row per pair: medians,
the median ratio B/A ("how much of A's speed B keeps" is A/B) and its
spread over the pairs.

bench-process.py REPS NAME -- CMD_A... -- CMD_B... [--- NAME -- ... -- ...]"""
import os
import resource
import statistics
import subprocess
import sys


def cpu_of(cmd, env):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main():
    reps = int(sys.argv[1])
    groups, cur = [], []
    for x in sys.argv[2:]:
        if x == "---":
            groups.append(cur)
            cur = []
        else:
            cur.append(x)
    groups.append(cur)
    print("| case | A (ms CPU) | B (ms CPU) | A/B (median) | A/B min-max |")
    print("|---|---:|---:|---:|---:|")
    for g in groups:
        name, rest = g[0], g[2:]
        i = rest.index("--")
        a, b = rest[:i], rest[i + 1:]
        env = dict(os.environ)
        cpu_of(a, env), cpu_of(b, env)  # warm caches
        ta, tb, q = [], [], []
        for _ in range(reps):
            x, y = cpu_of(a, env), cpu_of(b, env)
            ta.append(x)
            tb.append(y)
            q.append(x / y if y > 0 else float("nan"))
        print("| %s | %.1f | %.1f | %.2f | %.2f-%.2f |" % (
            name, statistics.median(ta) * 1e3, statistics.median(tb) * 1e3,
            statistics.median(q), min(q), max(q)))


if __name__ == "__main__":
    main()
