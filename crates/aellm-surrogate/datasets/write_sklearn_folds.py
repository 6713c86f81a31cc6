"""Writes folds-*.csv: scikit-learn's RepeatedKFold(n_splits=5, n_repeats=3,
random_state=17) as a fold number per row and repeat (the row's test split,
in the order scikit-learn yields them). Seed 17 is the one whose XGBoost
figures match the issue's (see README.md). Run from this folder:
python3 write_sklearn_folds.py   (needs scikit-learn, numpy)
"""
import numpy as np
import sklearn
from sklearn.model_selection import RepeatedKFold

SEED, K, REPEATS = 17, 5, 3

for name in ["diabetes", "winequality-red"]:
    n = np.loadtxt(f"{name}.csv", delimiter=",", skiprows=1).shape[0]
    folds = np.full((n, REPEATS), -1, dtype=int)
    splits = RepeatedKFold(n_splits=K, n_repeats=REPEATS, random_state=SEED).split(np.zeros(n))
    for i, (_, test) in enumerate(splits):
        folds[test, i // K] = i % K
    assert (folds >= 0).all()
    with open(f"folds-{name}.csv", "w") as out:
        out.write("row," + ",".join(f"repeat{r}" for r in range(REPEATS)) + "\n")
        for row in range(n):
            out.write(f"{row}," + ",".join(str(f) for f in folds[row]) + "\n")
    print(f"folds-{name}.csv: {n} rows, scikit-learn {sklearn.__version__}")
