//! The method's ablations: each turns off, or changes, one component.

use crate::AeLlmParams;
use crate::refinement::Acquisition;

/// One variant of the method: a name for tables and its settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Ablation {
    /// What changed, as tables print it ("- hierarchical crossover").
    pub name: String,
    /// `base` with that one change.
    pub params: AeLlmParams,
}

/// The paper's ablations of `base`, each differing from it in one setting:
/// no surrogates (the whole budget a random sample), no constraint-aware
/// initialisation, gene-wise instead of hierarchical crossover, one
/// mutation rate (the mean of the three) instead of one per stage,
/// refinement by uncertainty alone, and every refinement-round count from 0
/// to 5 other than `base`'s. Rounds = 0 still measures the first search's
/// batch, so it is not the same plan as "no surrogates".
///
/// ```
/// use aellm_optimizer::{AeLlmParams, experiment::ablations::ablations};
/// let base = AeLlmParams::default();
/// let v = ablations(&base);
/// assert_eq!(v.len(), 10);
/// assert!(v.iter().all(|a| a.params != base));
/// ```
pub fn ablations(base: &AeLlmParams) -> Vec<Ablation> {
    let with = |name: &str, change: &dyn Fn(&mut AeLlmParams)| {
        let mut params = base.clone();
        change(&mut params);
        Ablation {
            name: name.into(),
            params,
        }
    };
    let mut v = vec![
        with("- surrogates (random search)", &|p| {
            p.use_surrogates = false
        }),
        with("- constraint-aware init", &|p| {
            p.search.constraint_aware_init = false
        }),
        with("- hierarchical crossover", &|p| {
            p.search.hierarchical_crossover = false
        }),
        with("- per-stage mutation (one rate)", &|p| {
            let mean = p.search.mutation_rates.iter().sum::<f64>() / 3.0;
            p.search.mutation_rates = [mean; 3];
        }),
        with("refinement by uncertainty (σ) alone", &|p| {
            p.acquisition = Acquisition::Uncertainty
        }),
    ];
    for rounds in (0..=5).filter(|r| *r != base.refine_rounds) {
        v.push(with(&format!("refinement rounds = {rounds}"), &|p| {
            p.refine_rounds = rounds
        }));
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_ablation_changes_one_setting_and_keeps_the_rest() {
        let base = AeLlmParams::default();
        for a in ablations(&base) {
            let p = &a.params;
            let changed = [
                p.use_surrogates != base.use_surrogates,
                p.search.constraint_aware_init != base.search.constraint_aware_init,
                p.search.hierarchical_crossover != base.search.hierarchical_crossover,
                p.search.mutation_rates != base.search.mutation_rates,
                p.acquisition != base.acquisition,
                p.refine_rounds != base.refine_rounds,
            ];
            assert_eq!(changed.iter().filter(|c| **c).count(), 1, "{}", a.name);
            assert_eq!((p.budget, p.seed), (base.budget, base.seed));
            p.check().unwrap();
        }
        // Rounds = 0 keeps the surrogates' first batch: not random search.
        let v = ablations(&base);
        let zero = v.iter().find(|a| a.name.ends_with("= 0")).unwrap();
        let random = v.iter().find(|a| !a.params.use_surrogates).unwrap();
        assert_ne!(zero.params.schedule(), random.params.schedule());
        assert_eq!(zero.params.schedule().1.len(), 1);
    }
}
