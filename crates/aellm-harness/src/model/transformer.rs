//! The decoder-only transformer: embedding, blocks (norm, attention, norm,
//! FFN, each residual), final norm and LM head.

use super::attention::Attention;
use super::calibration::Recorder;
use super::config::{AttentionConfig, FfnConfig, ModelConfig};
use super::ffn::SwiGlu;
use super::kv_cache::{CachePrecision, ModelCache};
use super::linear::{Linear, tensor_bytes};
use super::mla::LatentAttention;
use super::moe::Moe;
use super::norm::RmsNorm;
use candle_core::{DType, Module, Result, Tensor};
use candle_nn::{Init, VarBuilder};

/// The attention of one block.
#[derive(Debug, Clone)]
pub enum AttentionLayer {
    /// MHA, GQA or MQA.
    Standard(Attention),
    /// MLA.
    Latent(LatentAttention),
}

/// The FFN of one block.
#[derive(Debug, Clone)]
pub enum FfnLayer {
    /// One SwiGLU.
    Dense(SwiGlu),
    /// A sparse mixture of experts.
    Moe(Moe),
}

/// What a block's linear layer does, for choosing where adapters go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum LinearRole {
    /// An attention projection (q, k, v, o; MLA's down/up projections).
    Attention,
    /// An FFN projection (gate, up, down; every expert's).
    Ffn,
    /// An MoE router.
    Router,
}

/// One transformer block.
#[derive(Debug, Clone)]
pub struct Block {
    /// Norm before attention.
    pub attn_norm: RmsNorm,
    /// Attention.
    pub attn: AttentionLayer,
    /// Norm before the FFN.
    pub ffn_norm: RmsNorm,
    /// FFN.
    pub ffn: FfnLayer,
}

/// What a forward pass returns.
#[derive(Debug)]
pub struct Output {
    /// `[b, t, vocab]`.
    pub logits: Tensor,
    /// Mean MoE load-balancing loss over the layers, when the FFN is sparse.
    pub balance_loss: Option<Tensor>,
}

/// A decoder-only LM.
///
/// ```
/// use aellm_harness::model::{ModelConfig, Transformer};
/// use candle_core::{Device, DType, Tensor};
/// let vm = candle_nn::VarMap::new();
/// let vb = candle_nn::VarBuilder::from_varmap(&vm, DType::F32, &Device::Cpu);
/// let m = Transformer::new(ModelConfig::tiny(20), vb).unwrap();
/// let tokens = Tensor::new(&[[1u32, 2, 3]], &Device::Cpu).unwrap();
/// let out = m.forward(&tokens, None, None).unwrap();
/// assert_eq!(out.logits.dims(), &[1, 3, 20]);
/// ```
#[derive(Debug, Clone)]
pub struct Transformer {
    /// Its shape.
    pub config: ModelConfig,
    /// Token embedding `[vocab, hidden]`.
    pub embed: Tensor,
    /// The blocks.
    pub blocks: Vec<Block>,
    /// Final norm.
    pub norm: RmsNorm,
    /// LM head `[vocab, hidden]`.
    pub lm_head: Linear,
}

