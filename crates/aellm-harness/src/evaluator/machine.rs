//! The default scenario: the harness's own small model, its default task,
//! and this machine.

use crate::base::BaseRecipe;
use crate::model::ModelConfig;
use aellm_space::{
    Attention, HardwareSpec, ModelSpec, Space, TaskKind, TaskMetric, TaskSpec, Throughput,
};

/// Name of the default model.
pub const TINY_MODEL: &str = "aellm-tiny";

/// A model shape as the space describes models.
pub fn model_spec(name: &str, c: &ModelConfig, max_context: u32) -> ModelSpec {
    ModelSpec {
        name: name.into(),
        parameters: c.parameters() as u64,
        layers: c.layers as u32,
        hidden: c.hidden as u32,
        heads: c.heads as u32,
        kv_heads: c.kv_heads() as u32,
        ffn: c.ffn as u32,
        vocab: c.vocab as u32,
        experts: 1,
        experts_per_token: 1,
        max_context,
        tied_embeddings: c.tied_embeddings,
        checkpoint: None,
    }
}

/// The default base model as a [`ModelSpec`] named `aellm-tiny`.
pub fn tiny_model() -> ModelSpec {
    model_spec(TINY_MODEL, &BaseRecipe::tiny().model, 1024)
}

/// The default task: four-way multiple choice (understanding, scored by
/// accuracy), the task the small base model learns well within its
/// pre-training budget, so configurations differ visibly; latency uses a
/// 128-token prompt and 32 generated tokens (the paper's 512 + 128 scaled
/// down to the small model).
pub fn default_task() -> TaskSpec {
    TaskSpec {
        name: "aellm-choice".into(),
        kind: TaskKind::Understanding,
        prompt_tokens: 128,
        output_tokens: 32,
        metric: TaskMetric::Accuracy,
    }
}

/// CPU cores this process can use.
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// This machine as hardware: memory read from `/proc/meminfo`; power,
/// throughput and bandwidth are **estimates** (the data-sheet figures of a
/// CPU are not readable from software): `watts_per_core` per core, 32 f32
/// FLOPs per cycle per core (two AVX2 FMA units) at an assumed 2.5 GHz, and
/// 20 GB/s of memory bandwidth.
pub fn this_machine(watts_per_core: f64) -> HardwareSpec {
    let memory_gb = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("MemTotal:"))
                .and_then(|l| {
                    l.split_whitespace()
                        .nth(1)
                        .and_then(|k| k.parse::<f64>().ok())
                })
        })
        .map_or(8.0, |kb| kb * 1024.0 / 1e9);
    let n = cores();
    HardwareSpec {
        name: format!("this-cpu-{n}-cores"),
        memory_gb,
        power_w: watts_per_core * n as f64,
        peak: Throughput {
            fp16: n as f64 * 2.5e9 * 32.0 / 1e12,
            fp8: None,
            int8: None,
            int4: None,
        },
        bandwidth_gbs: 20.0,
        devices: 1,
        interconnect_gbs: None,
        idle_power_w: None,
    }
}

/// The paper's space adapted to `model`: GQA groups (the paper's 2, 4, 8,
/// 16 and the checkpoint's own key/value heads) that are fewer than its
/// heads and divide its key/value heads, since conversion mean-pools them;
/// MLA latents of a quarter and a half of its width (the paper's 256/512
/// assume a 4096-wide model), rounded up to whole quantization blocks.
pub fn space_for(model: &ModelSpec) -> Space {
    let mut s = Space::paper();
    let mut attention = vec![Attention::Mha, Attention::Mqa];
    let mut groups = vec![2, 4, 8, 16, model.kv_heads];
    groups.sort_unstable();
    groups.dedup();
    attention.extend(
        groups
            .into_iter()
            .filter(|g| 1 < *g && *g < model.heads && model.kv_heads.is_multiple_of(*g))
            .map(|kv_groups| Attention::Gqa { kv_groups }),
    );
    // Rounded up to whole integer blocks, so the up-projections (whose input is the latent)
    // can be stored in INT8/INT4.
    let block = crate::quant::BLOCK_SIZE as u32;
    attention.extend(
        [model.hidden / 4, model.hidden / 2].map(|l| Attention::Mla {
            latent_dim: l.div_ceil(block) * block,
        }),
    );
    s.attention = attention;
    s.for_model(model)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// GQA groups come from pooling the checkpoint's key/value heads: SmolLM2's 9 heads and 3
    /// key/value heads allow GQA-3 (itself) and MQA, not the paper's 2/4/8.
    #[test]
    fn gqa_groups_divide_the_checkpoints_key_value_heads() {
        let gqa = |heads, kv_heads| -> Vec<u32> {
            let m = ModelSpec {
                heads,
                kv_heads,
                ..tiny_model()
            };
            space_for(&m)
                .attention
                .iter()
                .filter_map(|a| match a {
                    Attention::Gqa { kv_groups } => Some(*kv_groups),
                    _ => None,
                })
                .collect()
        };
        assert_eq!(gqa(9, 3), vec![3]);
        assert_eq!(gqa(32, 8), vec![2, 4, 8]);
        assert_eq!(gqa(32, 32), vec![2, 4, 8, 16]);
        assert_eq!(gqa(4, 4), vec![2]);
    }

    /// SmolLM2's width 576 gives latents 144 and 288; 144 is not whole blocks of 32.
    #[test]
    fn mla_latents_are_whole_quantization_blocks() {
        let m = ModelSpec {
            hidden: 576,
            ..tiny_model()
        };
        let latents: Vec<u32> = space_for(&m)
            .attention
            .iter()
            .filter_map(|a| match a {
                Attention::Mla { latent_dim } => Some(*latent_dim),
                _ => None,
            })
            .collect();
        assert_eq!(latents, vec![160, 288]);
    }
}
