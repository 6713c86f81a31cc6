//! The decoder-only transformer: embedding, blocks (norm, attention, norm,
//! FFN, each residual), final norm and LM head.

use super::attention::Attention;
use super::bytes::tensor_bytes;
use super::calibration::Recorder;
use super::config::{AttentionConfig, FfnConfig, ModelConfig};
use super::ffn::SwiGlu;
use super::groups::{LinearGroup, LinearRole, NamedLinear};
use super::kv_cache::{CachePrecision, ModelCache};
use super::linear::Linear;
use super::mla::LatentAttention;
use super::moe::Moe;
use super::norm::RmsNorm;
use crate::checkpoint::names::{self, Group};
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

impl Block {
    /// Loads (or, from a `VarMap`, creates) block `vb.prefix()` of `cfg`.
    pub fn load(vb: VarBuilder, cfg: &ModelConfig) -> Result<Self> {
        let (h, eps) = (cfg.hidden, cfg.norm_eps);
        let attn = match cfg.attention {
            AttentionConfig::Standard { .. } => {
                AttentionLayer::Standard(Attention::load(vb.pp(names::ATTN), cfg)?)
            }
            AttentionConfig::Latent { .. } => {
                AttentionLayer::Latent(LatentAttention::load(vb.pp(names::ATTN), cfg)?)
            }
        };
        let ffn = match cfg.ffn_kind {
            FfnConfig::Dense => FfnLayer::Dense(SwiGlu::load(vb.pp(names::FFN), h, cfg.ffn)?),
            FfnConfig::Moe { .. } => FfnLayer::Moe(Moe::load(vb.pp(names::FFN), cfg)?),
        };
        Ok(Block {
            attn_norm: RmsNorm::load(vb.pp(names::ATTN_NORM), h, eps)?,
            attn,
            ffn_norm: RmsNorm::load(vb.pp(names::FFN_NORM), h, eps)?,
            ffn,
        })
    }

