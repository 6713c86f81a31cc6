"""Does scikit-learn's standard protocol reproduce the issue's XGBoost figures?

For each seed S in 0..=20 and 42: RepeatedKFold(n_splits=5, n_repeats=3,
random_state=S) and XGBRegressor(300 trees, depth 3, lr 0.05, subsample 0.8,
colsample_bytree 0.8, tree_method="hist", n_jobs=1, random_state=S, or 0 with
`--xgb-seed-0`). Prints the mean of the 15 per-fold RMSEs, the pooled RMSE
over all 15 test sets, and the wall time of the 15 fits.
Run from this folder: python3 sklearn_seed_sweep.py [--xgb-seed-0]
"""
import sys
import time
import numpy as np
import xgboost as xgb
from sklearn.model_selection import RepeatedKFold

XGB_SEED_0 = "--xgb-seed-0" in sys.argv

for name in ["diabetes", "winequality-red"]:
    t = np.loadtxt(f"{name}.csv", delimiter=",", skiprows=1)
    x, y = t[:, :-1], t[:, -1]
    for seed in list(range(21)) + [42]:
        rmses, squared, count, seconds = [], 0.0, 0, 0.0
        splits = RepeatedKFold(n_splits=5, n_repeats=3, random_state=seed).split(x)
        for train, test in splits:
            model = xgb.XGBRegressor(
                n_estimators=300, max_depth=3, learning_rate=0.05, subsample=0.8,
                colsample_bytree=0.8, tree_method="hist", n_jobs=1,
                random_state=0 if XGB_SEED_0 else seed)
            t0 = time.perf_counter()
            model.fit(x[train], y[train])
            seconds += time.perf_counter() - t0
            err = (model.predict(x[test]) - y[test]) ** 2
            rmses.append(np.sqrt(err.mean()))
            squared, count = squared + err.sum(), count + len(test)
        print(f"{name} S={seed} mean_rmse={np.mean(rmses):.4f} "
              f"pooled_rmse={np.sqrt(squared / count):.4f} fit_seconds={seconds:.2f}",
              flush=True)
