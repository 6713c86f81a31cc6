//! NSGA-II (Deb, Pratap, Agarwal and Meyarivan 2002).

use std::sync::Arc;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::archive::ParetoArchive;
use crate::error::{Nsga2Error, Result};
use crate::history::GenerationRecord;
use crate::indicators::hypervolume;
use crate::individual::Individual;
use crate::operators::{
    CategoricalSampling, Crossover, DuplicateElimination, FloatRandomSampling, HashDuplicates,
    Mutation, PolynomialMutation, RandomResetMutation, RealDuplicates, Sampling, Sbx,
    TournamentSelection, UniformCrossover,
};
use crate::problem::Bounds;
use crate::survival::{RankAndCrowding, Survival};

/// Give up refilling the offspring after this many matings rounds that only produced duplicates.
const MAX_MATING_ROUNDS: usize = 100;

/// The NSGA-II algorithm: its parameters and operators, without any run state.
///
/// It is cheap to clone (operators are shared). [`Nsga2::ask`] and
/// [`Nsga2::tell`] advance an [`Nsga2State`] by one generation; the drivers
/// [`crate::Nsga2Run`] (ask/tell) and [`crate::Driver`] (a run loop) wrap them.
///
/// ```
/// use aellm_nsga2::{Nsga2, Bounds};
/// let algo = Nsga2::real(&Bounds::uniform(3, 0.0, 1.0).unwrap()).pop_size(40).build().unwrap();
/// assert_eq!(algo.pop_size_value(), 40);
/// ```
pub struct Nsga2<G> {
    pop_size: usize,
    n_offspring: usize,
    selection: TournamentSelection,
    sampling: Arc<dyn Sampling<G>>,
    crossover: Arc<dyn Crossover<G>>,
    mutation: Arc<dyn Mutation<G>>,
    duplicates: Arc<dyn DuplicateElimination<G>>,
    survival: Arc<dyn Survival>,
    archive: bool,
}

impl<G> Clone for Nsga2<G> {
    fn clone(&self) -> Self {
        Self {
            pop_size: self.pop_size,
            n_offspring: self.n_offspring,
            selection: self.selection,
            sampling: Arc::clone(&self.sampling),
            crossover: Arc::clone(&self.crossover),
            mutation: Arc::clone(&self.mutation),
            duplicates: Arc::clone(&self.duplicates),
            survival: Arc::clone(&self.survival),
            archive: self.archive,
        }
    }
}

/// Builds an [`Nsga2`]; parameters are checked once, in [`Nsga2Builder::build`].
pub struct Nsga2Builder<G> {
    inner: Nsga2<G>,
    tournament_size: usize,
}

/// The mutable state of one run: population, counters, archive, history and the random generator.
#[derive(Debug, Clone)]
pub struct Nsga2State<G> {
    /// The current population, best first (empty before the first `tell`).
    pub population: Vec<Individual<G>>,
    /// Generations completed (the initial population is generation 1).
    pub generation: usize,
    /// Evaluations told so far.
    pub n_evaluations: usize,
    /// Every non-dominated solution seen.
    pub archive: ParetoArchive<G>,
    /// One record per generation.
    pub history: Vec<GenerationRecord>,
    rng: ChaCha8Rng,
}

impl<G> Nsga2State<G> {
    /// A fresh state whose random generator is ChaCha8 seeded from `seed`.
    pub fn new(seed: u64) -> Self {
        Self {
            population: Vec::new(),
            generation: 0,
            n_evaluations: 0,
            archive: ParetoArchive::new(),
            history: Vec::new(),
            rng: ChaCha8Rng::seed_from_u64(seed),
        }
    }
}

impl<G: Clone + Send + Sync + 'static> Nsga2<G> {
    /// Starts a builder from the three variation operators; defaults: population
    /// 100, as many offspring, binary tournament, no duplicate elimination,
    /// rank-and-crowding survival, archive on.
    pub fn builder(
        sampling: impl Sampling<G> + 'static,
        crossover: impl Crossover<G> + 'static,
        mutation: impl Mutation<G> + 'static,
    ) -> Nsga2Builder<G> {
        Nsga2Builder {
            inner: Nsga2 {
                pop_size: 100,
                n_offspring: 100,
                selection: TournamentSelection::default(),
                sampling: Arc::new(sampling),
                crossover: Arc::new(crossover),
                mutation: Arc::new(mutation),
                duplicates: Arc::new(crate::operators::NoDuplicateElimination),
                survival: Arc::new(RankAndCrowding),
                archive: true,
            },
            tournament_size: 2,
        }
    }
}

