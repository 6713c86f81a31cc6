//! The AE-LLM method: sample → measure → fit surrogates → stage-aware
//! NSGA-II → measure the most promising (or most uncertain) front members
//! (the first batch) → refit, search and measure again, once per refinement
//! round.

use crate::build;
use crate::observer::PhaseObserver;
use crate::params::{AeLlmParams, ValidAeLlmParams};
use crate::predictor::Prediction;
use crate::refinement::top_up;
use crate::runner::Runner;
use crate::search::{SearchRound, predicted_front};
use crate::study::{Queue, Study, StudySpec};
use crate::surrogates::ObjectiveSurrogates;
use crate::transfer::WarmStart;
use crate::{AeLlmResult, OptimizerError, TerminationReason};
use aellm_space::{Configuration, Evaluation, Evaluator, Objectives, Scenario, Space};
use rand::SeedableRng;
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Instant;

/// The AE-LLM optimizer.
///
/// ```
/// use aellm_optimizer::{AeLlm, AeLlmParams, observer::Silent, study::MemoryStudy};
/// use aellm_space::*;
///
/// /// A stand-in evaluator with made-up closed-form figures (use the harness,
/// /// or your own measurements, for real ones).
/// struct Formula;
/// impl Evaluator for Formula {
///     fn name(&self) -> String { "formula".into() }
///     fn evaluate(&self, c: &Configuration, _: &Scenario) -> Result<Measurement, EvalError> {
///         let bits = c.inference.weights.bits() as f64;
///         let o = Objectives { accuracy: 0.6 - 0.02 / bits, latency_ms: 50.0 + 5.0 * bits,
///                              memory_gb: bits, energy_j: 10.0 + bits };
///         Ok(Measurement::new(o, Provenance::Estimated, self.name()))
///     }
/// }
///
/// let scenario = Scenario::new(presets::model("llama-2-7b").unwrap(),
///     presets::task("mmlu").unwrap(), presets::hardware("a100-80gb").unwrap());
/// let mut params = AeLlmParams { budget: 12, ..Default::default() };
/// params.search.population = 20;
/// params.search.generations = 5;
/// params.surrogate.member = aellm_surrogate::GbdtParams::ae_llm().n_trees(30).max_depth(3);
/// let result = AeLlm::new(params)
///     .run(&Formula, &scenario, &Space::paper(), &MemoryStudy::new(), &Silent)
///     .unwrap();
/// assert_eq!(result.evaluations.len(), 12);
/// let best = result.recommended.unwrap();
/// println!("{}: {:?}", best.member.configuration, best.why);
/// ```
#[derive(Debug, Clone, Default)]
pub struct AeLlm {
    /// Settings.
    pub params: AeLlmParams,
    /// When set, evaluations are handed to workers through the study's
    /// queue, and workers build the evaluator of this kind (e.g. `harness`).
    pub workers: Option<String>,
    /// When set, every search continues these surrogates (fitted on another
    /// model) on this run's measurements instead of fitting from scratch.
    pub warm: Option<Arc<WarmStart>>,
}

impl AeLlm {
    /// An optimizer with these settings.
    pub fn new(params: AeLlmParams) -> Self {
        AeLlm {
            params,
            workers: None,
            warm: None,
        }
    }

    /// Warm-starts the surrogates from another model's measurements (the
    /// paper's transfer across models): the initial sample shrinks to the
    /// fewest rows a continuation needs ([`AeLlmParams::schedule_warm`]) and
    /// each search continues `warm`'s surrogates on this run's measurements.
    pub fn warm_start(mut self, warm: WarmStart) -> Self {
        self.warm = Some(Arc::new(warm));
        self
    }

    /// Hands every evaluation to workers through the study's queue; they
    /// measure with the evaluator of kind `evaluator_kind` (a name the
    /// workers' program can build, e.g. `harness`).
    pub fn through_workers(mut self, evaluator_kind: impl Into<String>) -> Self {
        self.workers = Some(evaluator_kind.into());
        self
    }