    /// Its quantizable linears in their calibration groups, in forward
    /// order (attention, then FFN), with the norm gain that feeds each
    /// group where one alone does.
    pub fn groups(&mut self) -> Vec<LinearGroup<'_>> {
        let mut v = match &mut self.attn {
            AttentionLayer::Standard(a) => a.groups(&mut self.attn_norm.weight),
            AttentionLayer::Latent(a) => a.groups(&mut self.attn_norm.weight),
        };
        v.extend(match &mut self.ffn {
            FfnLayer::Dense(f) => f.groups(Some(&mut self.ffn_norm.weight)),
            FfnLayer::Moe(m) => m.groups(),
        });
        v
    }

    /// Bytes of every weight of the block (norms, linears, biases, experts).
    pub fn weight_bytes(&self) -> usize {
        let (linears, bias): (Vec<&Linear>, usize) = match &self.attn {
            AttentionLayer::Standard(a) => (a.linears().to_vec(), a.bias_bytes()),
            AttentionLayer::Latent(a) => (a.linears().to_vec(), 0),
        };
        let ffn: Vec<&Linear> = match &self.ffn {
            FfnLayer::Dense(f) => f.linears().to_vec(),
            FfnLayer::Moe(m) => m.linears(),
        };
        tensor_bytes(&self.attn_norm.weight)
            + tensor_bytes(&self.ffn_norm.weight)
            + bias
            + linears
                .iter()
                .chain(&ffn)
                .map(|l| l.weight_bytes())
                .sum::<usize>()
    }
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
/// let m = Transformer::load(vb, &ModelConfig::tiny(20)).unwrap();
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
    /// Loads the model from `vb` (names: [`crate::checkpoint::names`]);
    /// from a `VarMap`, variables it lacks are created and initialised.
    /// With tied embeddings the LM head is the embedding matrix.
    pub fn load(vb: VarBuilder, config: &ModelConfig) -> Result<Self> {
        config
            .check()
            .map_err(|e| candle_core::Error::Msg(e.to_string()))?;
        let (h, config) = (config.hidden, *config);
        let init = Init::Randn {
            mean: 0.0,
            stdev: 0.02,
        };
        let embed = vb
            .pp(names::EMBED)
            .get_with_hints((config.vocab, h), names::WEIGHT, init)?;
        let blocks = (0..config.layers)
            .map(|i| Block::load(vb.pp(names::layer(i)), &config))
            .collect::<Result<Vec<_>>>()?;
        let lm_head = if config.tied_embeddings {
            Linear::dense(embed.clone())
        } else {
            Linear::Dense(candle_nn::linear_no_bias(
                h,
                config.vocab,
                vb.pp(names::LM_HEAD),
            )?)
        };
        Ok(Transformer {
            config,
            embed,
            blocks,
            norm: RmsNorm::load(vb.pp(names::NORM), h, config.norm_eps)?,
            lm_head,
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
        cache: Option<&mut ModelCache>,
        rec: Option<&mut Recorder>,
    ) -> Result<Output> {
        self.run(tokens, cache, rec, false)
    }

    /// Logits `[b, 1, vocab]` of the last position only, the tokens appended
    /// to `cache`: what a server computes in a prefill, since it samples only
    /// the next token (the LM head, a large share of a small model's prefill,
    /// runs on one position instead of `t`).
    pub fn forward_last(&self, tokens: &Tensor, cache: &mut ModelCache) -> Result<Tensor> {
        Ok(self.run(tokens, Some(cache), None, true)?.logits)
    }

    fn run(
        &self,
        tokens: &Tensor,
        mut cache: Option<&mut ModelCache>,
        mut rec: Option<&mut Recorder>,
        last_only: bool,
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
        let x = if last_only { x.narrow(1, t - 1, 1)? } else { x };
        let x = self.norm.forward(&x)?;
        if let Some(r) = rec {
            r.record(&Group::LmHead.under(""), &x)?;
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

    /// Bytes held by every weight (embedding, norms, every linear, every
    /// expert); a tied LM head that still is the embedding counts once.
    pub fn weight_bytes(&self) -> usize {
        let head_is_embed = self.config.tied_embeddings
            && self
                .lm_head
                .weight()
                .is_some_and(|w| w.id() == self.embed.id());
        let head = if head_is_embed {
            0
        } else {
            self.lm_head.weight_bytes()
        };
        tensor_bytes(&self.embed)
            + tensor_bytes(&self.norm.weight)
            + head
            + self.blocks.iter().map(Block::weight_bytes).sum::<usize>()
    }

    /// Every quantizable linear in its calibration group, block by block,
    /// then the LM head (fed by the final norm).
    pub fn groups(&mut self) -> Vec<LinearGroup<'_>> {
        let mut v: Vec<LinearGroup> = self.blocks.iter_mut().flat_map(Block::groups).collect();
        let head = vec![(names::LM_HEAD, &mut self.lm_head)];
        let group = Group::LmHead.under("");
        let mut head = LinearGroup::new(group, "", LinearRole::Head, head);
        head.linears[0].name = names::LM_HEAD.into();
        v.push(head.fed_by(&mut self.norm.weight));
        v
    }

    /// Every linear of every block (not the LM head), in forward order.
    pub fn block_linears(&mut self) -> Vec<NamedLinear<'_>> {
        self.groups()
            .into_iter()
            .flat_map(|g| g.linears)
            .filter(|l| l.role != LinearRole::Head)
            .collect()
    }

    /// Runs `batches` through the model recording every group's inputs,
    /// and gives experts no token was routed to the layer's inputs.
    pub fn calibrate(&self, batches: &[Tensor]) -> Result<Recorder> {
        let mut rec = Recorder::default();
        for b in batches {
            self.forward(b, None, Some(&mut rec))?;
        }
        for b in &self.blocks {
            if let FfnLayer::Moe(m) = &b.ffn {
                m.fill_calibration(&mut rec)?;
            }
        }
        Ok(rec)
    }

    /// Resets every MoE layer's routing counters.
    pub fn reset_routing_counters(&self) {
        for b in &self.blocks {
            if let FfnLayer::Moe(m) = &b.ffn {
                m.reset_counters();
            }
        }
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
