//! The run loop: ask, evaluate (serially or with rayon), tell, observe.

use rayon::prelude::*;

use crate::algorithm::Nsga2;
use crate::driver::Nsga2Run;
use crate::error::Result;
use crate::observer::Observer;
use crate::problem::{Evaluation, Problem};
use crate::result::OptimizationResult;
use crate::termination::Termination;

/// Evaluates genomes in order; with `parallel` the work is spread over rayon's
/// pool, and the results come back in the same order, so the run is identical.
pub fn evaluate_batch<P: Problem>(
    problem: &P,
    genomes: &[P::Genome],
    parallel: bool,
) -> Vec<Evaluation> {
    if parallel {
        genomes.par_iter().map(|g| problem.evaluate(g)).collect()
    } else {
        genomes.iter().map(|g| problem.evaluate(g)).collect()
    }
}

/// Runs NSGA-II on `problem` until `termination`, serially, with seed `seed`.
///
/// ```
/// use aellm_nsga2::{minimize, Nsga2, RealProblem, Termination};
/// use aellm_nsga2::problems::Zdt;
/// let zdt1 = Zdt::zdt1(10);
/// let algo = Nsga2::real(zdt1.bounds()).pop_size(20).build().unwrap();
/// let res = minimize(&zdt1, &algo, Termination::generations(5), 1).unwrap();
/// assert_eq!(res.n_evaluations, 100);
/// ```
pub fn minimize<P: Problem>(
    problem: &P,
    algorithm: &Nsga2<P::Genome>,
    termination: Termination,
    seed: u64,
) -> Result<OptimizationResult<P::Genome>> {
    Driver::new(problem, algorithm.clone())
        .termination(termination)
        .seed(seed)
        .run()
}

/// The run loop with options (argmin's `Executor`): termination, seed,
/// parallel evaluation, hypervolume tracking and observers.
pub struct Driver<'a, P: Problem> {
    problem: &'a P,
    algorithm: Nsga2<P::Genome>,
    termination: Termination,
    seed: u64,
    parallel: bool,
    hv_reference: Option<Vec<f64>>,
    observers: Vec<Box<dyn Observer<P::Genome> + 'a>>,
}

impl<'a, P: Problem> Driver<'a, P> {
    /// A driver with 100 generations, seed 0, serial evaluation and no observers.
    pub fn new(problem: &'a P, algorithm: Nsga2<P::Genome>) -> Self {
        Self {
            problem,
            algorithm,
            termination: Termination::generations(100),
            seed: 0,
            parallel: false,
            hv_reference: None,
            observers: Vec::new(),
        }
    }

    /// When to stop.
    pub fn termination(mut self, t: Termination) -> Self {
        self.termination = t;
        self
    }

    /// The seed of the run's ChaCha8 generator.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Evaluates each batch on rayon's thread pool (same result as serial).
    pub fn parallel(mut self, on: bool) -> Self {
        self.parallel = on;
        self
    }

    /// Records the first front's hypervolume w.r.t. `reference` in the history.
    pub fn hypervolume_reference(mut self, reference: Vec<f64>) -> Self {
        self.hv_reference = Some(reference);
        self
    }

    /// Adds an observer called after every generation.
    pub fn observer(mut self, o: impl Observer<P::Genome> + 'a) -> Self {
        self.observers.push(Box::new(o));
        self
    }

    /// Runs to termination.
    pub fn run(mut self) -> Result<OptimizationResult<P::Genome>> {
        let mut run = Nsga2Run::setup(
            self.algorithm,
            self.problem.n_objectives(),
            self.problem.n_constraints(),
            self.termination,
            self.seed,
        )?;
        if let Some(r) = self.hv_reference {
            run = run.with_hypervolume_reference(r)?;
        }
        while run.has_next() {
            let batch = run.ask()?;
            let evaluations = evaluate_batch(self.problem, batch, self.parallel);
            let record = run.tell(evaluations)?.clone();
            for o in &mut self.observers {
                o.observe(&record, run.population());
            }
        }
        Ok(run.into_result())
    }
}
