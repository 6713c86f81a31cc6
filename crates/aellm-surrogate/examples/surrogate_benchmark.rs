//! Benchmarks aellm's gradient-boosted trees against XGBoost and LightGBM.
//!
//! `cargo run --release -p aellm-surrogate --example surrogate_benchmark [members]`
//!
//! - diabetes (442 rows) and winequality-red (1,599 rows): 5-fold
//!   cross-validation repeated 3 times on the fold files shipped in
//!   `crates/aellm-surrogate/datasets/` (scikit-learn
//!   `RepeatedKFold(5, 3, random_state=17)`), 300 trees, depth 3, learning
//!   rate 0.05, subsample 0.8, colsample 0.8; test RMSE as the mean of the
//!   15 fold RMSEs and pooled (the square root of the mean fold MSE), and the
//!   time of the 15 fits run one after the other;
//! - interval coverage of a bootstrap ensemble (default 10 members of the same
//!   trees): the fraction of held-out points inside `mean ± 1.645 σ` on
//!   Friedman #1 (n = 1,000, noise 1, 5 folds) and on diabetes (the 15 folds).
//!
//! XGBoost/LightGBM figures are constants recorded once by
//! `crates/aellm-surrogate/datasets/reference.py` on the same folds; they are
//! labelled as such. Our figures are measured on every run.

fn main() -> Result<(), aellm_surrogate::SurrogateError> {
    let members = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(10);
    println!("{}", aellm_surrogate::benchmark::run_benchmark(members)?);
    Ok(())
}
