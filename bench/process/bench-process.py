#!/usr/bin/env python3
"""Whole-process cost, side by side: CPU seconds (user + system) of one
process per run, the two commands of a pair run alternately (A, B, A, B...),
the ratio taken within each pair. Prints a markdown row per pair: medians,
the median ratio B/A ("how much of A's speed B keeps" is A/B) and its
spread over the pairs.

bench-process.py REPS NAME -- CMD_A... -- CMD_B... [--- NAME -- ... -- ...]

The load average (1 min) before and after each case is printed beside it:
the machine is shared, so read the ratio with its spread. With
BENCH_CALLGRIND=1 a second table gives each command's instructions
(valgrind --tool=callgrind, following exec; env, shells and mount/umount
left out), which load does not change."""
import glob
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
    print("| case | A (ms CPU) | B (ms CPU) | A/B (median) | A/B min-max | load before/after |")
    print("|---|---:|---:|---:|---:|---:|")
    rows = []
    for g in groups:
        name, rest = g[0], g[2:]
        i = rest.index("--")
        a, b = rest[:i], rest[i + 1:]
        env = dict(os.environ)
        rows.append((name, a, b, env))
        load0 = os.getloadavg()[0]
        cpu_of(a, env), cpu_of(b, env)  # warm caches
        ta, tb, q = [], [], []
        for _ in range(reps):
            x, y = cpu_of(a, env), cpu_of(b, env)
            ta.append(x)
            tb.append(y)
            q.append(x / y if y > 0 else float("nan"))
        print("| %s | %.1f | %.1f | %.3f | %.2f-%.2f | %.1f / %.1f |" % (
            name, statistics.median(ta) * 1e3, statistics.median(tb) * 1e3,
            statistics.median(q), min(q), max(q), load0, os.getloadavg()[0]), flush=True)
    if os.environ.get("BENCH_CALLGRIND"):
        print()
        print("| case | A (instructions) | B (instructions) | B/A |")
        print("|---|---:|---:|---:|")
        for name, a, b, env in rows:
            ia, ib = instructions(a, env), instructions(b, env)
            print("| %s | %d | %d | %.3f |" % (name, ia, ib, ib / ia), flush=True)


SKIP = {"env", "bash", "sh", "mount", "umount"}


def instructions(cmd, env):
    """Total instructions of cmd's processes (callgrind), wrappers left out."""
    out = os.path.join(os.environ.get("TMPDIR", "/tmp"), "dsk-bench-cg.%d" % os.getpid())
    os.makedirs(out, exist_ok=True)
    for f in glob.glob(out + "/cg.*"):
        os.unlink(f)
    subprocess.run(["valgrind", "--tool=callgrind", "--trace-children=yes", "--trace-children-skip=*/mount,*/umount",
                    "--callgrind-out-file=" + out + "/cg.%p"] + cmd, env=env,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    total = 0
    for f in glob.glob(out + "/cg.*"):
        prog, ir = None, 0
        with open(f) as fh:
            for line in fh:
                if line.startswith("cmd:"):
                    prog = os.path.basename(line.split()[1]) if len(line.split()) > 1 else ""
                elif line.startswith("summary:") or line.startswith("totals:"):
                    ir = int(line.split()[1])
        if prog not in SKIP:
            total += ir
        os.unlink(f)
    os.rmdir(out)
    return total


if __name__ == "__main__":
    main()
