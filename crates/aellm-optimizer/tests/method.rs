//! The whole method on a stand-in evaluator with closed-form figures.

use aellm_optimizer::observer::Silent;
use aellm_optimizer::study::{MemoryStudy, SqliteStudy, Study};
use aellm_optimizer::{AeLlm, AeLlmParams};
use aellm_space::*;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Made-up closed-form figures (estimates, not measurements); refuses
/// every MLA configuration to exercise failure handling. The refusal is
/// deterministic (unsupported), so a resumed run never measures it again;
/// failures that may pass are retried, see the runner's tests.
struct Formula {
    calls: AtomicUsize,
}

impl Evaluator for Formula {
    fn name(&self) -> String {
        "formula".into()
    }
    fn evaluate(&self, c: &Configuration, _: &Scenario) -> Result<Measurement, EvalError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        if matches!(c.architecture.attention, Attention::Mla { .. }) {
            return Err(EvalError::Unsupported {
                evaluator: self.name(),
                reason: "no formula for MLA".into(),
            });
        }
        let bits = c.inference.weights.bits() as f64;
        let experts = match c.architecture.moe {
            Moe::Dense => 1.0,
            Moe::Sparse { experts, .. } => experts as f64,
        };
        let kv = if c.architecture.attention == Attention::Mha {
            1.0
        } else {
            0.3
        };
        let acc = 0.6 - 0.04 / bits - 0.01 * (1.0 - kv) + 0.005 * experts.log2();
        let o = Objectives {
            accuracy: acc,
            latency_ms: 40.0 + 4.0 * bits + 10.0 * kv,
            memory_gb: 0.9 * bits * experts + kv,
            energy_j: 8.0 + bits + kv,
        };
        Ok(Measurement::new(o, Provenance::Estimated, self.name()))
    }
}

fn scenario() -> Scenario {
    Scenario::new(
        presets::model("llama-2-7b").unwrap(),
        presets::task("mmlu").unwrap(),
        presets::hardware("a100-80gb").unwrap(),
    )
}

fn params(seed: u64) -> AeLlmParams {
    let mut p = AeLlmParams {
        budget: 20,
        seed,
        ..Default::default()
    };
    p.search.population = 30;
    p.search.generations = 10;
    p.surrogate.member = aellm_surrogate::GbdtParams::ae_llm()
        .n_trees(40)
        .max_depth(3);
    p.surrogate.n_members = 3;
    p
}

#[test]
fn a_restarted_run_measures_nothing_twice_and_gives_the_same_result() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("study.sqlite");
    let s = scenario();
    let ev = Formula {
        calls: AtomicUsize::new(0),
    };
    let first = {
        let study = SqliteStudy::open(&path).unwrap();
        AeLlm::new(params(3))
            .run(&ev, &s, &Space::paper(), &study, &Silent)
            .unwrap()
    };
    assert_eq!(ev.calls.load(Ordering::SeqCst), 20);
    assert_eq!(first.evaluations.len(), 20);
    let study = SqliteStudy::open(&path).unwrap();
    let again = AeLlm::new(params(3))
        .run(&ev, &s, &Space::paper(), &study, &Silent)
        .unwrap();
    assert_eq!(
        ev.calls.load(Ordering::SeqCst),
        20,
        "the second run reused every measurement"
    );
    assert_eq!(again.recommended, first.recommended);
}

#[test]
fn failures_are_recorded_and_the_search_goes_on() {
    let s = scenario();
    let ev = Formula {
        calls: AtomicUsize::new(0),
    };
    let study = MemoryStudy::new();
    let r = AeLlm::new(params(1))
        .run(&ev, &s, &Space::paper(), &study, &Silent)
        .unwrap();
    let failed = r.evaluations.iter().filter(|e| e.outcome.is_err()).count();
    assert!(failed > 0, "the sample should hit MLA at least once");
    let key = aellm_optimizer::study::StudyKey::new(&s, "formula");
    assert_eq!(study.records(&key).unwrap().len(), r.evaluations.len());
    let rec = r.recommended.expect("a recommendation despite failures");
    assert!(!r.measured_front.is_empty());
    assert!(
        rec.efficiency_score.unwrap() > 1.0,
        "the default is never the best trade-off here"
    );
    // Figures stay marked as the evaluator made them: estimated.
    assert!(
        r.measured_front
            .iter()
            .all(|m| m.provenance == Provenance::Estimated)
    );
    assert!(
        r.predicted_front
            .iter()
            .all(|m| m.provenance == Provenance::Predicted)
    );
    assert!(!r.sensitivity.is_empty());
}

