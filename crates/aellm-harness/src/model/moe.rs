//! A sparse mixture of SwiGLU experts with top-k routing and a
//! load-balancing loss (Switch Transformer, Fedus et al. 2022; Mixtral, Jiang et al. 2024).

use super::calibration::{Recorder, note};
use super::config::{FfnConfig, ModelConfig};
use super::ffn::SwiGlu;
use super::groups::{LinearGroup, LinearRole};
use super::linear::{Linear, load_linear};
use crate::checkpoint::names::{self, Group};
use candle_core::{D, DType, Module, Result, Tensor};
use candle_nn::VarBuilder;
use std::sync::atomic::{AtomicU64, Ordering};

/// `experts` SwiGLU experts; each token runs only its `top_k` routed ones.
///
/// Top-1 weights the expert by its router probability (Switch); top-k ≥ 2
/// renormalises the k probabilities to sum to one (Mixtral).
#[derive(Debug)]
pub struct Moe {
    /// Router `[experts, hidden]`.
    pub router: Linear,
    /// The experts.
    pub experts: Vec<SwiGlu>,
    /// Experts each token is routed to.
    pub top_k: usize,
    prefix: String,
    /// Token-expert pairs dispatched so far, and tokens seen: measured routing load.
    dispatched: AtomicU64,
    tokens: AtomicU64,
}

impl Clone for Moe {
    fn clone(&self) -> Self {
        Moe {
            router: self.router.clone(),
            experts: self.experts.clone(),
            top_k: self.top_k,
            prefix: self.prefix.clone(),
            dispatched: AtomicU64::new(self.dispatched.load(Ordering::Relaxed)),
            tokens: AtomicU64::new(self.tokens.load(Ordering::Relaxed)),
        }
    }
}

/// What one MoE forward pass returns beside its output.
#[derive(Debug)]
pub struct MoeOutput {
    /// `[.., hidden]`.
    pub y: Tensor,
    /// Switch load-balancing loss `E · Σ_e f_e · P_e` (1 when perfectly balanced).
    pub balance_loss: Tensor,
}

impl Moe {
    /// Loads (or, from a `VarMap`, creates) the router and experts under
    /// `vb`; `cfg.ffn_kind` must be [`FfnConfig::Moe`].
    pub fn load(vb: VarBuilder, cfg: &ModelConfig) -> Result<Self> {
        let FfnConfig::Moe {
            experts,
            top_k,
            expert_ffn,
        } = cfg.ffn_kind
        else {
            candle_core::bail!("Moe::load needs an MoE config, got {:?}", cfg.ffn_kind)
        };
        let router = load_linear(&vb, names::ROUTER, cfg.hidden, experts)?;
        let experts = (0..experts)
            .map(|e| SwiGlu::load(vb.pp(names::expert(e)), cfg.hidden, expert_ffn))
            .collect::<Result<Vec<_>>>()?;
        Ok(Moe {
            router,
            experts,
            top_k,
            prefix: vb.prefix(),
            dispatched: AtomicU64::new(0),
            tokens: AtomicU64::new(0),
        })
    }

