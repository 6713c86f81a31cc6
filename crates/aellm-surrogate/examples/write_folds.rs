//! Regenerates the fold files shipped in `datasets/` (read by the Rust
//! benchmark and by `datasets/reference.py` alike):
//! `cargo run -p aellm-surrogate --example write_folds`.

use aellm_surrogate::evaluation::repeated_kfold;
use std::fmt::Write;

fn main() -> std::io::Result<()> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/datasets");
    for (name, n) in [("diabetes", 442), ("winequality-red", 1599)] {
        let folds = repeated_kfold(n, 5, 3, 42);
        let mut csv = String::from("row,repeat0,repeat1,repeat2\n");
        for (row, ((a, b), c)) in folds[0].iter().zip(&folds[1]).zip(&folds[2]).enumerate() {
            let _ = writeln!(csv, "{row},{a},{b},{c}");
        }
        std::fs::write(format!("{dir}/folds-{name}.csv"), csv)?;
    }
    Ok(())
}
