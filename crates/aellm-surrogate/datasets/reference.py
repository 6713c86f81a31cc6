"""XGBoost / LightGBM reference figures for the surrogate_benchmark example.

Same data, same folds (folds-*.csv), same hyper-parameters as the Rust side:
300 trees, depth 3, learning rate 0.05, subsample 0.8, colsample 0.8, 256 bins,
lambda 1, min_child_weight 1, random_state 17 (the folds' seed). RMSE = mean over
the 15 (repeat, fold) test RMSEs; pooled = RMSE over all 15 test sets at once;
fit_seconds = wall time of the 15 fits run one after the other.
Run from this folder: python3 reference.py [n_jobs]   (needs xgboost, lightgbm,
numpy; n_jobs defaults to 1, i.e. one thread per library)
"""
import sys
import time
import numpy as np
import xgboost as xgb
import lightgbm as lgb


def load(name):
    t = np.loadtxt(f"{name}.csv", delimiter=",", skiprows=1)
    folds = np.loadtxt(f"folds-{name}.csv", delimiter=",", skiprows=1, dtype=int)[:, 1:]
    return t[:, :-1], t[:, -1], folds


N_JOBS = int(sys.argv[1]) if len(sys.argv) > 1 else 1


def models():
    common = dict(n_estimators=300, max_depth=3, learning_rate=0.05, subsample=0.8,
                  n_jobs=N_JOBS)
    yield "xgboost", lambda: xgb.XGBRegressor(
        **common, colsample_bytree=0.8, tree_method="hist", max_bin=256,
        reg_lambda=1.0, min_child_weight=1.0, random_state=17)
    # LightGBM bags rows only with subsample_freq > 0; num_leaves 8 = depth 3.
    yield "lightgbm", lambda: lgb.LGBMRegressor(
        **common, num_leaves=8, subsample_freq=1, colsample_bytree=0.8, max_bin=255,
        reg_lambda=1.0, min_child_weight=1.0, min_child_samples=1, random_state=17,
        verbose=-1)


for name in ["diabetes", "winequality-red"]:
    x, y, folds = load(name)
    for label, make in models():
        rmses, squared, seconds = [], 0.0, 0.0
        for r in range(folds.shape[1]):
            for f in range(folds[:, r].max() + 1):
                test = folds[:, r] == f
                model = make()
                t0 = time.perf_counter()
                model.fit(x[~test], y[~test])
                seconds += time.perf_counter() - t0
                pred = model.predict(x[test])
                rmses.append(np.sqrt(np.mean((pred - y[test]) ** 2)))
                squared += np.sum((pred - y[test]) ** 2)
        print(f"{name} {label} n_jobs={N_JOBS} rmse={np.mean(rmses):.3f} "
              f"pooled_rmse={np.sqrt(squared / len(y) / folds.shape[1]):.3f} "
              f"fit_seconds={seconds:.2f}")
