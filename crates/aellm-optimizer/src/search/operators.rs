//! Sampling, crossover and mutation that respect the three stages.

use aellm_nsga2::operators::{Crossover, Mutation, Sampling};
use aellm_space::{Configuration, Dimension, Genome, Space};
use rand::{Rng, RngCore};
use std::sync::Arc;

fn to_vec(g: &Genome) -> Vec<usize> {
    g.to_vec()
}

fn to_genome(v: &[usize]) -> Genome {
    std::array::from_fn(|i| v.get(i).copied().unwrap_or(0))
}

/// Makes any index vector a valid, canonical genome of the space: indices
/// clamped into range, inactive genes zeroed, and a configuration that breaks
/// a rule fixed by redrawing the genes of one stage (inference first, since
/// most rules are about it) uniformly among the assignments that make it
/// valid, keeping the other stages as they are. Falls back to a uniform
/// sample of the space.
#[derive(Debug, Clone)]
pub struct Repair {
    space: Arc<Space>,
}

impl Repair {
    /// A repair for this space.
    pub fn new(space: Arc<Space>) -> Self {
        Repair { space }
    }

    /// The space repaired into.
    pub fn space(&self) -> &Space {
        &self.space
    }

    /// The repaired genome and its configuration.
    pub fn repair(&self, v: &[usize], rng: &mut dyn RngCore) -> (Vec<usize>, Configuration) {
        let card = self.space.cardinalities();
        let mut g = to_genome(v);
        for (d, c) in card.iter().enumerate() {
            g[d] = if *c == 0 { 0 } else { g[d].min(c - 1) };
        }
        let valid = |g: &Genome| self.space.configuration(g).filter(|c| c.is_valid());
        if let Some(c) = valid(&g) {
            return (to_vec(&self.space.genome(&c).unwrap_or(g)), c);
        }
        for stage in [2, 1, 0] {
            // Every assignment of this stage's genes (at most a few hundred),
            // the valid ones kept, one drawn uniformly.
            let dims: Vec<usize> = Dimension::ALL
                .into_iter()
                .filter(|d| d.stage() == stage)
                .map(|d| d as usize)
                .collect();
            let mut options = Vec::new();
            let total: usize = dims.iter().map(|&d| card[d].max(1)).product();
            for mut k in 0..total {
                let mut h = g;
                for &d in &dims {
                    let n = card[d].max(1);
                    h[d] = k % n;
                    k /= n;
                }
                if let Some(c) = valid(&h) {
                    options.push((h, c));
                }
            }
            if !options.is_empty() {
                let (h, c) = options.swap_remove(rng.random_range(0..options.len()));
                return (to_vec(&self.space.genome(&c).unwrap_or(h)), c);
            }
        }
        let c = self.space.sample(&mut RngAdapter(rng)).unwrap_or_default();
        (to_vec(&self.space.genome(&c).unwrap_or_default()), c)
    }
}

/// `Space::sample` takes a sized `Rng`; this lends it the engine's generator.
struct RngAdapter<'a>(&'a mut dyn RngCore);

impl RngCore for RngAdapter<'_> {
    fn next_u32(&mut self) -> u32 {
        self.0.next_u32()
    }
    fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }
    fn fill_bytes(&mut self, dst: &mut [u8]) {
        self.0.fill_bytes(dst)
    }
}

/// Uniform samples of the valid configurations (the initialisation without
/// constraint awareness).
#[derive(Debug, Clone)]
pub struct ValidSampling {
    space: Arc<Space>,
}

impl ValidSampling {
    /// Samples of this space.
    pub fn new(space: Arc<Space>) -> Self {
        ValidSampling { space }
    }
}

impl Sampling<Vec<usize>> for ValidSampling {
    fn sample(&self, n: usize, rng: &mut dyn RngCore) -> Vec<Vec<usize>> {
        let mut r = RngAdapter(rng);
        (0..n)
            .filter_map(|_| self.space.sample(&mut r).ok())
            .filter_map(|c| self.space.genome(&c).map(|g| to_vec(&g)))
            .collect()
    }
}

/// Whether predicted configurations fit the hardware, with a safety margin.
pub type FitsFn = dyn Fn(&[Configuration]) -> Vec<bool> + Send + Sync;

/// Constraint-aware initialisation (the paper's §3.3): only configurations
/// predicted to fit the hardware's memory and power, with a margin for
/// prediction error, enter the first population. Draws up to `patience`
/// times `n` candidates; if too few fit, the rest is filled with the
/// candidates that came closest (so the search still starts).
pub struct ConstraintAwareSampling {
    space: Arc<Space>,
    fits: Arc<FitsFn>,
    patience: usize,
}

