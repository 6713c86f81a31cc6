//! Claim-and-complete throughput of the study queue: 8 worker processes
//! drain 1,000 trivial trials (no measurement), on SQLite and, when
//! `AELLM_TEST_POSTGRES` names a server whose user may create databases, on
//! PostgreSQL. Prints, per store, the trials stored, how many distinct, and
//! trials per second of wall time.
//!
//! ```sh
//! cargo run --release -p aellm-optimizer --example study_throughput
//! AELLM_TEST_POSTGRES=postgres://postgres@127.0.0.1:5432/postgres \
//!   cargo run --release -p aellm-optimizer --example study_throughput -- 8 1000
//! ```

use aellm_optimizer::study::{self, LeasePolicy, StudyKey, StudySpec};
use aellm_optimizer::worker::{WorkerOptions, work};
use aellm_space::*;
use rand::SeedableRng;
use std::collections::HashSet;
use std::process::Command;
use std::time::{Duration, Instant};

/// Returns at once with fixed figures: only the queue is timed.
struct Instant0;

impl Evaluator for Instant0 {
    fn name(&self) -> String {
        "trivial".into()
    }
    fn evaluate(&self, _: &Configuration, _: &Scenario) -> Result<Measurement, EvalError> {
        let o = Objectives {
            accuracy: 0.5,
            latency_ms: 1.0,
            memory_gb: 1.0,
            energy_j: 1.0,
        };
        Ok(Measurement::new(o, Provenance::Estimated, "trivial"))
    }
}

fn serve(url: &str) -> Result<(), Box<dyn std::error::Error>> {
    let q = study::open(url)?;
    let options = WorkerOptions {
        policy: LeasePolicy {
            lease: Duration::from_secs(60),
            max_attempts: 3,
        },
        idle_poll: Duration::from_millis(5),
        allow_shared_host: true,
        ..Default::default()
    };
    work(
        q.as_ref(),
        &|_| Ok(Box::new(Instant0) as Box<dyn Evaluator>),
        &options,
    )?;
    Ok(())
}

fn run(
    label: &str,
    url: &str,
    workers: usize,
    trials: usize,
) -> Result<(), Box<dyn std::error::Error>> {
    let q = study::open(url)?;
    let s = Scenario::new(
        presets::model("llama-2-7b")?,
        presets::task("mmlu")?,
        presets::hardware("a100-80gb")?,
    );
    let key = StudyKey::new(&s, "trivial");
    q.register(&StudySpec {
        key: key.clone(),
        scenario: s,
        evaluator_kind: "trivial".into(),
    })?;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    let mut cs = Space::paper().sample_n(4 * trials, &mut rng)?;
    cs.sort_by_key(|c| c.key());
    cs.dedup();
    cs.truncate(trials);
    q.enqueue(&key, &cs, "throughput")?;
    q.set_closed(true)?;
    let started = Instant::now();
    let exe = std::env::current_exe()?;
    let kids: Vec<_> = (0..workers)
        .map(|_| Command::new(&exe).args(["--serve", url]).spawn())
        .collect::<Result<_, _>>()?;
    for mut k in kids {
        k.wait()?;
    }
    let wall = started.elapsed().as_secs_f64();
    let recs = q.records(&key)?;
    let distinct: HashSet<_> = recs.iter().map(|r| r.evaluation.configuration).collect();
    println!(
        "{label:<10} {workers} workers x {} trials: stored {}, distinct {}, {:.2} s, {:.0} trials/s",
        cs.len(),
        recs.len(),
        distinct.len(),
        wall,
        recs.len() as f64 / wall
    );
    Ok(())
}

fn postgres_db(base: &str) -> Result<String, Box<dyn std::error::Error>> {
    let name = format!("aellm_throughput_{}", std::process::id());
    postgres::Client::connect(base, postgres::NoTls)?
        .batch_execute(&format!("CREATE DATABASE {name}"))?;
    let (head, query) = base.split_once('?').unwrap_or((base, ""));
    let root = head.rsplit_once('/').map_or(head, |(r, _)| r);
    Ok(format!(
        "{root}/{name}{}",
        if query.is_empty() {
            String::new()
        } else {
            format!("?{query}")
        }
    ))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--serve") {
        return serve(&args[1]);
    }
    let workers: usize = args.first().map_or(Ok(8), |s| s.parse())?;
    let trials: usize = args.get(1).map_or(Ok(1000), |s| s.parse())?;
    let dir = tempfile::tempdir()?;
    run(
        "sqlite",
        dir.path()
            .join("study.sqlite")
            .to_str()
            .unwrap_or("study.sqlite"),
        workers,
        trials,
    )?;
    match std::env::var("AELLM_TEST_POSTGRES") {
        Ok(base) => run("postgres", &postgres_db(&base)?, workers, trials)?,
        Err(_) => println!("postgres   skipped: set AELLM_TEST_POSTGRES to a server URL"),
    }
    Ok(())
}