    /// The router's group (kept in full precision by quantization, never
    /// adapted) and every expert's groups. No norm gain is offered: each
    /// expert sees a different share of the tokens, so no single activation
    /// scale can be folded into the norm they share.
    pub fn groups(&mut self) -> Vec<LinearGroup<'_>> {
        let p = &self.prefix;
        let router = vec![(names::ROUTER, &mut self.router)];
        let mut v = vec![LinearGroup::new(
            Group::Router.under(p),
            p,
            LinearRole::Router,
            router,
        )];
        for f in &mut self.experts {
            v.extend(f.groups(None));
        }
        v
    }

    /// Every linear, for counting.
    pub fn linears(&self) -> Vec<&Linear> {
        let mut v = vec![&self.router];
        v.extend(self.experts.iter().flat_map(|f| f.linears()));
        v
    }

    /// Records, for every expert no calibration token was routed to, the
    /// layer's inputs (the router's rows) as its inputs, so every expert
    /// can be quantized with calibration data.
    pub fn fill_calibration(&self, rec: &mut Recorder) -> Result<()> {
        let Some(all) = rec.rows(&Group::Router.under(&self.prefix)).transpose()? else {
            return Ok(());
        };
        for f in &self.experts {
            let (gu, dn) = (
                Group::GateUp.under(f.prefix()),
                Group::Down.under(f.prefix()),
            );
            if rec.rows(&gu).is_none() || rec.rows(&dn).is_none() {
                rec.inputs.insert(gu, vec![all.clone()]);
                rec.inputs.insert(dn, vec![f.hidden(&all)?]);
            }
        }
        Ok(())
    }

    /// Mean experts run per token since the counters were last reset.
    pub fn measured_experts_per_token(&self) -> Option<f64> {
        let t = self.tokens.load(Ordering::Relaxed);
        (t > 0).then(|| self.dispatched.load(Ordering::Relaxed) as f64 / t as f64)
    }

    /// Resets the routing counters.
    pub fn reset_counters(&self) {
        self.dispatched.store(0, Ordering::Relaxed);
        self.tokens.store(0, Ordering::Relaxed);
    }

    /// Routes and applies the experts to `x [.., hidden]`.
    pub fn forward(&self, x: &Tensor, mut rec: Option<&mut Recorder>) -> Result<MoeOutput> {
        let dims = x.dims().to_vec();
        let hidden = *dims.last().unwrap_or(&0);
        let xs = x.reshape(((), hidden))?;
        let n = xs.dim(0)?;
        let e_count = self.experts.len();
        note(&mut rec, &Group::Router.under(&self.prefix), &xs)?;
        let probs = candle_nn::ops::softmax(&self.router.forward(&xs)?, D::Minus1)?;

        // Selection is discrete (no gradient); the weights are gathered from
        // `probs` so the router learns through them.
        let pv: Vec<Vec<f32>> = probs.to_dtype(DType::F32)?.to_vec2()?;
        let mut chosen = vec![0u32; n * self.top_k];
        let mut per_expert: Vec<Vec<(u32, u32)>> = vec![Vec::new(); e_count];
        let mut top1 = vec![0f32; e_count];
        for (i, row) in pv.iter().enumerate() {
            let mut idx: Vec<usize> = (0..e_count).collect();
            idx.sort_by(|a, b| row[*b].total_cmp(&row[*a]).then(a.cmp(b)));
            for (slot, &e) in idx.iter().take(self.top_k).enumerate() {
                chosen[i * self.top_k + slot] = e as u32;
                per_expert[e].push((i as u32, slot as u32));
                top1[e] += 1.0 / (n * self.top_k) as f32;
            }
        }
        self.tokens.fetch_add(n as u64, Ordering::Relaxed);
        self.dispatched
            .fetch_add((n * self.top_k) as u64, Ordering::Relaxed);

        let chosen_t = Tensor::from_vec(chosen, (n, self.top_k), x.device())?;
        let mut w = probs.gather(&chosen_t, 1)?;
        if self.top_k > 1 {
            w = w.broadcast_div(&w.sum_keepdim(1)?)?;
        }
        let mut y = xs.zeros_like()?;
        for (e, pairs) in per_expert.iter().enumerate() {
            if pairs.is_empty() {
                continue;
            }
            let rows: Vec<u32> = pairs.iter().map(|p| p.0).collect();
            let flat: Vec<u32> = pairs
                .iter()
                .map(|(i, s)| i * self.top_k as u32 + s)
                .collect();
            let rows_t = Tensor::from_vec(rows, pairs.len(), x.device())?;
            let flat_t = Tensor::from_vec(flat, pairs.len(), x.device())?;
            let xe = xs.index_select(&rows_t, 0)?;
            let we = w.flatten_all()?.index_select(&flat_t, 0)?.unsqueeze(1)?;
            let ye = self.experts[e]
                .forward(&xe, rec.as_deref_mut())?
                .broadcast_mul(&we)?;
            y = y.index_add(&rows_t, &ye, 0)?;
        }
        let f = Tensor::from_vec(top1, e_count, x.device())?;
        let p_mean = probs.mean(0)?;
        let balance_loss = ((f * p_mean)?.sum_all()? * e_count as f64)?;
        Ok(MoeOutput {
            y: y.reshape(dims)?,
            balance_loss,
        })
    }
}
