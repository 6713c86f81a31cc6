#!/usr/bin/env python3
"""Records moocore's exact hypervolume (and contributions) and their times on the crate's benchmark sets.

Usage: python3 crates/aellm-nsga2/scripts/moocore_hv.py [OUT.csv]
(default: crates/aellm-nsga2/datasets/moocore_hv.csv). Needs `pip install moocore numpy`.

The point sets are rebuilt here bit for bit as in
`aellm_nsga2::indicators::benchmark_sets` (the same 64-bit LCG and the same
float operations in the same order), so the file holds only their recipe,
moocore's value and moocore's median time. Run it right before
`cargo run --release -p aellm-nsga2 --example hypervolume_benchmark`, which
prints our time beside the recorded one.
"""
import datetime
import os
import platform
import statistics
import sys
import time

import moocore
import numpy as np

MASK = (1 << 64) - 1

# (indicator, shape, n, d, seed): correctness sets first, then the issue's
# timing sets. "hypervolume" records moocore.hypervolume; "contributions_sum"
# records the sum of moocore.hv_contributions (each point's exclusive volume).
SETS = [
    ("hypervolume", "sphere", 300, 2, 8),
    ("hypervolume", "sphere", 200, 3, 1),
    ("hypervolume", "cube", 300, 3, 2),
    ("hypervolume", "sphere", 100, 4, 3),
    ("hypervolume", "cube", 200, 4, 4),
    ("hypervolume", "sphere", 40, 5, 5),
    ("hypervolume", "cube", 60, 5, 6),
    ("hypervolume", "sphere", 20, 6, 7),
    ("hypervolume", "sphere", 100, 6, 9),
    ("hypervolume", "cube", 1000, 4, 10),
    ("hypervolume", "sphere", 500, 4, 11),
    ("hypervolume", "sphere", 2000, 4, 12),
    ("hypervolume", "sphere", 1000, 5, 13),
    ("hypervolume", "sphere", 300, 6, 14),
    ("contributions_sum", "cube", 200, 4, 4),
    ("contributions_sum", "sphere", 100, 4, 3),
    ("contributions_sum", "sphere", 500, 4, 11),
    ("contributions_sum", "sphere", 40, 5, 5),
    ("contributions_sum", "sphere", 100, 5, 15),
]


class Lcg:
    def __init__(self, seed):
        self.state = seed & MASK

    def next(self):
        self.state = (self.state * 6364136223846793005 + 1442695040888963407) & MASK
        return (self.state >> 11) / float(1 << 53)


def points(shape, n, d, seed):
    g = Lcg(seed)
    out = []
    for _ in range(n):
        if shape == "cube":
            out.append([g.next() for _ in range(d)])
            continue
        u = [g.next() + 1e-3 for _ in range(d)]
        s = 0.0
        for x in u:
            s += x * x
        norm = s ** 0.5
        out.append([x / norm for x in u])
    return out


def indicator(name, x, ref):
    if name == "hypervolume":
        return moocore.hypervolume(x, ref=ref)
    # ignore_dominated=False: the volume lost when the point alone is removed,
    # dominated points kept (as our hypervolume_contributions defines it).
    return float(np.sum(moocore.hv_contributions(x, ref=ref, ignore_dominated=False)))


def thread_cpu_seconds():
    # The same counter the Rust benchmark reads (Linux): this thread's time on
    # a CPU, so other processes competing for the cores do not count.
    with open("/proc/thread-self/schedstat") as f:
        return int(f.read().split()[0]) * 1e-9


def median_seconds(name, x, ref):
    """Median wall and CPU seconds per call over 5 batches of about 0.1 s each."""
    t0 = time.perf_counter()
    indicator(name, x, ref)
    calls = max(1, int(0.1 / max(time.perf_counter() - t0, 1e-7)))
    wall, cpu = [], []
    for _ in range(5):
        w0, c0 = time.perf_counter(), thread_cpu_seconds()
        for _ in range(calls):
            indicator(name, x, ref)
        wall.append((time.perf_counter() - w0) / calls)
        cpu.append((thread_cpu_seconds() - c0) / calls)
    return statistics.median(wall), statistics.median(cpu)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "datasets", "moocore_hv.csv")
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    load = os.getloadavg()
    lines = [
        f"# moocore {moocore.__version__} (numpy {np.__version__}, Python {platform.python_version()}),"
        f" recorded {now} on {platform.machine()} with {os.cpu_count()} CPUs,"
        f" load average {load[0]:.1f}",
        "# reference point 1.1 in every objective; seconds per call = median over 5 batches of"
        " ~0.1 s, wall clock and this thread's CPU time (/proc/thread-self/schedstat)",
        "indicator,shape,n,d,seed,value,moocore_seconds,moocore_cpu_seconds",
    ]
    for name, shape, n, d, seed in SETS:
        x = np.array(points(shape, n, d, seed), dtype=float)
        ref = np.full(d, 1.1)
        value = indicator(name, x, ref)
        wall, cpu = median_seconds(name, x, ref)
        lines.append(f"{name},{shape},{n},{d},{seed},{value!r},{wall:.6e},{cpu:.6e}")
        print(lines[-1], flush=True)
    with open(out, "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