impl ConstraintAwareSampling {
    /// A sampler that keeps what `fits` accepts.
    pub fn new(space: Arc<Space>, fits: Arc<FitsFn>) -> Self {
        ConstraintAwareSampling {
            space,
            fits,
            patience: 20,
        }
    }
}

impl Sampling<Vec<usize>> for ConstraintAwareSampling {
    fn sample(&self, n: usize, rng: &mut dyn RngCore) -> Vec<Vec<usize>> {
        let mut r = RngAdapter(rng);
        let mut kept = Vec::with_capacity(n);
        let mut rejected = Vec::new();
        for _ in 0..self.patience {
            let batch: Vec<Configuration> = (0..n)
                .filter_map(|_| self.space.sample(&mut r).ok())
                .collect();
            let ok = (self.fits)(&batch);
            for (c, fits) in batch.into_iter().zip(ok) {
                if fits && kept.len() < n {
                    kept.push(c);
                } else if !fits {
                    rejected.push(c);
                }
            }
            if kept.len() >= n {
                break;
            }
        }
        kept.extend(rejected.into_iter().take(n.saturating_sub(kept.len())));
        kept.iter()
            .filter_map(|c| self.space.genome(c).map(|g| to_vec(&g)))
            .collect()
    }
}

/// Hierarchical crossover (the paper's §3.3): each stage (architecture,
/// fine-tuning, inference) is inherited whole from one parent or the other,
/// independently per stage, so combinations that work within a stage
/// (a rank with its alpha, a bit width with its method) are kept together.
#[derive(Debug, Clone)]
pub struct HierarchicalCrossover {
    repair: Repair,
    probability: f64,
}

impl HierarchicalCrossover {
    /// Crossover applied with `probability` (the paper: 0.9).
    pub fn new(space: Arc<Space>, probability: f64) -> Self {
        HierarchicalCrossover {
            repair: Repair::new(space),
            probability,
        }
    }
}

impl Crossover<Vec<usize>> for HierarchicalCrossover {
    fn crossover(&self, parents: &[&Vec<usize>], rng: &mut dyn RngCore) -> Vec<Vec<usize>> {
        let (a, b) = (parents[0], parents[1]);
        if rng.random::<f64>() >= self.probability {
            return vec![a.clone(), b.clone()];
        }
        let (mut x, mut y) = (a.clone(), b.clone());
        for stage in 0..3 {
            if rng.random::<bool>() {
                for d in Dimension::ALL.into_iter().filter(|d| d.stage() == stage) {
                    let i = d as usize;
                    std::mem::swap(&mut x[i], &mut y[i]);
                }
            }
        }
        vec![self.repair.repair(&x, rng).0, self.repair.repair(&y, rng).0]
    }
}

/// Gene-wise uniform crossover with repair: the ablation without
/// hierarchical crossover (genes of one stage can come from both parents).
#[derive(Debug, Clone)]
pub struct GeneWiseCrossover {
    repair: Repair,
    probability: f64,
}

impl GeneWiseCrossover {
    /// Crossover applied with `probability`.
    pub fn new(space: Arc<Space>, probability: f64) -> Self {
        GeneWiseCrossover {
            repair: Repair::new(space),
            probability,
        }
    }
}

impl Crossover<Vec<usize>> for GeneWiseCrossover {
    fn crossover(&self, parents: &[&Vec<usize>], rng: &mut dyn RngCore) -> Vec<Vec<usize>> {
        let (a, b) = (parents[0], parents[1]);
        if rng.random::<f64>() >= self.probability {
            return vec![a.clone(), b.clone()];
        }
        let (mut x, mut y) = (a.clone(), b.clone());
        for i in 0..x.len().min(y.len()) {
            if rng.random::<bool>() {
                std::mem::swap(&mut x[i], &mut y[i]);
            }
        }
        vec![self.repair.repair(&x, rng).0, self.repair.repair(&y, rng).0]
    }
}

/// Per-stage mutation (the paper's §3.3): each stage mutates with its own
/// probability, fine-tuning highest, by moving one of its active genes to
/// another allowed value; the result is repaired.
#[derive(Debug, Clone)]
pub struct StageMutation {
    repair: Repair,
    /// Probability per stage: architecture, fine-tuning, inference.
    pub rates: [f64; 3],
}

impl StageMutation {
    /// The defaults: 0.10 architecture, 0.20 fine-tuning, 0.15 inference
    /// (the paper gives the order, fine-tuning highest, not the values).
    pub fn new(space: Arc<Space>) -> Self {
        StageMutation {
            repair: Repair::new(space),
            rates: [0.10, 0.20, 0.15],
        }
    }