impl Transformer {
    /// Builds the model, loading every variable `vb` already holds and
    /// initialising the others.
    pub fn new(config: ModelConfig, vb: VarBuilder) -> Result<Self> {
        config
            .check()
            .map_err(|e| candle_core::Error::Msg(e.to_string()))?;
        let h = config.hidden;
        let ones = |vb: VarBuilder, n: &str| vb.get_with_hints(h, n, Init::Const(1.0));
        let embed = vb.get_with_hints(
            (config.vocab, h),
            "embed.weight",
            Init::Randn {
                mean: 0.0,
                stdev: 0.02,
            },
        )?;
        let mut blocks = Vec::with_capacity(config.layers);
        for i in 0..config.layers {
            let vb = vb.pp(format!("layers.{i}"));
            let name = format!("layers.{i}");
            let attn = match config.attention {
                AttentionConfig::Standard { kv_heads } => AttentionLayer::Standard(Attention::new(
                    vb.pp("attn"),
                    h,
                    config.heads,
                    kv_heads,
                    config.rope_theta,
                    &format!("{name}.attn"),
                )?),
                AttentionConfig::Latent { latent, rope_dim } => {
                    AttentionLayer::Latent(LatentAttention::new(
                        vb.pp("attn"),
                        h,
                        config.heads,
                        latent,
                        rope_dim,
                        config.rope_theta,
                        &format!("{name}.attn"),
                    )?)
                }
            };
            let ffn = match config.ffn_kind {
                FfnConfig::Dense => FfnLayer::Dense(SwiGlu::new(
                    vb.pp("ffn"),
                    h,
                    config.ffn,
                    &format!("{name}.ffn"),
                )?),
                FfnConfig::Moe {
                    experts,
                    top_k,
                    expert_ffn,
                } => FfnLayer::Moe(Moe::new(
                    vb.pp("ffn"),
                    h,
                    experts,
                    top_k,
                    expert_ffn,
                    &format!("{name}.ffn"),
                )?),
            };
            blocks.push(Block {
                attn_norm: RmsNorm::new(ones(vb.pp("attn_norm"), "weight")?),
                attn,
                ffn_norm: RmsNorm::new(ones(vb.pp("ffn_norm"), "weight")?),
                ffn,
            });
        }
        Ok(Transformer {
            config,
            embed,
            blocks,
            norm: RmsNorm::new(ones(vb.pp("norm"), "weight")?),
            lm_head: Linear::Dense(candle_nn::linear_no_bias(
                h,
                config.vocab,
                vb.pp("lm_head"),
            )?),
        })
    }

    /// An empty cache for incremental decoding.
    pub fn new_cache(&self, precision: CachePrecision) -> ModelCache {
        let layers = self
            .blocks
            .iter()
            .map(|b| match &b.attn {
                AttentionLayer::Standard(a) => a.new_cache(precision),
                AttentionLayer::Latent(a) => a.new_cache(precision),
            })
            .collect();
        ModelCache { layers, len: 0 }
    }

    /// Logits for `tokens [b, t]` (u32). With a cache, the tokens continue
    /// the cached positions and are appended; with a recorder, the inputs of
    /// every group of linear layers are recorded.
    pub fn forward(
        &self,
        tokens: &Tensor,
        mut cache: Option<&mut ModelCache>,
        mut rec: Option<&mut Recorder>,
    ) -> Result<Output> {
        let (b, t) = tokens.dims2()?;
        if let Some(c) = cache.as_ref()
            && c.layers.len() != self.blocks.len()
        {
            candle_core::bail!(
                "cache has {} layers, the model {}: make it with this model's new_cache",
                c.layers.len(),
                self.blocks.len()
            );
        }
        let offset = cache.as_ref().map_or(0, |c| c.len);
        let mut x = self
            .embed
            .index_select(&tokens.flatten_all()?, 0)?
            .to_dtype(DType::F32)?
            .reshape((b, t, self.config.hidden))?;
        let mut balance = Vec::new();
        for (i, block) in self.blocks.iter().enumerate() {
            let lc = cache.as_deref_mut().map(|c| &mut c.layers[i]);
            let hn = block.attn_norm.forward(&x)?;
            let a = match &block.attn {
                AttentionLayer::Standard(a) => a.forward(&hn, offset, lc, rec.as_deref_mut())?,
                AttentionLayer::Latent(a) => a.forward(&hn, offset, lc, rec.as_deref_mut())?,
            };
            x = (x + a)?;
            let hn = block.ffn_norm.forward(&x)?;
            let f = match &block.ffn {
                FfnLayer::Dense(f) => f.forward(&hn, rec.as_deref_mut())?,
                FfnLayer::Moe(m) => {
                    let o = m.forward(&hn, rec.as_deref_mut())?;
                    balance.push(o.balance_loss);
                    o.y
                }
            };
            x = (x + f)?;
        }
        if let Some(c) = cache {
            c.len += t;
        }
        let x = self.norm.forward(&x)?;
        if let Some(r) = rec {
            r.record("lm_head", &x)?;
        }
        let logits = self.lm_head.forward(&x)?;
        let balance_loss = if balance.is_empty() {
            None
        } else {
            let n = balance.len() as f64;
            Some((Tensor::stack(&balance, 0)?.sum_all()? / n)?)
        };
        Ok(Output {
            logits,
            balance_loss,
        })
    }

