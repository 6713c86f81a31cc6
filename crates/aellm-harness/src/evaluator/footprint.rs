//! The harness's storage conventions, stated for [`aellm_space::footprint`]:
//! the one place the counts of a configuration (parameters, weight and KV
//! bytes, multiply-adds) come from. The harness holds f32 tensors, serves
//! an f16 embedding table, quantizes the LM head with the other linears,
//! keeps MoE routers in f32, stores INT8/INT4 in candle's symmetric
//! 32-weight blocks with an f16 scale (`Q8_0`, `Q4_0`) and FP8 with an f32
//! scale per output channel.

use super::options::HarnessOptions;
use crate::convert::MoeConversion;
use crate::error::{HarnessError, Result};
use aellm_space::footprint::{ExpertWidth, Footprint, FootprintOptions};
use aellm_space::{Configuration, ModelSpec};

/// The footprint conventions of a harness with options `o`.
pub fn footprint_options(o: &HarnessOptions) -> FootprintOptions {
    FootprintOptions {
        float_bytes: 4.0,
        kv_bytes: 4.0,
        group_size: o.group_size as u32,
        group_scale_bytes: 2.0,
        zero_points: false,
        fp8_scale_bytes: 4.0,
        quantize_lm_head: true,
        quantize_embeddings: false,
        embedding_bytes: Some(2.0),
        mla_rope_fraction: o.mla_rope_fraction,
        expert_width: match o.moe_conversion {
            MoeConversion::Moefication => ExpertWidth::Split,
            MoeConversion::Upcycling => ExpertWidth::Copies,
        },
        adapter_targets: o.finetune.targets,
    }
}

/// The counts of `c` on `model` under the harness's conventions.
pub fn footprint(o: &HarnessOptions, model: &ModelSpec, c: &Configuration) -> Result<Footprint> {
    Footprint::new(model, c, footprint_options(o))
        .map_err(|e| HarnessError::Invalid(format!("counting {c} on {}: {e}", model.name)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checkpoint::weights_of;
    use crate::evaluator::model_spec;
    use crate::evaluator::pipeline::convert_architecture;
    use crate::model::{ModelConfig, Transformer, seeded};
    use crate::quant::{QuantSpec, quantize_model};
    use aellm_space::{
        Architecture, Attention, Inference, KvCache, Moe, QuantMethod, WeightPrecision,
    };
    use candle_core::{DType, Device, Tensor};
    use candle_nn::VarBuilder;
    use proptest::prelude::*;

    const ATTENTION: [Attention; 5] = [
        Attention::Mha,
        Attention::Mqa,
        Attention::Gqa { kv_groups: 2 },
        Attention::Mla { latent_dim: 32 },
        Attention::Mla { latent_dim: 64 },
    ];
    const MOE: [Moe; 4] = [
        Moe::Dense,
        Moe::Sparse {
            experts: 2,
            top_k: 1,
        },
        Moe::Sparse {
            experts: 4,
            top_k: 2,
        },
        Moe::Sparse {
            experts: 2,
            top_k: 2,
        },
    ];
    const WEIGHTS: [(WeightPrecision, Option<QuantMethod>); 6] = [
        (WeightPrecision::Fp16, None),
        (WeightPrecision::Fp8, None),
        (WeightPrecision::Int8, Some(QuantMethod::Rtn)),
        (WeightPrecision::Int8, Some(QuantMethod::Gptq)),
        (WeightPrecision::Int4, Some(QuantMethod::Rtn)),
        (WeightPrecision::Int4, Some(QuantMethod::Gptq)),
    ];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        /// The footprint's counts are what the harness's model really holds:
        /// f32 parameters after conversion, and every byte after quantization.
        #[test]
        fn footprint_weight_bytes_are_what_the_model_allocates(
            a in 0usize..5, e in 0usize..4, q in 0usize..6, layers in 1usize..3,
        ) {
            let (weights, method) = WEIGHTS[q];
            let c = Configuration {
                architecture: Architecture { attention: ATTENTION[a], moe: MOE[e] },
                inference: Inference { weights, method, kv_cache: KvCache::Full },
                ..Default::default()
            };
            let base = ModelConfig { hidden: 64, layers, heads: 4, ffn: 128, ..ModelConfig::tiny(40) };
            let spec = model_spec("small", &base, 256);
            prop_assume!(c.validate_for(&spec).is_empty());
            let o = HarnessOptions::default();
            let counts = footprint(&o, &spec, &c).unwrap();
            let (vm, _) = seeded(base, 0, &Device::Cpu).unwrap();
            let (cfg, w) = convert_architecture(&o, &base, &weights_of(&vm).unwrap(), &c).unwrap();
            let vb = VarBuilder::from_tensors(w, DType::F32, &Device::Cpu);
            let mut m = Transformer::load(vb, &cfg).unwrap();
            prop_assert_eq!(cfg.parameters() as u64, counts.parameters());
            prop_assert_eq!(m.weight_bytes() as u64, 4 * counts.parameters());
            let x = Tensor::new(&[[1u32, 5, 9, 2, 7, 3, 4, 8]], &Device::Cpu).unwrap();
            let rec = m.calibrate(&[x]).unwrap();
            let mut spec = QuantSpec::new(weights, method);
            spec.group_size = o.group_size;
            quantize_model(&mut m, &rec, &spec).unwrap();
            prop_assert_eq!(m.weight_bytes() as f64, counts.weight_bytes(), "{}", c);
        }
    }
}
