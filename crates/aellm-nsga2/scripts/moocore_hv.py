#!/usr/bin/env python3
"""Records moocore's exact hypervolume and its time on the crate's benchmark sets.

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

# (shape, n, d, seed): correctness sets first, then the timing sets.
SETS = [
    ("sphere", 300, 2, 8),
    ("sphere", 200, 3, 1),
    ("cube", 300, 3, 2),
    ("sphere", 100, 4, 3),
    ("cube", 200, 4, 4),
    ("sphere", 40, 5, 5),
    ("cube", 60, 5, 6),
    ("sphere", 20, 6, 7),
    ("sphere", 100, 6, 9),
    ("cube", 1000, 4, 10),
    ("sphere", 500, 4, 11),
    ("sphere", 2000, 4, 12),
    ("sphere", 1000, 5, 13),
    ("sphere", 300, 6, 14),
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


def median_seconds(x, ref):
    """Median over repeats; at least 5 runs and about half a second in all."""
    times = []
    start = time.perf_counter()
    while len(times) < 5 or time.perf_counter() - start < 0.5:
        t0 = time.perf_counter()
        moocore.hypervolume(x, ref=ref)
        times.append(time.perf_counter() - t0)
        if len(times) >= 1000:
            break
    return statistics.median(times)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "datasets", "moocore_hv.csv")
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    load = os.getloadavg()
    lines = [
        f"# moocore {moocore.__version__} (numpy {np.__version__}, Python {platform.python_version()}),"
        f" recorded {now} on {platform.machine()} with {os.cpu_count()} CPUs,"
        f" load average {load[0]:.1f}",
        "# reference point 1.1 in every objective; seconds = median of repeated moocore.hypervolume calls",
        "shape,n,d,seed,hypervolume,moocore_seconds",
    ]
    for shape, n, d, seed in SETS:
        x = np.array(points(shape, n, d, seed), dtype=float)
        ref = np.full(d, 1.1)
        hv = moocore.hypervolume(x, ref=ref)
        secs = median_seconds(x, ref)
        lines.append(f"{shape},{n},{d},{seed},{hv!r},{secs:.6e}")
        print(lines[-1], flush=True)
    with open(out, "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
