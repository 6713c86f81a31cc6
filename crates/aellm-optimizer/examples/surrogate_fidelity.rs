//! How well the optimizer's surrogates predict configurations they have not
//! seen, at the training sizes a run has (10, 20 and 40 measurements), on
//! every configuration of the narrowed space measured with the harness.
//!
//! ```sh
//! cargo run --release --example narrowed_space   # measures all 192, prints where it wrote them
//! cargo run --release -p aellm-optimizer --example surrogate_fidelity -- FILE.json          # the table
//! cargo run --release -p aellm-optimizer --example surrogate_fidelity -- FILE.json tune     # how defaults are chosen
//! cargo run --release -p aellm-optimizer --example surrogate_fidelity -- FILE.json report 40
//! ```
//!
//! FILE.json is what the root's `examples/narrowed_space.rs` writes next to
//! its study (`$TMPDIR/aellm-narrowed/exhaustive-<harness>.json`): the
//! scenario and every evaluation; failures are dropped. Each draw picks n
//! measured configurations at random, fits the surrogates on those and
//! predicts all the others; per objective it scores R² and Spearman's rank
//! correlation of prediction and truth, and the share of true values inside
//! the 90% interval `mean ± Z90·σ`. The table gives, per training size, the
//! median R² and ρ over the draws and the mean coverage.
//!
//! Draws alternate between two halves: even draws are the tuning half that
//! `tune` ranks candidate settings on, odd draws the report half the table
//! is computed on, so a default chosen with `tune` is not reported on the
//! draws it was picked on.

use aellm_optimizer::fidelity::{self, Fidelity};
use aellm_optimizer::surrogates::SurrogateParams;
use aellm_space::{Configuration, Evaluation, Objectives, Scenario};
use aellm_surrogate::GbdtParams;
use rand::SeedableRng;
use rand::seq::SliceRandom;
use serde::Deserialize;
use std::time::Instant;

/// Training sizes: the initial sample and the refits of a 40-evaluation run.
const SIZES: [usize; 3] = [10, 20, 40];

/// The file `examples/narrowed_space.rs` writes.
#[derive(Deserialize)]
struct Recorded {
    evaluator: String,
    scenario: Scenario,
    evaluations: Vec<Evaluation>,
}

/// Measured configurations with their objectives.
type Rows = Vec<(Configuration, Objectives)>;

/// The measured configurations (failures dropped) and what they came from.
struct Data {
    scenario: Scenario,
    rows: Rows,
}

fn load(path: &str) -> Result<Data, Box<dyn std::error::Error>> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    let recorded: Recorded = serde_json::from_str(&text)?;
    let rows: Vec<(Configuration, Objectives)> = recorded
        .evaluations
        .iter()
        .filter_map(|e| e.measurement().map(|m| (e.configuration, m.objectives())))
        .collect();
    println!(
        "{path}: {} configurations measured by {} ({} failed), {} on {}",
        rows.len(),
        recorded.evaluator,
        recorded.evaluations.len() - rows.len(),
        recorded.scenario.model.name,
        recorded.scenario.hardware.name
    );
    Ok(Data {
        scenario: recorded.scenario,
        rows,
    })
}

/// Draw `draw` at training size `n`: a shuffle seeded by both, its first
/// `n` rows to fit on and the rest to predict.
fn split(rows: &[(Configuration, Objectives)], n: usize, draw: u64) -> (Rows, Rows) {
    let mut shuffled = rows.to_vec();
    let seed = draw.wrapping_mul(1_000_003).wrapping_add(n as u64);
    shuffled.shuffle(&mut rand_chacha::ChaCha8Rng::seed_from_u64(seed));
    let test = shuffled.split_off(n.min(shuffled.len()));
    (shuffled, test)
}

/// Every draw's fidelity at each training size, and the seconds spent fitting.
struct Scores {
    per_size: Vec<Vec<Fidelity>>,
    seconds: f64,
}

fn score(
    data: &Data,
    params: &SurrogateParams,
    draws: &[u64],
) -> Result<Scores, Box<dyn std::error::Error>> {
    let start = Instant::now();
    let mut per_size = Vec::new();
    for n in SIZES {
        let mut fits = Vec::new();
        for &draw in draws {
            let (train, test) = split(&data.rows, n, draw);
            let p = SurrogateParams {
                seed: draw,
                ..params.clone()
            };
            fits.push(fidelity::assess(&train, &test, &data.scenario, &p)?);
        }
        per_size.push(fits);
    }
    Ok(Scores {
        per_size,
        seconds: start.elapsed().as_secs_f64(),
    })
}

fn median(mut v: Vec<f64>) -> f64 {
    v.retain(|x| !x.is_nan());
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => 0.5 * (v[n / 2 - 1] + v[n / 2]),
    }
}

fn mean(v: impl Iterator<Item = f64>) -> f64 {
    let (s, n) = v
        .filter(|x| !x.is_nan())
        .fold((0.0, 0usize), |(s, n), x| (s + x, n + 1));
    s / n as f64
}

/// Median R², median ρ and mean coverage of one objective at one size.
fn cell(fits: &[Fidelity], k: usize) -> [f64; 3] {
    [
        median(fits.iter().map(|f| f.r2[k]).collect()),
        median(fits.iter().map(|f| f.spearman[k]).collect()),
        mean(fits.iter().map(|f| f.coverage90[k])),
    ]
}