#[test]
fn an_impossible_scenario_still_reports_the_closest_configurations() {
    let mut s = scenario();
    s.constraints.max_memory_gb = Some(0.5); // below every configuration's memory
    let ev = Formula {
        calls: AtomicUsize::new(0),
    };
    let r = AeLlm::new(params(2))
        .run(&ev, &s, &Space::paper(), &MemoryStudy::new(), &Silent)
        .unwrap();
    assert!(r.recommended.is_none() && r.measured_front.is_empty());
    assert!(!r.near_misses.is_empty());
    let first = &r.near_misses[0];
    assert_eq!(first.violations[0].constraint, "memory");
    assert!(first.violations[0].relative_excess > 0.0);
}

#[test]
fn a_spent_time_budget_returns_what_was_measured() {
    let s = scenario();
    let ev = Formula {
        calls: AtomicUsize::new(0),
    };
    let p = AeLlmParams {
        max_time: Some(std::time::Duration::ZERO),
        ..params(4)
    };
    let r = AeLlm::new(p)
        .run(&ev, &s, &Space::paper(), &MemoryStudy::new(), &Silent)
        .unwrap();
    assert_eq!(ev.calls.load(Ordering::SeqCst), 0);
    assert!(r.evaluations.is_empty());
    assert_eq!(
        r.stopped,
        aellm_optimizer::TerminationReason::TimeBudgetSpent
    );
}

#[test]
fn baselines_share_the_budget_and_the_table_is_complete() {
    let s = scenario();
    let ev = Formula {
        calls: AtomicUsize::new(0),
    };
    let study = MemoryStudy::new();
    let mut r = AeLlm::new(params(5))
        .run(&ev, &s, &Space::paper(), &study, &Silent)
        .unwrap();
    let runs =
        aellm_optimizer::baselines::run_baselines(&ev, &s, &Space::paper(), &study, &Silent, 20, 5)
            .unwrap();
    aellm_optimizer::baselines::compare(&mut r, &runs).unwrap();
    let names: Vec<&str> = r.baselines.iter().map(|b| b.method.as_str()).collect();
    assert_eq!(names[0], "default");
    assert_eq!(names[1], "best single-stage");
    assert_eq!(
        &names[2..],
        [
            "random search",
            "manual selection",
            "EfficientLLM rec.",
            "AE-LLM"
        ]
    );
    assert!(r.baselines.iter().all(|b| b.evaluations <= 20));
    // The two recommendations cost one evaluation each.
    assert_eq!(r.baselines[3].evaluations, 1);
    assert_eq!(r.baselines[4].evaluations, 1);
    assert!((r.baselines[0].efficiency_score.unwrap() - 1.0).abs() < 1e-12);
    assert!(r.baselines.iter().all(|b| b.hypervolume.unwrap() >= 0.0));
}

#[test]
fn zero_refinement_rounds_is_not_the_random_search_ablation() {
    let s = scenario();
    let ev = Formula {
        calls: AtomicUsize::new(0),
    };
    let run = |p: AeLlmParams| {
        AeLlm::new(p)
            .run(&ev, &s, &Space::paper(), &MemoryStudy::new(), &Silent)
            .unwrap()
    };
    let zero = AeLlmParams {
        refine_rounds: 0,
        ..params(4)
    };
    let random = AeLlmParams {
        use_surrogates: false,
        ..zero.clone()
    };
    let (initial, batches) = zero.schedule();
    assert_eq!(batches, vec![zero.budget - initial]);
    let (a, b) = (run(zero.clone()), run(random));
    assert_eq!(a.evaluations.len(), zero.budget);
    assert_eq!(b.evaluations.len(), zero.budget);
    let configs = |r: &aellm_optimizer::AeLlmResult| -> Vec<Configuration> {
        r.evaluations.iter().map(|e| e.configuration).collect()
    };
    let (ca, cb) = (configs(&a), configs(&b));
    // The same seeded sample first: the switch changes only what follows it.
    assert_eq!(ca[..initial], cb[..initial]);
    // Then the surrogates' batch, which uniform sampling does not reproduce.
    assert_ne!(ca[initial..], cb[initial..]);
}