    /// Runs the method on a scenario over a space, keeping every evaluation
    /// in `study` (a run started again with the same study and seed reuses
    /// them instead of measuring again).
    pub fn run(
        &self,
        evaluator: &dyn Evaluator,
        scenario: &Scenario,
        space: &Space,
        study: &dyn Study,
        observer: &dyn PhaseObserver,
    ) -> Result<AeLlmResult, OptimizerError> {
        scenario.check()?;
        space.check()?;
        let params = self.params.check()?;
        let space = Arc::new(space.for_model(&scenario.model));
        let deadline = params.max_time.map(|t| Instant::now() + t);
        let (runner, _) = self.runner(evaluator, study, scenario, observer, deadline)?;
        let mut state = RunState::new(&params, self.warm.is_some());
        let ctx = Context {
            params: &params,
            warm: self.warm.as_deref(),
            scenario,
            space: &space,
            runner: &runner,
            observer,
        };
        // The loop owns the deadline: no phase starts once it has passed.
        let stopped = loop {
            if state.next != Phase::Initial && runner.out_of_time() {
                break TerminationReason::TimeBudgetSpent;
            }
            if let Some(reason) = ctx.step(&mut state)? {
                break reason;
            }
        };
        let predictor = state
            .surrogates
            .as_deref()
            .map(|s| s as &dyn crate::predictor::Predictor);
        Ok(build::result(
            scenario,
            &space,
            state.evaluations,
            &state.predicted,
            predictor,
            stopped,
        ))
    }
}

impl AeLlm {
    /// Measures the baselines ([`crate::baselines::run_baselines`]) with
    /// this optimizer's seed, handing every evaluation to workers when
    /// [`AeLlm::through_workers`] was asked for (all the baselines'
    /// configurations are queued at once, so workers measure them side by
    /// side).
    pub fn run_baselines(
        &self,
        evaluator: &dyn Evaluator,
        scenario: &Scenario,
        space: &Space,
        study: &dyn Study,
        observer: &dyn PhaseObserver,
        budget: usize,
    ) -> Result<crate::baselines::BaselineRuns, OptimizerError> {
        let (runner, queue) = self.runner(evaluator, study, scenario, observer, None)?;
        crate::baselines::measure_baselines(&runner, space, budget, self.params.seed, queue)
    }

    /// A runner for the scenario: through the study's queue when workers
    /// measure (the study is registered for them first), with that queue.
    fn runner<'a>(
        &self,
        evaluator: &'a dyn Evaluator,
        study: &'a dyn Study,
        scenario: &'a Scenario,
        observer: &'a dyn PhaseObserver,
        deadline: Option<Instant>,
    ) -> Result<(Runner<'a>, Option<&'a dyn Queue>), OptimizerError> {
        let runner = Runner::new(evaluator, study, scenario, observer, deadline)
            .max_attempts(self.params.max_attempts);
        let Some(kind) = &self.workers else {
            return Ok((runner, None));
        };
        let q = study.as_queue().ok_or_else(|| OptimizerError::StudyUrl {
            url: "(in-memory study)".into(),
            reason: "workers need a study they can share".into(),
        })?;
        q.register(&StudySpec {
            key: runner.key().clone(),
            scenario: scenario.clone(),
            evaluator_kind: kind.clone(),
        })?;
        Ok((runner.through_queue(q), Some(q)))
    }
}

/// What the next step does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Measure the default and a uniform sample.
    Initial,
    /// Fit the surrogates and search over their predictions (search `n`:
    /// 0 on the initial sample, `n` after refinement round `n`).
    Search(usize),
    /// Measure what search `n` found most worth measuring (batch `n`: the
    /// first batch, then refinement round `n`).
    Refine(usize),
    /// Nothing left to do.
    Done,
}

/// Everything a run carries from one step to the next.
struct RunState {
    next: Phase,
    rng: rand_chacha::ChaCha8Rng,
    evaluations: Vec<Evaluation>,
    predicted: Vec<(Configuration, Prediction)>,
    surrogates: Option<Arc<ObjectiveSurrogates>>,
    initial: usize,
    per_round: Vec<usize>,
}

impl RunState {
    fn new(p: &ValidAeLlmParams, warm: bool) -> Self {
        let (initial, per_round) = if warm {
            p.schedule_warm()
        } else {
            p.schedule()
        };
        RunState {
            next: Phase::Initial,
            rng: rand_chacha::ChaCha8Rng::seed_from_u64(p.seed),
            evaluations: Vec::new(),
            predicted: Vec::new(),
            surrogates: None,
            initial,
            per_round,
        }
    }
}

/// What every step reads and does not change.
struct Context<'a> {
    params: &'a ValidAeLlmParams,
    warm: Option<&'a WarmStart>,
    scenario: &'a Scenario,
    space: &'a Arc<Space>,
    runner: &'a Runner<'a>,
    observer: &'a dyn PhaseObserver,
}

