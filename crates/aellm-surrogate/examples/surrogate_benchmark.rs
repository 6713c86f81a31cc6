//! Quick crate-local run of the benchmark behind the root `gbdt_benchmark`
//! example: `cargo run --release -p aellm-surrogate --example surrogate_benchmark`.

fn main() -> Result<(), aellm_surrogate::SurrogateError> {
    let members = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(10);
    println!("{}", aellm_surrogate::benchmark::run_benchmark(members)?);
    Ok(())
}