/// The tuning criterion: the mean over sizes and objectives of
/// (median R² + median ρ) / 2, and the mean coverage beside it.
fn summary(s: &Scores) -> (f64, f64) {
    let cells: Vec<[f64; 3]> = s
        .per_size
        .iter()
        .flat_map(|fits| (0..4).map(move |k| cell(fits, k)))
        .collect();
    (
        mean(cells.iter().map(|c| 0.5 * (c[0] + c[1]))),
        mean(cells.iter().map(|c| c[2])),
    )
}

fn table(label: &str, s: &Scores, draws: usize) {
    println!(
        "\n{label} ({draws} draws per size, {:.1} s fitting)",
        s.seconds
    );
    print!("{:<11}", "objective");
    for n in SIZES {
        print!(" | {:>6} {:>5} {:>5}", format!("R²@{n}"), "ρ", "cov");
    }
    println!();
    for (k, name) in Objectives::NAMES.iter().enumerate() {
        print!("{name:<11}");
        for fits in &s.per_size {
            let [r2, rho, cov] = cell(fits, k);
            print!(" | {r2:>6.3} {rho:>5.3} {cov:>5.2}");
        }
        println!();
    }
}

/// The candidates `tune` ranks: member settings at 5 members (and the
/// paper's preset for reference), then ensemble sizes around the best member.
fn candidates() -> Vec<(String, SurrogateParams)> {
    let mut out = vec![(
        "SurrogateParams::ae_llm() (depth 8, 500 trees, lr 0.05, min_child_weight 1, 5 members)"
            .to_string(),
        SurrogateParams::ae_llm(),
    )];
    for depth in [1, 2, 3, 4, 6] {
        for (trees, lr) in [(50, 0.3), (100, 0.1), (300, 0.05)] {
            for mcw in [1.0, 3.0] {
                let member = GbdtParams::ae_llm()
                    .n_trees(trees)
                    .max_depth(depth)
                    .learning_rate(lr)
                    .min_child_weight(mcw);
                out.push((
                    format!(
                        "depth {depth}, {trees} trees, lr {lr}, min_child_weight {mcw}, 5 members"
                    ),
                    SurrogateParams {
                        member,
                        n_members: 5,
                        seed: 0,
                    },
                ));
            }
        }
    }
    out
}

fn tune(data: &Data, draws: &[u64]) -> Result<(), Box<dyn std::error::Error>> {
    let mut ranked = Vec::new();
    for (label, params) in candidates() {
        let s = score(data, &params, draws)?;
        let (crit, cov) = summary(&s);
        println!("{crit:>7.4} {cov:>6.3} {:>7.1}s  {label}", s.seconds);
        ranked.push((crit, cov, label, params));
    }
    ranked.sort_by(|a, b| b.0.total_cmp(&a.0));
    let (_, _, best_label, best) = ranked.first().ok_or("no candidate")?.clone();
    println!("\nbest member: {best_label}; ensemble sizes around it:");
    for n_members in [3, 5, 10, 20] {
        let params = SurrogateParams {
            n_members,
            ..best.clone()
        };
        let s = score(data, &params, draws)?;
        let (crit, cov) = summary(&s);
        println!(
            "{crit:>7.4} {cov:>6.3} {:>7.1}s  {n_members} members",
            s.seconds
        );
    }
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let path = args
        .first()
        .ok_or("give the measurements: the JSON file examples/narrowed_space.rs writes")?;
    let mode = args.get(1).map_or("report", String::as_str);
    let draws: u64 = args.get(2).map_or(Ok(20), |s| s.parse())?;
    let data = load(path)?;
    if data.rows.len() <= *SIZES.iter().max().unwrap_or(&0) {
        return Err("too few measured configurations for the largest training size".into());
    }
    // Even draws tune, odd draws report: the table is not what was tuned on.
    let tuning: Vec<u64> = (0..draws).map(|d| 2 * d).collect();
    let report: Vec<u64> = (0..draws).map(|d| 2 * d + 1).collect();
    match mode {
        "tune" => {
            println!(
                "tuning half ({draws} even draws per size): criterion = mean over sizes and objectives of (median R² + median ρ)/2, mean 90% coverage, fit time"
            );
            tune(&data, &tuning)
        }
        "report" => {
            println!("report half: {draws} odd draws per size");
            let defaults = SurrogateParams::default();
            table(
                &format!("defaults ({})", describe(&defaults)),
                &score(&data, &defaults, &report)?,
                report.len(),
            );
            let paper = SurrogateParams::ae_llm();
            if paper == defaults {
                println!("\n(the defaults are SurrogateParams::ae_llm())");
                return Ok(());
            }
            table(
                &format!("SurrogateParams::ae_llm() ({})", describe(&paper)),
                &score(&data, &paper, &report)?,
                report.len(),
            );
            Ok(())
        }
        other => Err(format!("unknown mode `{other}`: use report or tune").into()),
    }
}

fn describe(p: &SurrogateParams) -> String {
    let m = p.member.clone();
    let v = linfa::ParamGuard::check(m).map_err(|e| e.to_string());
    match v {
        Ok(v) => format!(
            "{} trees of depth {}, learning rate {}, min_child_weight {}, {} members",
            v.n_trees(),
            v.max_depth(),
            v.learning_rate(),
            v.min_child_weight(),
            p.n_members
        ),
        Err(e) => e,
    }
}
