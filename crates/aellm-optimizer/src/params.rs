//! Settings of a run, checked once (linfa's `ParamGuard` shape): the
//! algorithm only ever sees [`ValidAeLlmParams`].

use crate::OptimizerError;
use crate::refinement::Acquisition;
use crate::runner::{DEFAULT_MAX_ATTEMPTS, MAX_ATTEMPTS_LIMIT};
use crate::search::SearchParams;
use crate::surrogates::{MIN_TRAINING_ROWS, SurrogateParams};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Settings of a run. The switches reproduce the paper's ablations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AeLlmParams {
    /// Real evaluations in all (the default configuration included).
    pub budget: usize,
    /// Share of the budget spent on the initial random sample. The default,
    /// 0.4, leaves most of the budget to refinement: on the narrowed space of
    /// `examples/narrowed_space.rs` it found more of the true front than 0.5
    /// or 0.6 did at the same budget.
    pub initial_fraction: f64,
    /// Refinement rounds (the paper: 3). After the initial sample, the
    /// first search's front is measured (the first batch); each round then
    /// refits the surrogates on everything measured, searches again and
    /// measures another batch. 0 keeps the first batch and refits nothing
    /// (the paper's "0 iterations (surrogate only)"), so it differs from
    /// `use_surrogates: false` in the surrogates alone.
    pub refine_rounds: usize,
    /// How refinement rounds pick what to measure.
    #[serde(default)]
    pub acquisition: Acquisition,
    /// The search's settings.
    pub search: SearchParams,
    /// The surrogates' settings.
    pub surrogate: SurrogateParams,
    /// Off: spend the whole budget on random samples (the "no surrogates" ablation).
    pub use_surrogates: bool,
    /// Seed of every random choice.
    pub seed: u64,
    /// Wall-clock budget: no new evaluation starts after it; the result so far is returned.
    pub max_time: Option<Duration>,
    /// Attempts per configuration whose failures may pass (out of memory,
    /// timeout, crash, other): a stored failure with fewer attempts is
    /// measured again when it comes up, here or in a resumed run; invalid
    /// and unsupported configurations are never retried. 1 to
    /// [`MAX_ATTEMPTS_LIMIT`]; default [`DEFAULT_MAX_ATTEMPTS`] (3: the
    /// first and two retries).
    #[serde(default = "default_max_attempts")]
    pub max_attempts: usize,
}

fn default_max_attempts() -> usize {
    DEFAULT_MAX_ATTEMPTS
}

impl Default for AeLlmParams {
    fn default() -> Self {
        AeLlmParams {
            budget: 40,
            initial_fraction: 0.4,
            refine_rounds: 3,
            acquisition: Acquisition::default(),
            search: SearchParams::default(),
            surrogate: SurrogateParams::default(),
            use_surrogates: true,
            seed: 0,
            max_time: None,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
        }
    }
}

impl AeLlmParams {
    /// Evaluations of the initial sample and of each measured batch (the
    /// first search's, then one per refinement round: `refine_rounds + 1`
    /// batches); they add up to the budget. Without surrogates the whole
    /// budget is the sample and there are no batches.
    pub fn schedule(&self) -> (usize, Vec<usize>) {
        let min_initial = (MIN_TRAINING_ROWS + 1).min(self.budget);
        if !self.use_surrogates {
            return (self.budget, Vec::new());
        }
        let initial = ((self.budget as f64 * self.initial_fraction).round() as usize)
            .clamp(min_initial, self.budget);
        self.batches_after(initial)
    }

    /// The schedule of a warm-started run ([`crate::AeLlm::warm_start`]):
    /// surrogates that already learnt another model need only the fewest
    /// rows a continuation is fitted on (the default and
    /// `MIN_TRAINING_ROWS - 1` samples), and the rest of the budget goes to
    /// the batches.
    pub fn schedule_warm(&self) -> (usize, Vec<usize>) {
        if !self.use_surrogates {
            return (self.budget, Vec::new());
        }
        self.batches_after(MIN_TRAINING_ROWS.min(self.budget))
    }

    fn batches_after(&self, initial: usize) -> (usize, Vec<usize>) {
        let (rest, r) = (self.budget - initial, self.refine_rounds + 1);
        (
            initial,
            (0..r)
                .map(|i| rest / r + usize::from(i < rest % r))
                .collect(),
        )
    }
}

