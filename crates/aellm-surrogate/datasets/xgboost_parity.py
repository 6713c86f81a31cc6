"""XGBoost figures that the Rust benchmark's parity lines compare with.

1. Deterministic model (subsample 1, colsample_bytree 1; otherwise the
   benchmark's 300 trees, depth 3, lr 0.05, hist, max_bin 256, lambda 1,
   gamma 0, min_child_weight 1): mean of the 15 per-fold RMSEs and pooled
   RMSE. Our model is built to reproduce this one tree for tree; what is left
   is XGBoost's float32 arithmetic (predictions, gradients, leaf values).
2. The stochastic benchmark (subsample 0.8, colsample_bytree 0.8) over
   random_state 0..N-1: the spread of the mean per-fold RMSE that seeds alone
   cause, to read single-seed figures against.
Same folds as the benchmark (folds-*.csv). Run from this folder:
python3 xgboost_parity.py [N]   (N defaults to 20; needs xgboost, numpy)
"""
import sys
import numpy as np
import xgboost as xgb

N = int(sys.argv[1]) if len(sys.argv) > 1 else 20


def load(name):
    t = np.loadtxt(f"{name}.csv", delimiter=",", skiprows=1)
    folds = np.loadtxt(f"folds-{name}.csv", delimiter=",", skiprows=1, dtype=int)[:, 1:]
    return t[:, :-1], t[:, -1], folds


def cv(x, y, folds, **kw):
    rmses, squared = [], 0.0
    for r in range(folds.shape[1]):
        for f in range(folds[:, r].max() + 1):
            test = folds[:, r] == f
            model = xgb.XGBRegressor(n_estimators=300, max_depth=3, learning_rate=0.05,
                                     tree_method="hist", max_bin=256, reg_lambda=1.0,
                                     gamma=0.0, min_child_weight=1.0, n_jobs=1, **kw)
            model.fit(x[~test], y[~test])
            err = (model.predict(x[test]) - y[test]) ** 2
            rmses.append(np.sqrt(err.mean()))
            squared += err.sum()
    return np.mean(rmses), np.sqrt(squared / len(y) / folds.shape[1])


for name in ["diabetes", "winequality-red"]:
    x, y, folds = load(name)
    mean, pooled = cv(x, y, folds, subsample=1.0, colsample_bytree=1.0)
    print(f"{name} xgboost deterministic rmse={mean:.5f} pooled_rmse={pooled:.5f}")
    means = np.array([cv(x, y, folds, subsample=0.8, colsample_bytree=0.8, random_state=s)[0]
                      for s in range(N)])
    print(f"{name} xgboost seeds=0..{N - 1} rmse mean={means.mean():.4f} "
          f"sd={means.std(ddof=1):.4f} min={means.min():.4f} max={means.max():.4f}", flush=True)
