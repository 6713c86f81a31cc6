//! Ask/tell: the caller evaluates each batch itself.

use std::time::Instant;

use crate::algorithm::{Nsga2, Nsga2State};
use crate::error::{Nsga2Error, Result};
use crate::history::GenerationRecord;
use crate::individual::Individual;
use crate::problem::Evaluation;
use crate::result::OptimizationResult;
use crate::termination::{Termination, TerminationReason};

/// An NSGA-II run driven by the caller (pymoo's `setup` / `ask` / `tell` /
/// `has_next` / `result`), for evaluations made elsewhere: a surrogate, a
/// cluster job, a measurement queue.
///
/// ```
/// use aellm_nsga2::{Bounds, Evaluation, Nsga2, Nsga2Run, Termination};
/// let algo = Nsga2::real(&Bounds::uniform(2, 0.0, 1.0).unwrap()).pop_size(20).build().unwrap();
/// let mut run = Nsga2Run::setup(algo, 2, 0, Termination::generations(10), 42).unwrap();
/// while run.has_next() {
///     let batch = run.ask().unwrap();
///     let evals = batch.iter().map(|x| Evaluation::new(vec![x[0], 1.0 - x[0] + x[1]])).collect();
///     run.tell(evals).unwrap();
/// }
/// let result = run.result();
/// assert_eq!(result.n_generations, 10);
/// assert!(!result.front.is_empty());
/// ```
#[derive(Clone)]
pub struct Nsga2Run<G> {
    algorithm: Nsga2<G>,
    state: Nsga2State<G>,
    n_objectives: usize,
    n_constraints: usize,
    termination: Termination,
    hv_reference: Option<Vec<f64>>,
    pending: Option<Vec<G>>,
    started: Instant,
    stopped: Option<TerminationReason>,
}

impl<G: Clone + Send + Sync> Nsga2Run<G> {
    /// Prepares a run for a problem with the given numbers of objectives and
    /// constraints; `seed` fixes every random draw.
    pub fn setup(
        algorithm: Nsga2<G>,
        n_objectives: usize,
        n_constraints: usize,
        termination: Termination,
        seed: u64,
    ) -> Result<Self> {
        termination.validate()?;
        if n_objectives == 0 {
            return Err(Nsga2Error::InvalidParameter {
                name: "n_objectives",
                reason: "0 objectives; a problem needs at least one".into(),
            });
        }
        let hv_reference = termination
            .hypervolume_stall
            .as_ref()
            .map(|s| s.reference.clone());
        if let Some(r) = &hv_reference
            && r.len() != n_objectives
        {
            return Err(Nsga2Error::DimensionMismatch {
                what: "hypervolume stall reference point",
                expected: n_objectives,
                got: r.len(),
            });
        }
        let stopped = termination.check(&[], std::time::Duration::ZERO);
        Ok(Self {
            algorithm,
            state: Nsga2State::new(seed),
            n_objectives,
            n_constraints,
            termination,
            hv_reference,
            pending: None,
            started: Instant::now(),
            stopped,
        })
    }

    /// Records the hypervolume of the first front w.r.t. `reference` in every
    /// generation's history (the stall criterion's reference is used otherwise).
    pub fn with_hypervolume_reference(mut self, reference: Vec<f64>) -> Result<Self> {
        if reference.len() != self.n_objectives {
            return Err(Nsga2Error::DimensionMismatch {
                what: "hypervolume reference point",
                expected: self.n_objectives,
                got: reference.len(),
            });
        }
        self.hv_reference = Some(reference);
        Ok(self)
    }

    /// True while no termination criterion has been met.
    pub fn has_next(&self) -> bool {
        self.stopped.is_none()
    }

    /// The next batch of genomes to evaluate (clone it to keep it past `tell`).
    pub fn ask(&mut self) -> Result<&[G]> {
        if self.pending.is_some() {
            return Err(Nsga2Error::AskPending);
        }
        let batch = self.algorithm.ask(&mut self.state)?;
        Ok(self.pending.insert(batch))
    }

    /// Hands back the evaluations of the last batch, in the order asked.
    /// On error nothing changes, so the batch can be told again.
    pub fn tell(&mut self, evaluations: Vec<Evaluation>) -> Result<&GenerationRecord> {
        let expected = self
            .pending
            .as_ref()
            .ok_or(Nsga2Error::TellWithoutAsk)?
            .len();
        if evaluations.len() != expected {
            return Err(Nsga2Error::EvaluationCount {
                expected,
                got: evaluations.len(),
            });
        }
        for (i, e) in evaluations.iter().enumerate() {
            e.validate(i, self.n_objectives, self.n_constraints)?;
        }
        let genomes = self.pending.take().unwrap_or_default();
        let evaluated: Vec<Individual<G>> = genomes
            .into_iter()
            .zip(evaluations)
            .map(|(g, e)| Individual::new(g, e))
            .collect();
        self.algorithm
            .tell(&mut self.state, evaluated, self.hv_reference.as_deref());
        let elapsed = self.started.elapsed();
        if let Some(last) = self.state.history.last_mut() {
            last.elapsed_seconds = elapsed.as_secs_f64();
        }
        self.stopped = self.termination.check(&self.state.history, elapsed);
        Ok(self
            .state
            .history
            .last()
            .expect("tell always records a generation"))
    }

    /// The run's state (population, archive, history).
    pub fn state(&self) -> &Nsga2State<G> {
        &self.state
    }

    /// The current population.
    pub fn population(&self) -> &[Individual<G>] {
        &self.state.population
    }

    /// A snapshot of the result so far.
    pub fn result(&self) -> OptimizationResult<G> {
        self.clone().into_result()
    }

    /// Consumes the run into its result.
    pub fn into_result(self) -> OptimizationResult<G> {
        let population = self.state.population;
        let front = population.iter().filter(|i| i.rank == 0).cloned().collect();
        OptimizationResult {
            front,
            archive: self.state.archive.into_members(),
            history: self.state.history,
            n_generations: self.state.generation,
            n_evaluations: self.state.n_evaluations,
            termination: self.stopped,
            elapsed_seconds: self.started.elapsed().as_secs_f64(),
            population,
        }
    }
}
