//! One round of the search: NSGA-II over the predictor's objectives.

use super::operators::{
    ConstraintAwareSampling, FitsFn, GeneWiseCrossover, HierarchicalCrossover, StageMutation,
    ValidSampling,
};
use crate::params::invalid;
use crate::predictor::{Prediction, Predictor};
use crate::{OptimizerError, feasibility};
use aellm_nsga2::operators::HashDuplicates;
use aellm_nsga2::{Evaluation, Nsga2, Nsga2Run, Termination};
use aellm_space::{Configuration, Genome, Scenario, Space};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// Settings of the search (defaults from the paper's Table 5).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchParams {
    /// Population size (100).
    pub population: usize,
    /// Generations per round (50).
    pub generations: usize,
    /// Crossover probability (0.9).
    pub crossover_probability: f64,
    /// Tournament size (3).
    pub tournament_size: usize,
    /// Mutation probability per stage: architecture, fine-tuning, inference.
    pub mutation_rates: [f64; 3],
    /// Hierarchical (per-stage) crossover; off = gene-wise uniform crossover.
    pub hierarchical_crossover: bool,
    /// Constraint-aware initialisation; off = uniform valid samples.
    pub constraint_aware_init: bool,
    /// Standard deviations of prediction added before a configuration
    /// counts as fitting the hardware at initialisation (the safety margin).
    pub margin_sigmas: f64,
}

impl Default for SearchParams {
    fn default() -> Self {
        SearchParams {
            population: 100,
            generations: 50,
            crossover_probability: 0.9,
            tournament_size: 3,
            mutation_rates: [0.10, 0.20, 0.15],
            hierarchical_crossover: true,
            constraint_aware_init: true,
            margin_sigmas: 1.0,
        }
    }
}

impl SearchParams {
    /// Checks every setting, naming the first bad one and what is allowed.
    pub fn check(&self) -> Result<(), OptimizerError> {
        let p = self;
        let unit = |x: f64| (0.0..=1.0).contains(&x);
        if p.population < 2 {
            return Err(invalid("population", p.population, "at least 2".into()));
        }
        if p.generations == 0 {
            return Err(invalid("generations", 0, "at least 1".into()));
        }
        if !unit(p.crossover_probability) {
            return Err(invalid(
                "crossover_probability",
                p.crossover_probability,
                "a probability in [0, 1]".into(),
            ));
        }
        if p.tournament_size == 0 {
            return Err(invalid("tournament_size", 0, "at least 1".into()));
        }
        if !p.mutation_rates.iter().all(|r| unit(*r)) {
            return Err(invalid(
                "mutation_rates",
                format!("{:?}", p.mutation_rates),
                "three probabilities in [0, 1] (architecture, fine-tuning, inference)".into(),
            ));
        }
        if !(p.margin_sigmas.is_finite() && p.margin_sigmas >= 0.0) {
            return Err(invalid(
                "margin_sigmas",
                p.margin_sigmas,
                "a finite number of standard deviations, 0 or more".into(),
            ));
        }
        Ok(())
    }
}

/// The constraint values of a prediction, `sigmas` deviations on the unsafe side.
fn constraint_values(p: &Prediction, s: &Scenario, sigmas: f64) -> Vec<f64> {
    feasibility::constraint_values(&p.mean, &p.std, s, sigmas)
}

/// One round of NSGA-II on predicted objectives.
pub struct SearchRound<'a> {
    /// The space searched.
    pub space: Arc<Space>,
    /// The scenario (its limits are the constraints).
    pub scenario: &'a Scenario,
    /// The model of the objectives.
    pub predictor: Arc<dyn Predictor>,
    /// Settings.
    pub params: SearchParams,
}

