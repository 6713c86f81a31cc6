//! Which values each dimension may take, and what that space holds.

use crate::config::{
    Attention, Configuration, FineTuneMethod, FineTuning, Inference, KvCache, Moe, QuantMethod,
    WeightPrecision,
};
use crate::{Architecture, ModelSpec, SpaceError};
use rand::Rng;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A dimension of the space. Rank and alpha are active only for low-rank
/// fine-tuning methods; the quantization method only for INT8 and INT4.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    /// Attention variant (with its groups or latent width).
    Attention,
    /// FFN layout.
    Moe,
    /// Fine-tuning method.
    FineTuneMethod,
    /// Adapter rank.
    Rank,
    /// Adapter alpha, as a multiple of the rank.
    Alpha,
    /// Weight precision.
    Weights,
    /// Quantization method.
    QuantMethod,
    /// KV-cache layout.
    KvCache,
}

impl Dimension {
    /// Every dimension, in genome order.
    pub const ALL: [Dimension; 8] = [
        Dimension::Attention,
        Dimension::Moe,
        Dimension::FineTuneMethod,
        Dimension::Rank,
        Dimension::Alpha,
        Dimension::Weights,
        Dimension::QuantMethod,
        Dimension::KvCache,
    ];

    /// The stage the dimension belongs to: 0 architecture, 1 fine-tuning, 2 inference.
    pub fn stage(self) -> usize {
        match self {
            Dimension::Attention | Dimension::Moe => 0,
            Dimension::FineTuneMethod | Dimension::Rank | Dimension::Alpha => 1,
            Dimension::Weights | Dimension::QuantMethod | Dimension::KvCache => 2,
        }
    }

    /// Snake-case name.
    pub fn name(self) -> &'static str {
        match self {
            Dimension::Attention => "attention",
            Dimension::Moe => "moe",
            Dimension::FineTuneMethod => "fine_tune_method",
            Dimension::Rank => "rank",
            Dimension::Alpha => "alpha",
            Dimension::Weights => "weights",
            Dimension::QuantMethod => "quant_method",
            Dimension::KvCache => "kv_cache",
        }
    }

    /// Whether the dimension means anything for this configuration.
    pub fn is_active(self, c: &Configuration) -> bool {
        match self {
            Dimension::Rank | Dimension::Alpha => c.fine_tuning.method.is_low_rank(),
            Dimension::QuantMethod => c.inference.weights.needs_method(),
            _ => true,
        }
    }
}