    /// With chosen per-stage rates.
    pub fn with_rates(space: Arc<Space>, rates: [f64; 3]) -> Self {
        StageMutation {
            repair: Repair::new(space),
            rates,
        }
    }
}

impl Mutation<Vec<usize>> for StageMutation {
    fn mutate(&self, genome: &mut Vec<usize>, rng: &mut dyn RngCore) {
        let space = self.repair.space();
        let card = space.cardinalities();
        let current = space.configuration(&to_genome(genome));
        let mut changed = false;
        for (stage, rate) in self.rates.iter().enumerate() {
            if rng.random::<f64>() >= *rate {
                continue;
            }
            let dims: Vec<Dimension> = Dimension::ALL
                .into_iter()
                .filter(|d| d.stage() == stage && card[*d as usize] > 1)
                .filter(|d| current.as_ref().is_none_or(|c| d.is_active(c)))
                .collect();
            if dims.is_empty() {
                continue;
            }
            let d = dims[rng.random_range(0..dims.len())] as usize;
            let shift = rng.random_range(1..card[d]);
            genome[d] = (genome[d] + shift) % card[d];
            changed = true;
        }
        if changed {
            *genome = self.repair.repair(genome, rng).0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn space() -> Arc<Space> {
        Arc::new(Space::paper())
    }

    #[test]
    fn repair_makes_any_vector_a_valid_canonical_genome() {
        let r = Repair::new(space());
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        for _ in 0..500 {
            let v: Vec<usize> = (0..8).map(|_| rng.random_range(0..10)).collect();
            let (g, c) = r.repair(&v, &mut rng);
            assert!(c.is_valid());
            assert_eq!(r.space().genome(&c).unwrap().to_vec(), g);
        }
    }

    #[test]
    fn hierarchical_crossover_takes_each_stage_whole_from_one_parent() {
        let s = space();
        let x = HierarchicalCrossover::new(s.clone(), 1.0);
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(2);
        let mut mixed_stages = 0;
        for _ in 0..300 {
            let a = ValidSampling::new(s.clone()).sample(1, &mut rng).remove(0);
            let b = ValidSampling::new(s.clone()).sample(1, &mut rng).remove(0);
            for child in x.crossover(&[&a, &b], &mut rng) {
                let c = s.configuration(&to_genome(&child)).unwrap();
                assert!(c.is_valid());
                let (ca, cb) = (
                    s.configuration(&to_genome(&a)).unwrap(),
                    s.configuration(&to_genome(&b)).unwrap(),
                );
                // Every rule can be met by redrawing the inference stage alone,
                // so architecture and fine-tuning always equal one parent's.
                let arch_from_parent =
                    c.architecture == ca.architecture || c.architecture == cb.architecture;
                let ft_from_parent =
                    c.fine_tuning == ca.fine_tuning || c.fine_tuning == cb.fine_tuning;
                assert!(arch_from_parent && ft_from_parent, "{c} from {ca} x {cb}");
                if c.architecture == ca.architecture
                    && c.fine_tuning == cb.fine_tuning
                    && ca.fine_tuning != cb.fine_tuning
                {
                    mixed_stages += 1;
                }
            }
        }
        assert!(mixed_stages > 50, "stages should recombine: {mixed_stages}");
    }

    #[test]
    fn stage_mutation_changes_only_the_stages_it_draws() {
        let s = space();
        let only_ft = StageMutation::with_rates(s.clone(), [0.0, 1.0, 0.0]);
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let mut changed = 0;
        for _ in 0..300 {
            let mut g = ValidSampling::new(s.clone()).sample(1, &mut rng).remove(0);
            let before = s.configuration(&to_genome(&g)).unwrap();
            only_ft.mutate(&mut g, &mut rng);
            let after = s.configuration(&to_genome(&g)).unwrap();
            assert!(after.is_valid());
            assert_eq!(before.architecture, after.architecture);
            if before.fine_tuning != after.fine_tuning {
                changed += 1;
            }
        }
        assert!(changed > 250, "{changed}");
    }

    #[test]
    fn constraint_aware_sampling_keeps_only_what_fits_when_it_can() {
        let s = space();
        // "Fits" = INT4 weights only: a quarter of the precisions.
        let fits: Arc<FitsFn> = Arc::new(|cs: &[Configuration]| {
            cs.iter()
                .map(|c| c.inference.weights == aellm_space::WeightPrecision::Int4)
                .collect()
        });
        let sampler = ConstraintAwareSampling::new(s.clone(), fits);
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(4);
        let got = sampler.sample(50, &mut rng);
        assert_eq!(got.len(), 50);
        for g in got {
            let c = s.configuration(&to_genome(&g)).unwrap();
            assert_eq!(c.inference.weights, aellm_space::WeightPrecision::Int4);
        }
    }
}