impl SearchRound<'_> {
    /// Runs the round and returns the non-dominated configurations it found
    /// (predicted feasible ones if any, else the least infeasible front), with
    /// their predictions.
    pub fn run(&self, seed: u64) -> Result<Vec<(Configuration, Prediction)>, OptimizerError> {
        let mut run = Nsga2Run::setup(
            self.algorithm()?,
            4,
            feasibility::constraint_count(self.scenario),
            Termination::generations(self.params.generations),
            seed,
        )?;
        // Offspring often repeat configurations earlier generations saw (the
        // space is discrete); a prediction is a pure function of the
        // configuration, so each is computed once per round.
        let mut seen: HashMap<Configuration, Prediction> = HashMap::new();
        while run.has_next() {
            let batch = run.ask()?;
            let configs: Vec<Configuration> = batch.iter().map(|g| self.configuration(g)).collect();
            let preds = self.predict_once(&configs, &mut seen);
            let evals = preds
                .iter()
                .map(|pr| {
                    Evaluation::new(pr.mean.to_minimise().to_vec())
                        .with_constraints(constraint_values(pr, self.scenario, 0.0))
                })
                .collect();
            run.tell(evals)?;
        }
        let result = run.result();
        let feasible: Vec<_> = result.archive.iter().filter(|i| i.is_feasible()).collect();
        let chosen: Vec<_> = if feasible.is_empty() {
            result.front.iter().collect()
        } else {
            feasible
        };
        let configs: Vec<Configuration> = chosen
            .iter()
            .map(|i| self.configuration(&i.genome))
            .collect();
        let preds = self.predictor.predict(&configs);
        Ok(configs.into_iter().zip(preds).collect())
    }

    /// The engine with the stage-aware operators this round's settings choose.
    fn algorithm(&self) -> Result<Nsga2<Vec<usize>>, OptimizerError> {
        let p = &self.params;
        let space = self.space.clone();
        let card: Vec<usize> = space.cardinalities().to_vec();
        let mutation = StageMutation::with_rates(space.clone(), p.mutation_rates);
        let mut builder = Nsga2::categorical(card)?
            .pop_size(p.population)
            .tournament_size(p.tournament_size)
            .mutation(mutation)
            .duplicates(HashDuplicates);
        builder = if p.hierarchical_crossover {
            builder.crossover(HierarchicalCrossover::new(
                space.clone(),
                p.crossover_probability,
            ))
        } else {
            builder.crossover(GeneWiseCrossover::new(
                space.clone(),
                p.crossover_probability,
            ))
        };
        builder = if p.constraint_aware_init {
            let (predictor, scenario, sigmas) = (
                self.predictor.clone(),
                self.scenario.clone(),
                p.margin_sigmas,
            );
            let fits: Arc<FitsFn> = Arc::new(move |cs: &[Configuration]| {
                predictor
                    .predict(cs)
                    .iter()
                    .map(|pr| {
                        constraint_values(pr, &scenario, sigmas)
                            .iter()
                            .all(|g| *g <= 0.0)
                    })
                    .collect()
            });
            builder.sampling(ConstraintAwareSampling::new(space.clone(), fits))
        } else {
            builder.sampling(ValidSampling::new(space.clone()))
        };
        Ok(builder.build()?)
    }

    /// Predictions of `configs`, asking the predictor only for those not in `seen`.
    fn predict_once(
        &self,
        configs: &[Configuration],
        seen: &mut HashMap<Configuration, Prediction>,
    ) -> Vec<Prediction> {
        let mut asked = HashSet::new();
        let fresh: Vec<Configuration> = configs
            .iter()
            .filter(|c| !seen.contains_key(c) && asked.insert(**c))
            .copied()
            .collect();
        let preds = self.predictor.predict(&fresh);
        seen.extend(fresh.into_iter().zip(preds));
        configs.iter().map(|c| seen[c]).collect()
    }

    fn configuration(&self, g: &[usize]) -> Configuration {
        let genome: Genome = std::array::from_fn(|i| g.get(i).copied().unwrap_or(0));
        // Operators only hand back repaired genomes, so this always decodes.
        self.space.configuration(&genome).unwrap_or_default()
    }
}

/// The non-dominated, predicted-feasible members of a set of predictions.
pub fn predicted_front(
    items: &[(Configuration, Prediction)],
    scenario: &Scenario,
) -> Vec<(Configuration, Prediction)> {
    let feasible: Vec<&(Configuration, Prediction)> = items
        .iter()
        .filter(|(_, p)| {
            constraint_values(p, scenario, 0.0)
                .iter()
                .all(|g| *g <= 0.0)
        })
        .collect();
    let idx = crate::non_dominated(&feasible, |x| x.1.mean);
    idx.into_iter().map(|i| *feasible[i]).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::predictor::toy;
    use aellm_space::presets;

    fn scenario() -> Scenario {
        Scenario::new(
            presets::model("llama-2-7b").unwrap(),
            presets::task("mmlu").unwrap(),
            presets::hardware("a100-80gb").unwrap(),
        )
    }

    #[test]
    fn finds_the_true_front_of_a_small_space() {
        let space = Arc::new(toy::small_space());
        assert_eq!(space.size(), 144);
        let s = scenario();
        let all: Vec<(Configuration, Prediction)> = space
            .enumerate()
            .into_iter()
            .zip(toy::Toy.predict(&space.enumerate()))
            .collect();
        let truth = predicted_front(&all, &s);
        let params = SearchParams {
            population: 40,
            generations: 25,
            ..Default::default()
        };
        let round = SearchRound {
            space: space.clone(),
            scenario: &s,
            predictor: Arc::new(toy::Toy),
            params,
        };
        let found = predicted_front(&round.run(11).unwrap(), &s);
        let truth_keys: Vec<Configuration> = truth.iter().map(|x| x.0).collect();
        let on_front = found.iter().filter(|x| truth_keys.contains(&x.0)).count();
        assert_eq!(
            on_front,
            found.len(),
            "everything found is on the true front"
        );
        assert!(
            found.len() as f64 >= 0.9 * truth.len() as f64,
            "found {} of {}",
            found.len(),
            truth.len()
        );
    }

    #[test]
    fn respects_the_memory_limit() {
        let space = Arc::new(Space::paper());
        let mut s = scenario();
        // 8 GB: FP16 (14 GB in the toy model) never fits, nor MoE at 16 bits.
        s.constraints.max_memory_gb = Some(8.0);
        let params = SearchParams {
            population: 40,
            generations: 15,
            ..Default::default()
        };
        let round = SearchRound {
            space,
            scenario: &s,
            predictor: Arc::new(toy::Toy),
            params,
        };
        let found = round.run(3).unwrap();
        assert!(!found.is_empty());
        for (c, p) in &found {
            assert!(p.mean.memory_gb <= 8.0, "{c}: {}", p.mean.memory_gb);
        }
    }

    #[test]
    fn same_seed_same_front() {
        let space = Arc::new(toy::small_space());
        let s = scenario();
        let params = SearchParams {
            population: 20,
            generations: 5,
            ..Default::default()
        };
        let r = SearchRound {
            space,
            scenario: &s,
            predictor: Arc::new(toy::Toy),
            params,
        };
        assert_eq!(r.run(5).unwrap(), r.run(5).unwrap());
    }
}