impl fmt::Display for Dimension {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One index per [`Dimension`], into the space's value lists. Indices of
/// inactive dimensions are 0 in the canonical genome of a configuration.
pub type Genome = [usize; 8];

/// The values each dimension may take.
///
/// ```
/// use aellm_space::{Space, Dimension, presets};
/// use rand::SeedableRng;
///
/// let space = Space::paper();
/// let all = space.enumerate();
/// assert_eq!(all.len() as u64, space.size());
///
/// let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
/// let c = space.sample(&mut rng).unwrap();
/// assert!(c.is_valid());
/// for n in space.neighbours(&c) {
///     assert_eq!(space.differing_dimensions(&c, &n).len(), 1);
/// }
///
/// // Narrowed to what a model allows (GQA groups must divide its heads, …),
/// // and by hand to 4-bit inference only.
/// let mut narrow = space.for_model(&presets::model("yi-6b").unwrap());
/// narrow.weights = vec![aellm_space::WeightPrecision::Int4];
/// assert!(narrow.size() < space.size());
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Space {
    /// Attention variants.
    pub attention: Vec<Attention>,
    /// FFN layouts.
    pub moe: Vec<Moe>,
    /// Fine-tuning methods.
    pub methods: Vec<FineTuneMethod>,
    /// Adapter ranks.
    pub ranks: Vec<u32>,
    /// Adapter alpha as a multiple of the rank (alpha = ratio × rank).
    pub alpha_ratios: Vec<f64>,
    /// Weight precisions.
    pub weights: Vec<WeightPrecision>,
    /// Quantization methods (for INT8 and INT4).
    pub quant_methods: Vec<QuantMethod>,
    /// KV-cache layouts.
    pub kv_caches: Vec<KvCache>,
}

impl Default for Space {
    fn default() -> Self {
        Space::paper()
    }
}

impl Space {
    /// The paper's full space (DESIGN.md): MHA, MQA, GQA with 2/4/8 groups,
    /// MLA with a 256/512 latent; dense or 2/4/8 experts with top-1/top-2;
    /// five fine-tuning methods, ranks 4-128, alpha r/2, r, 2r; FP16, FP8,
    /// INT8, INT4 with RTN, GPTQ, AWQ, SmoothQuant; four KV-cache layouts.
    pub fn paper() -> Self {
        let mut moe = vec![Moe::Dense];
        for experts in [2, 4, 8] {
            for top_k in [1, 2] {
                moe.push(Moe::Sparse { experts, top_k });
            }
        }
        Space {
            attention: vec![
                Attention::Mha,
                Attention::Mqa,
                Attention::Gqa { kv_groups: 2 },
                Attention::Gqa { kv_groups: 4 },
                Attention::Gqa { kv_groups: 8 },
                Attention::Mla { latent_dim: 256 },
                Attention::Mla { latent_dim: 512 },
            ],
            moe,
            methods: FineTuneMethod::ALL.to_vec(),
            ranks: vec![4, 8, 16, 32, 64, 128],
            alpha_ratios: vec![0.5, 1.0, 2.0],
            weights: WeightPrecision::ALL.to_vec(),
            quant_methods: QuantMethod::ALL.to_vec(),
            kv_caches: KvCache::ALL.to_vec(),
        }
    }

    /// This space without the attention values the model does not allow
    /// (GQA groups that do not divide its heads, MLA latents as wide as its
    /// key/value width).
    pub fn for_model(&self, model: &ModelSpec) -> Space {
        let mut s = self.clone();
        s.attention.retain(|a| {
            let c = Configuration {
                architecture: Architecture {
                    attention: *a,
                    moe: Moe::Dense,
                },
                ..Default::default()
            };
            crate::config::rules::check_for_model(&c, model).is_empty()
        });
        s
    }

    /// Number of values of each dimension, in genome order.
    pub fn cardinalities(&self) -> [usize; 8] {
        [
            self.attention.len(),
            self.moe.len(),
            self.methods.len(),
            self.ranks.len(),
            self.alpha_ratios.len(),
            self.weights.len(),
            self.quant_methods.len(),
            self.kv_caches.len(),
        ]
    }

    /// Checks every dimension allows at least one value (rank, alpha and
    /// quantization method may be empty only if nothing activates them).
    pub fn check(&self) -> Result<(), SpaceError> {
        let card = self.cardinalities();
        for d in Dimension::ALL {
            let needed = match d {
                Dimension::Rank | Dimension::Alpha => self.methods.iter().any(|m| m.is_low_rank()),
                Dimension::QuantMethod => self.weights.iter().any(|w| w.needs_method()),
                _ => true,
            };
            if needed && card[d as usize] == 0 {
                return Err(SpaceError::EmptyDimension(d.name()));
            }
        }
        Ok(())
    }

    /// The configuration a genome stands for; indices of inactive
    /// dimensions are ignored. `None` if an active index is out of range.
    pub fn configuration(&self, g: &Genome) -> Option<Configuration> {
        let method = *self.methods.get(g[2])?;
        let weights = *self.weights.get(g[5])?;
        let (rank, alpha) = if method.is_low_rank() {
            let r = *self.ranks.get(g[3])?;
            (Some(r), Some(self.alpha_ratios.get(g[4])? * r as f64))
        } else {
            (None, None)
        };
        let qm = if weights.needs_method() {
            Some(*self.quant_methods.get(g[6])?)
        } else {
            None
        };
        Some(Configuration {
            architecture: Architecture {
                attention: *self.attention.get(g[0])?,
                moe: *self.moe.get(g[1])?,
            },
            fine_tuning: FineTuning {
                method,
                rank,
                alpha,
            },
            inference: Inference {
                weights,
                method: qm,
                kv_cache: *self.kv_caches.get(g[7])?,
            },
        })
    }