impl Context<'_> {
    /// Runs the next phase; `Some` when the run ends.
    fn step(&self, st: &mut RunState) -> Result<Option<TerminationReason>, OptimizerError> {
        match st.next {
            Phase::Initial => {
                self.sample(st)?;
                st.next = if self.params.use_surrogates {
                    Phase::Search(0)
                } else {
                    Phase::Done
                };
                Ok(None)
            }
            Phase::Search(round) => self.search(st, round),
            Phase::Refine(round) => self.refine(st, round),
            Phase::Done => Ok(Some(TerminationReason::Finished)),
        }
    }

    /// The initial sample: the default configuration first (every efficiency
    /// score is against it), then distinct uniform samples.
    fn sample(&self, st: &mut RunState) -> Result<(), OptimizerError> {
        self.observer
            .phase_started("initial sample", st.initial as u64);
        let mut plan: Vec<Configuration> = Vec::new();
        if self.space.contains(&Configuration::default()) {
            plan.push(Configuration::default());
        }
        let mut seen: HashSet<Configuration> = plan.iter().copied().collect();
        let target = st.initial.min(self.space.size() as usize);
        while plan.len() < target {
            let c = self.space.sample(&mut st.rng)?;
            if seen.insert(c) {
                plan.push(c);
            }
        }
        st.evaluations = self.runner.measure(&plan, "initial")?.evaluations;
        self.observer.phase_finished("initial sample");
        Ok(())
    }

    /// Fits the surrogates on every success so far and runs one NSGA-II
    /// round over their predictions.
    fn search(
        &self,
        st: &mut RunState,
        round: usize,
    ) -> Result<Option<TerminationReason>, OptimizerError> {
        let p = self.params;
        let name = format!("search round {}", round + 1);
        self.observer.phase_started(&name, 2);
        let data: Vec<_> = build::successes(&st.evaluations)
            .into_iter()
            .map(|(c, m)| (c, m.objectives()))
            .collect();
        let fitted = match self.warm {
            Some(w) => w.continue_on(&data, self.scenario),
            None => ObjectiveSurrogates::fit(&data, self.scenario, &p.surrogate),
        };
        let sur = match fitted {
            Ok(s) => Arc::new(s),
            Err(OptimizerError::TooFewMeasurements { got, needed }) => {
                tracing::warn!(
                    got,
                    needed,
                    "too few successful measurements to fit surrogates; stopping the search"
                );
                return Ok(Some(TerminationReason::TooFewMeasurements { got, needed }));
            }
            Err(e) => return Err(e),
        };
        self.observer.step("surrogates fitted");
        let search = SearchRound {
            space: self.space.clone(),
            scenario: self.scenario,
            predictor: sur.clone(),
            params: p.search.clone(),
        };
        let found = search.run(p.seed.wrapping_add(1 + round as u64))?;
        st.predicted = predicted_front(&found, self.scenario);
        if st.predicted.is_empty() {
            st.predicted = found;
        }
        self.observer.step("search done");
        self.observer.phase_finished(&name);
        st.surrogates = Some(sur);
        // The last search only refits on everything measured, for the
        // result's predictions: batches 0..=refine_rounds are all measured.
        if round > p.refine_rounds {
            return Ok(Some(TerminationReason::Finished));
        }
        st.next = Phase::Refine(round);
        Ok(None)
    }

    /// Measures the front members that promise the most (or that the
    /// ensemble is least sure of).
    fn refine(
        &self,
        st: &mut RunState,
        round: usize,
    ) -> Result<Option<TerminationReason>, OptimizerError> {
        let measured: HashSet<Configuration> =
            st.evaluations.iter().map(|e| e.configuration).collect();
        let front: Vec<Objectives> = build::measured_front(&st.evaluations, self.scenario)
            .iter()
            .map(|(_, m)| m.objectives())
            .collect();
        let n = st.per_round.get(round).copied().unwrap_or(0);
        let picks = self
            .params
            .acquisition
            .pick(&st.predicted, &front, &measured, n);
        let picks = top_up(picks, n, &measured, self.space, &mut st.rng)?;
        let (name, tag) = if round == 0 {
            (
                "first surrogate batch".to_string(),
                "surrogate-batch".to_string(),
            )
        } else {
            (format!("refinement {round}"), format!("refine-{round}"))
        };
        self.observer.phase_started(&name, picks.len() as u64);
        let m = self.runner.measure(&picks, &tag)?;
        st.evaluations.extend(m.evaluations);
        self.observer.phase_finished(&name);
        if m.out_of_time {
            return Ok(Some(TerminationReason::TimeBudgetSpent));
        }
        st.next = Phase::Search(round + 1);
        Ok(None)
    }
}