    /// Bytes held by every weight (embedding, norms, every linear, every expert).
    pub fn weight_bytes(&self) -> usize {
        let mut n = tensor_bytes(&self.embed) + tensor_bytes(&self.norm.weight);
        n += self.lm_head.weight_bytes();
        for b in &self.blocks {
            n += tensor_bytes(&b.attn_norm.weight) + tensor_bytes(&b.ffn_norm.weight);
            n += self
                .linears_of(b)
                .iter()
                .map(|l| l.weight_bytes())
                .sum::<usize>();
        }
        n
    }

    /// Every linear layer of a block.
    fn linears_of<'a>(&self, b: &'a Block) -> Vec<&'a Linear> {
        let mut v: Vec<&Linear> = match &b.attn {
            AttentionLayer::Standard(a) => vec![&a.q, &a.k, &a.v, &a.o],
            AttentionLayer::Latent(a) => vec![
                &a.q, &a.q_rope, &a.kv_down, &a.k_rope, &a.k_up, &a.v_up, &a.o,
            ],
        };
        match &b.ffn {
            FfnLayer::Dense(f) => v.extend([&f.gate, &f.up, &f.down]),
            FfnLayer::Moe(m) => {
                v.push(&m.router);
                for f in &m.experts {
                    v.extend([&f.gate, &f.up, &f.down]);
                }
            }
        }
        v
    }

    /// Every linear layer of every block (not the LM head), with the name its
    /// weight has in a checkpoint less the `.weight` suffix
    /// (`layers.0.attn.q`) and its role.
    pub fn linears_mut(&mut self) -> Vec<(String, LinearRole, &mut Linear)> {
        let mut v = Vec::new();
        for (i, b) in self.blocks.iter_mut().enumerate() {
            let p = format!("layers.{i}");
            let mut attn = |n: &str, l| v.push((format!("{p}.attn.{n}"), LinearRole::Attention, l));
            match &mut b.attn {
                AttentionLayer::Standard(a) => {
                    attn("q", &mut a.q);
                    attn("k", &mut a.k);
                    attn("v", &mut a.v);
                    attn("o", &mut a.o);
                }
                AttentionLayer::Latent(a) => {
                    attn("q", &mut a.q);
                    attn("q_rope", &mut a.q_rope);
                    attn("kv_down", &mut a.kv_down);
                    attn("k_rope", &mut a.k_rope);
                    attn("k_up", &mut a.k_up);
                    attn("v_up", &mut a.v_up);
                    attn("o", &mut a.o);
                }
            }
            match &mut b.ffn {
                FfnLayer::Dense(f) => v.extend(swiglu(format!("{p}.ffn"), f)),
                FfnLayer::Moe(m) => {
                    v.push((format!("{p}.ffn.router"), LinearRole::Router, &mut m.router));
                    for (e, f) in m.experts.iter_mut().enumerate() {
                        v.extend(swiglu(format!("{p}.ffn.experts.{e}"), f));
                    }
                }
            }
        }
        v
    }

    /// Mean experts run per token over every MoE layer, from the routing counters.
    pub fn measured_experts_per_token(&self) -> Option<f64> {
        let v: Vec<f64> = self
            .blocks
            .iter()
            .filter_map(|b| match &b.ffn {
                FfnLayer::Moe(m) => m.measured_experts_per_token(),
                FfnLayer::Dense(_) => None,
            })
            .collect();
        (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
    }
}

/// A SwiGLU's three linears, named under `n`.
fn swiglu(n: String, f: &mut SwiGlu) -> [(String, LinearRole, &mut Linear); 3] {
    [
        ("gate", &mut f.gate),
        ("up", &mut f.up),
        ("down", &mut f.down),
    ]
    .map(|(k, l)| (format!("{n}.{k}"), LinearRole::Ffn, l))
}