    /// The canonical genome of a configuration (inactive dimensions at 0),
    /// or `None` if one of its values is not in this space.
    pub fn genome(&self, c: &Configuration) -> Option<Genome> {
        let pos = |ok: &dyn Fn(usize) -> bool, n: usize| (0..n).find(|&i| ok(i));
        let mut g = [0; 8];
        g[0] = pos(
            &|i| self.attention[i] == c.architecture.attention,
            self.attention.len(),
        )?;
        g[1] = pos(&|i| self.moe[i] == c.architecture.moe, self.moe.len())?;
        g[2] = pos(
            &|i| self.methods[i] == c.fine_tuning.method,
            self.methods.len(),
        )?;
        if c.fine_tuning.method.is_low_rank() {
            let r = c.fine_tuning.rank?;
            let a = c.fine_tuning.alpha?;
            g[3] = pos(&|i| self.ranks[i] == r, self.ranks.len())?;
            g[4] = pos(
                &|i| (self.alpha_ratios[i] * r as f64 - a).abs() <= 1e-9 * a.abs().max(1.0),
                self.alpha_ratios.len(),
            )?;
        }
        g[5] = pos(
            &|i| self.weights[i] == c.inference.weights,
            self.weights.len(),
        )?;
        if c.inference.weights.needs_method() {
            let m = c.inference.method?;
            g[6] = pos(&|i| self.quant_methods[i] == m, self.quant_methods.len())?;
        }
        g[7] = pos(
            &|i| self.kv_caches[i] == c.inference.kv_cache,
            self.kv_caches.len(),
        )?;
        Some(g)
    }

    /// Whether the configuration is valid and every value of it is in this space.
    pub fn contains(&self, c: &Configuration) -> bool {
        c.is_valid() && self.genome(c).is_some()
    }