impl Nsga2<Vec<f64>> {
    /// The classic real-coded NSGA-II: uniform sampling, SBX (η = 15, p = 0.9),
    /// polynomial mutation (η = 20, p = 1/n) and exact duplicate elimination.
    pub fn real(bounds: &Bounds) -> Nsga2Builder<Vec<f64>> {
        let sbx = Sbx::new(bounds.clone(), 15.0, 0.9).expect("constant parameters are valid");
        let pm =
            PolynomialMutation::new(bounds.clone(), 20.0).expect("constant parameters are valid");
        Nsga2::builder(FloatRandomSampling::new(bounds.clone()), sbx, pm)
            .duplicates(RealDuplicates::exact())
    }
}

impl Nsga2<Vec<usize>> {
    /// NSGA-II over categorical genes (`0..cardinalities[i]`): uniform sampling,
    /// uniform crossover (p = 0.9), random-reset mutation (p = 1/n) and exact duplicate elimination.
    pub fn categorical(cardinalities: Vec<usize>) -> Result<Nsga2Builder<Vec<usize>>> {
        let sampling = CategoricalSampling::new(cardinalities.clone())?;
        let mutation = RandomResetMutation::new(cardinalities)?;
        let ux = UniformCrossover::new(0.9)?;
        Ok(Nsga2::builder(sampling, ux, mutation).duplicates(HashDuplicates))
    }
}

impl<G: Clone + Send + Sync + 'static> Nsga2Builder<G> {
    /// Population size (μ); at least 2.
    pub fn pop_size(mut self, n: usize) -> Self {
        self.inner.pop_size = n;
        self.inner.n_offspring = n;
        self
    }

    /// Offspring per generation (λ); defaults to the population size.
    pub fn n_offspring(mut self, n: usize) -> Self {
        self.inner.n_offspring = n;
        self
    }

    /// Tournament size for mating selection (2 = binary tournament).
    pub fn tournament_size(mut self, k: usize) -> Self {
        self.tournament_size = k;
        self
    }

    /// Replaces the sampling operator.
    pub fn sampling(mut self, s: impl Sampling<G> + 'static) -> Self {
        self.inner.sampling = Arc::new(s);
        self
    }

    /// Replaces the crossover operator.
    pub fn crossover(mut self, c: impl Crossover<G> + 'static) -> Self {
        self.inner.crossover = Arc::new(c);
        self
    }

    /// Replaces the mutation operator.
    pub fn mutation(mut self, m: impl Mutation<G> + 'static) -> Self {
        self.inner.mutation = Arc::new(m);
        self
    }

    /// Sets the duplicate elimination.
    pub fn duplicates(mut self, d: impl DuplicateElimination<G> + 'static) -> Self {
        self.inner.duplicates = Arc::new(d);
        self
    }

    /// Replaces the survival (default: NSGA-II rank and crowding).
    pub fn survival(mut self, s: impl Survival + 'static) -> Self {
        self.inner.survival = Arc::new(s);
        self
    }

    /// Keeps (default) or skips the Pareto archive.
    pub fn archive(mut self, on: bool) -> Self {
        self.inner.archive = on;
        self
    }

    /// Checks the parameters and returns the algorithm.
    pub fn build(mut self) -> Result<Nsga2<G>> {
        if self.inner.pop_size < 2 {
            return Err(Nsga2Error::InvalidParameter {
                name: "pop_size",
                reason: format!(
                    "{} is too small; use at least 2 (100 is usual)",
                    self.inner.pop_size
                ),
            });
        }
        if self.inner.n_offspring == 0 {
            return Err(Nsga2Error::InvalidParameter {
                name: "n_offspring",
                reason: "0 offspring per generation; use at least 1 (usually the population size)"
                    .into(),
            });
        }
        if self.inner.crossover.n_parents() == 0 {
            return Err(Nsga2Error::InvalidParameter {
                name: "crossover",
                reason: "n_parents() is 0; a crossover needs at least one parent".into(),
            });
        }
        self.inner.selection = TournamentSelection::new(self.tournament_size)?;
        Ok(self.inner)
    }
}

impl<G: Clone + Send + Sync> Nsga2<G> {
    /// Population size.
    pub fn pop_size_value(&self) -> usize {
        self.pop_size
    }

    /// The genomes to evaluate next: the initial sample first, then offspring
    /// made by tournament selection, crossover, mutation and duplicate
    /// elimination. All random numbers come from the state's generator.
    pub fn ask(&self, state: &mut Nsga2State<G>) -> Result<Vec<G>> {
        if state.population.is_empty() {
            let mut sample = self.sampling.sample(self.pop_size, &mut state.rng);
            sample = self.duplicates.eliminate(&[], sample);
            if sample.is_empty() {
                return Err(Nsga2Error::EmptySample);
            }
            return Ok(sample);
        }
        Ok(self.mate(state))
    }

