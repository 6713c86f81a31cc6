#!/usr/bin/env python3
"""pymoo's NSGA-II on C1-DTLZ1 (3 objectives) with the nsga2_benchmark settings.

Usage: python3 crates/aellm-nsga2/scripts/pymoo_c1dtlz1.py [SEEDS]  (needs `pip install pymoo`)

Population 100, 250 generations, pymoo's default SBX (eta 15, p 0.9) and
polynomial mutation (eta 20), duplicate elimination; hypervolume of the final
feasible non-dominated set with reference point 1.1 in every objective;
median over seeds 0..SEEDS-1 (default 11). Printed for 7 variables (k = 5,
the usual DTLZ choice) and 12 variables (k = 10, pymoo's default instance),
so a target can be matched to the instance it was measured on.
"""
import statistics
import sys

import numpy as np
import pymoo
from pymoo.algorithms.moo.nsga2 import NSGA2
from pymoo.indicators.hv import HV
from pymoo.optimize import minimize
from pymoo.problems.many import C1DTLZ1


def main():
    seeds = int(sys.argv[1]) if len(sys.argv) > 1 else 11
    hv = HV(ref_point=np.full(3, 1.1))
    print(f"pymoo {pymoo.__version__}: NSGA2 pop 100, 250 generations, seeds 0..{seeds - 1}")
    for n_var in (7, 12):
        values = []
        for seed in range(seeds):
            res = minimize(C1DTLZ1(n_var=n_var, n_obj=3), NSGA2(pop_size=100),
                           ("n_gen", 250), seed=seed, verbose=False)
            values.append(hv(res.F) if res.F is not None else 0.0)
        print(f"C1-DTLZ1 {n_var} variables: median hypervolume {statistics.median(values):.4f}"
              f" (min {min(values):.4f}, max {max(values):.4f})", flush=True)


if __name__ == "__main__":
    main()