impl AeLlmParams {
    /// The smallest budget these settings can spend sensibly: with surrogates,
    /// an initial sample they can be fitted on plus one evaluation for the
    /// first search's batch; without, one evaluation.
    pub fn min_budget(&self) -> usize {
        if self.use_surrogates {
            MIN_TRAINING_ROWS + 2
        } else {
            1
        }
    }

    /// Checks every setting once and returns the settings the run uses.
    pub fn check(&self) -> Result<ValidAeLlmParams, OptimizerError> {
        let min = self.min_budget();
        if self.budget < min {
            return Err(invalid(
                "budget",
                self.budget,
                format!(
                    "at least {min} (the surrogates need {MIN_TRAINING_ROWS} successful measurements before the first search, and the first search's batch measures at least one)"
                ),
            ));
        }
        if !(self.initial_fraction > 0.0 && self.initial_fraction <= 1.0) {
            return Err(invalid(
                "initial_fraction",
                self.initial_fraction,
                "a share of the budget in (0, 1], e.g. 0.4".into(),
            ));
        }
        if !(1..=MAX_ATTEMPTS_LIMIT).contains(&self.max_attempts) {
            return Err(invalid(
                "max_attempts",
                self.max_attempts,
                format!(
                    "1 to {MAX_ATTEMPTS_LIMIT} attempts per configuration (1: never retry a failure)"
                ),
            ));
        }
        self.search.check()?;
        Ok(ValidAeLlmParams(self.clone()))
    }
}

/// An [`OptimizerError::InvalidParameter`] naming the setting, its value and
/// what is allowed.
pub(crate) fn invalid(
    name: &'static str,
    value: impl std::fmt::Display,
    allowed: String,
) -> OptimizerError {
    OptimizerError::InvalidParameter {
        name,
        value: value.to_string(),
        allowed,
    }
}

/// [`AeLlmParams`] that passed [`AeLlmParams::check`].
#[derive(Debug, Clone, PartialEq)]
pub struct ValidAeLlmParams(AeLlmParams);

impl std::ops::Deref for ValidAeLlmParams {
    type Target = AeLlmParams;
    fn deref(&self) -> &AeLlmParams {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_round_count_measures_one_more_batch_than_it_has_rounds() {
        for rounds in 0..=5 {
            let p = AeLlmParams {
                budget: 40,
                refine_rounds: rounds,
                ..Default::default()
            };
            let (initial, batches) = p.schedule();
            assert_eq!(initial, 16);
            assert_eq!(batches.len(), rounds + 1);
            assert_eq!(initial + batches.iter().sum::<usize>(), 40);
            assert!(batches.iter().all(|b| *b >= 24 / (rounds + 1)));
        }
        let random = AeLlmParams {
            use_surrogates: false,
            refine_rounds: 0,
            ..Default::default()
        };
        assert_eq!(random.schedule(), (40, vec![]));
    }

    #[test]
    fn each_bad_setting_is_named_with_what_is_allowed() {
        assert!(AeLlmParams::default().check().is_ok());
        let small = AeLlmParams {
            budget: 6,
            ..Default::default()
        };
        let e = small.check().unwrap_err().to_string();
        assert!(e.contains("budget") && e.contains("at least 7"), "{e}");
        let random = AeLlmParams {
            budget: 3,
            use_surrogates: false,
            ..Default::default()
        };
        assert!(random.check().is_ok());
        let frac = AeLlmParams {
            initial_fraction: f64::NAN,
            ..Default::default()
        };
        assert!(
            frac.check()
                .unwrap_err()
                .to_string()
                .contains("initial_fraction")
        );
        for n in [0, MAX_ATTEMPTS_LIMIT + 1] {
            let attempts = AeLlmParams {
                max_attempts: n,
                ..Default::default()
            };
            let e = attempts.check().unwrap_err().to_string();
            assert!(e.contains("max_attempts") && e.contains("1 to 20"), "{e}");
        }
        let mut pop = AeLlmParams::default();
        pop.search.population = 1;
        assert!(pop.check().unwrap_err().to_string().contains("population"));
        let mut rate = AeLlmParams::default();
        rate.search.mutation_rates[1] = 1.5;
        assert!(
            rate.check()
                .unwrap_err()
                .to_string()
                .contains("mutation_rates")
        );
    }
}