    fn mate(&self, state: &mut Nsga2State<G>) -> Vec<G> {
        let pop = &state.population;
        let rank: Vec<usize> = pop.iter().map(|i| i.rank).collect();
        let crowd: Vec<f64> = pop.iter().map(|i| i.crowding_distance).collect();
        let n_parents = self.crossover.n_parents();
        let mut tournaments = self.selection.tournaments(pop.len());
        let mut offspring: Vec<G> = Vec::with_capacity(self.n_offspring);
        for _ in 0..MAX_MATING_ROUNDS {
            let need = self.n_offspring - offspring.len();
            let mut batch = Vec::with_capacity(need + 1);
            while batch.len() < need {
                let parents: Vec<&G> = (0..n_parents)
                    .map(|_| &pop[tournaments.winner(&rank, &crowd, &mut state.rng)].genome)
                    .collect();
                let children = self.crossover.crossover(&parents, &mut state.rng);
                if children.is_empty() {
                    break;
                }
                for mut c in children {
                    self.mutation.mutate(&mut c, &mut state.rng);
                    batch.push(c);
                }
            }
            batch.truncate(need);
            let kept = {
                let existing: Vec<&G> = pop
                    .iter()
                    .map(|i| &i.genome)
                    .chain(offspring.iter())
                    .collect();
                self.duplicates.eliminate(&existing, batch)
            };
            offspring.extend(kept);
            if offspring.len() >= self.n_offspring {
                break;
            }
        }
        if offspring.len() < self.n_offspring {
            tracing::warn!(
                wanted = self.n_offspring,
                got = offspring.len(),
                "nsga2: could not make enough distinct offspring; the search space may be exhausted"
            );
        }
        offspring
    }

    /// Merges evaluated individuals into the state: (μ+λ) survival, archive
    /// update, counters and a history record, which is returned.
    pub fn tell(
        &self,
        state: &mut Nsga2State<G>,
        evaluated: Vec<Individual<G>>,
        hv_reference: Option<&[f64]>,
    ) -> GenerationRecord {
        let n_new = evaluated.len();
        let mut merged = std::mem::take(&mut state.population);
        let first_new = merged.len();
        merged.extend(evaluated);
        let outcome = {
            let objs: Vec<&[f64]> = merged.iter().map(|i| i.objectives.as_slice()).collect();
            let cv: Vec<f64> = merged.iter().map(|i| i.constraint_violation).collect();
            self.survival.survive(&objs, &cv, self.pop_size)
        };
        if self.archive {
            // Only first-front newcomers can be non-dominated by everything seen before.
            for &i in outcome.first_front.iter().filter(|&&i| i >= first_new) {
                state.archive.insert(merged[i].clone());
            }
        }
        let mut slots: Vec<Option<Individual<G>>> = merged.into_iter().map(Some).collect();
        state.population = outcome
            .selected
            .iter()
            .zip(outcome.rank.iter().zip(&outcome.crowding))
            .filter_map(|(&i, (&rank, &crowding))| {
                let mut ind = slots[i].take()?;
                ind.rank = rank;
                ind.crowding_distance = crowding;
                Some(ind)
            })
            .collect();
        state.generation += 1;
        state.n_evaluations += n_new;
        let record = self.record(state, n_new, hv_reference);
        state.history.push(record.clone());
        record
    }

    fn record(
        &self,
        state: &Nsga2State<G>,
        n_new: usize,
        hv_reference: Option<&[f64]>,
    ) -> GenerationRecord {
        let pop = &state.population;
        let front: Vec<&Individual<G>> = pop.iter().filter(|i| i.rank == 0).collect();
        let m = pop.first().map_or(0, |i| i.objectives.len());
        let ideal = (0..m)
            .map(|k| {
                front
                    .iter()
                    .map(|i| i.objectives[k])
                    .fold(f64::INFINITY, f64::min)
            })
            .collect();
        let hypervolume = hv_reference.and_then(|r| {
            let feasible: Vec<&[f64]> = front
                .iter()
                .filter(|i| i.is_feasible())
                .map(|i| i.objectives.as_slice())
                .collect();
            hypervolume(&feasible, r).ok()
        });
        GenerationRecord {
            generation: state.generation,
            n_evaluations: state.n_evaluations,
            n_new,
            front_size: front.len(),
            n_feasible: pop.iter().filter(|i| i.is_feasible()).count(),
            min_violation: pop
                .iter()
                .map(|i| i.constraint_violation)
                .fold(f64::INFINITY, f64::min),
            ideal,
            hypervolume,
            archive_size: state.archive.len(),
            elapsed_seconds: 0.0,
        }
    }
}