    /// Calls `f` on every valid configuration, each once.
    pub fn for_each(&self, mut f: impl FnMut(Configuration)) {
        let card = self.cardinalities();
        let span = |d: Dimension, active: bool| if active { card[d as usize] } else { 1 };
        for a in 0..card[0] {
            for m in 0..card[1] {
                for ft in 0..card[2] {
                    let lr = self.methods[ft].is_low_rank();
                    for r in 0..span(Dimension::Rank, lr) {
                        for al in 0..span(Dimension::Alpha, lr) {
                            for w in 0..card[5] {
                                let qm = self.weights[w].needs_method();
                                for q in 0..span(Dimension::QuantMethod, qm) {
                                    for kv in 0..card[7] {
                                        if let Some(c) =
                                            self.configuration(&[a, m, ft, r, al, w, q, kv])
                                            && c.is_valid()
                                        {
                                            f(c);
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Every valid configuration, in a fixed order.
    pub fn enumerate(&self) -> Vec<Configuration> {
        let mut v = Vec::new();
        self.for_each(|c| v.push(c));
        v
    }

    /// Exact number of valid configurations.
    pub fn size(&self) -> u64 {
        let mut n = 0;
        self.for_each(|_| n += 1);
        n
    }

    /// A valid configuration drawn uniformly at random.
    ///
    /// Rejection sampling over canonical genomes: each valid configuration
    /// has exactly one, so acceptance leaves the draw uniform.
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> Result<Configuration, SpaceError> {
        self.check()?;
        let card = self.cardinalities();
        // Inactive dimensions must be drawn at their canonical 0 only, so they
        // are drawn over their full range and rejected unless 0.
        for _ in 0..100_000 {
            let g: Genome = std::array::from_fn(|d| {
                if card[d] == 0 {
                    0
                } else {
                    rng.random_range(0..card[d])
                }
            });
            let Some(c) = self.configuration(&g) else {
                continue;
            };
            if self.genome(&c) == Some(g) && c.is_valid() {
                return Ok(c);
            }
        }
        // Reached only for spaces whose valid share is tiny: fall back to an exact draw.
        let all = self.enumerate();
        if all.is_empty() {
            return Err(SpaceError::InvalidField {
                what: "space".into(),
                field: "(all dimensions)".into(),
                why: "holds no valid configuration: widen a dimension".into(),
            });
        }
        Ok(all[rng.random_range(0..all.len())])
    }

    /// `n` configurations drawn uniformly (with replacement).
    pub fn sample_n<R: Rng + ?Sized>(
        &self,
        n: usize,
        rng: &mut R,
    ) -> Result<Vec<Configuration>, SpaceError> {
        (0..n).map(|_| self.sample(rng)).collect()
    }

    /// The dimensions in which two configurations differ. A dimension counts
    /// when it is active in both and its value differs; switching a method or
    /// precision that activates or deactivates rank, alpha or the
    /// quantization method counts once, as the switch.
    pub fn differing_dimensions(&self, a: &Configuration, b: &Configuration) -> Vec<Dimension> {
        Dimension::ALL
            .into_iter()
            .filter(|&d| {
                if !(d.is_active(a) && d.is_active(b)) {
                    return false;
                }
                match d {
                    Dimension::Attention => a.architecture.attention != b.architecture.attention,
                    Dimension::Moe => a.architecture.moe != b.architecture.moe,
                    Dimension::FineTuneMethod => a.fine_tuning.method != b.fine_tuning.method,
                    Dimension::Rank => a.fine_tuning.rank != b.fine_tuning.rank,
                    Dimension::Alpha => {
                        let ratio = |c: &Configuration| {
                            c.fine_tuning
                                .alpha
                                .zip(c.fine_tuning.rank)
                                .map(|(al, r)| al / r as f64)
                        };
                        ratio(a) != ratio(b)
                    }
                    Dimension::Weights => a.inference.weights != b.inference.weights,
                    Dimension::QuantMethod => a.inference.method != b.inference.method,
                    Dimension::KvCache => a.inference.kv_cache != b.inference.kv_cache,
                }
            })
            .collect()
    }

    /// Every valid configuration of this space that differs from `c` in
    /// exactly one dimension (see [`Space::differing_dimensions`]). When the
    /// change activates rank and alpha they take the values nearest r = 16,
    /// alpha = 2r; when it activates the quantization method, each allowed
    /// method gives its own neighbour.
    pub fn neighbours(&self, c: &Configuration) -> Vec<Configuration> {
        let Some(g) = self.genome(c) else {
            return Vec::new();
        };
        let card = self.cardinalities();
        let near = |vals: &[f64], target: f64| {
            (0..vals.len())
                .min_by(|&i, &j| {
                    (vals[i] - target)
                        .abs()
                        .total_cmp(&(vals[j] - target).abs())
                })
                .unwrap_or(0)
        };
        let ranks: Vec<f64> = self.ranks.iter().map(|&r| (r as f64).log2()).collect();
        let default_rank = near(&ranks, 4.0);
        let default_alpha = near(&self.alpha_ratios, 2.0);
        let mut out = Vec::new();
        for d in Dimension::ALL {
            if !d.is_active(c) {
                continue;
            }
            for v in 0..card[d as usize] {
                if v == g[d as usize] {
                    continue;
                }
                let mut h = g;
                h[d as usize] = v;
                if d == Dimension::FineTuneMethod && !c.fine_tuning.method.is_low_rank() {
                    h[3] = default_rank;
                    h[4] = default_alpha;
                }
                let activates_method =
                    d == Dimension::Weights && !c.inference.weights.needs_method();
                let methods = if activates_method {
                    0..card[6]
                } else {
                    h[6]..h[6] + 1
                };
                for q in methods {
                    h[6] = q;
                    if let Some(n) = self.configuration(&h)
                        && n.is_valid()
                        && n != *c
                        && !out.contains(&n)
                    {
                        out.push(n);
                    }
                }
            }
        }
        out
    }
}
