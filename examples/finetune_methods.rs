//! What each fine-tuning method costs and buys on the default small model:
//! for Full and for LoRA, RSLoRA, DoRA and QLoRA at rank 8 and 32 (α = 2r),
//! the trainable parameters, AdamW's state, the fine-tune's peak memory,
//! the time per step and the accuracy after the default number of steps.
//!
//! ```text
//! cargo run --release --example finetune_methods
//! ```
//! Every row runs the real harness pipeline: the cached base (pre-trained
//! once, about a minute and a half), converted to GQA with 2 key/value
//! groups, fine-tuned with the method (adapters on the attention
//! projections, merged afterwards), served in INT4 (GPTQ, as QLoRA
//! requires) with a full KV cache, and scored on the test split. Peak
//! memory is measured by the counting allocator (weights as held + the
//! training loop's high-water mark). `AELLM_ADAPTER_LR=x` sets every adapter
//! method's learning rate (for trying rates); timings on a shared machine
//! are noisy.

use aellm::harness::finetune::AdapterRates;
use aellm::harness::metrics::CountingAllocator;
use aellm::harness::{HarnessEvaluator, HarnessOptions};
use aellm::space::{
    Architecture, Attention, Configuration, Evaluator, FineTuneMethod, FineTuning, Inference,
    KvCache, Measurement, Moe, Provenance, QuantMethod, WeightPrecision,
};

#[global_allocator]
static ALLOC: CountingAllocator = CountingAllocator;

fn extra(m: &Measurement, k: &str) -> f64 {
    m.extra.get(k).map_or(f64::NAN, |f| f.value)
}

fn main() {
    let mut options = HarnessOptions {
        store_measurements: false,
        ..HarnessOptions::default()
    };
    if let Some(lr) = std::env::var("AELLM_ADAPTER_LR")
        .ok()
        .and_then(|v| v.parse::<f64>().ok())
    {
        options.finetune.rates = AdapterRates {
            lora: lr,
            rslora: lr,
            dora: lr,
            qlora: lr,
        };
    }
    let steps = options.finetune.recipe.steps;
    let rates = options.finetune.rates;
    let e = HarnessEvaluator::new(options);
    let s = e.scenario();
    println!(
        "model {} ({} parameters), GQA-2 conversion, {steps} fine-tuning steps of {}, \
         adapters on attention; INT4 GPTQ serving",
        s.model.name,
        s.model.parameters,
        e.options().finetune.recipe.batch
    );
    println!(
        "learning rates: full {}, LoRA {}, RSLoRA {}, DoRA {}, QLoRA {}",
        e.options().finetune.recipe.lr,
        rates.lora,
        rates.rslora,
        rates.dora,
        rates.qlora
    );
    let mut methods = vec![FineTuning::full()];
    for m in [
        FineTuneMethod::Lora,
        FineTuneMethod::Rslora,
        FineTuneMethod::Dora,
        FineTuneMethod::Qlora,
    ] {
        for r in [8u32, 32] {
            methods.push(FineTuning::low_rank(m, r, 2.0 * r as f64));
        }
    }
    println!(
        "{:<20} {:>10} {:>11} {:>12} {:>11} {:>9} {:>15} {:>8}",
        "method",
        "trainable",
        "adamw KB",
        "ft peak MB",
        "weights MB",
        "ms/step",
        "loss first→last",
        "accuracy"
    );
    for ft in methods {
        let c = Configuration {
            architecture: Architecture {
                attention: Attention::Gqa { kv_groups: 2 },
                moe: Moe::Dense,
            },
            fine_tuning: ft,
            inference: Inference {
                weights: WeightPrecision::Int4,
                method: Some(QuantMethod::Gptq),
                kv_cache: KvCache::Full,
            },
        };
        let m = match e.evaluate(&c, &s) {
            Ok(m) => m,
            Err(err) => {
                println!("{ft}: {err}");
                continue;
            }
        };
        let peak = &m.extra["finetune_peak_bytes"];
        let mark = if peak.provenance == Provenance::Measured {
            "M"
        } else {
            "E"
        };
        let peak_mb = peak.value / 1e6;
        let trainable = extra(&m, "finetune_trainable_parameters");
        println!(
            "{:<20} {:>10.0} {:>11.1} {:>10.2} {} {:>11.2} {:>9.1} {:>7.3}→{:<7.3} {:>8.3}",
            ft.to_string(),
            trainable,
            extra(&m, "finetune_optimizer_state_bytes") / 1e3,
            peak_mb,
            mark,
            extra(&m, "finetune_weight_bytes") / 1e6,
            extra(&m, "finetune_seconds_per_step") * 1e3,
            extra(&m, "finetune_loss_first"),
            extra(&m, "finetune_loss_last"),
            m.accuracy.value
        );
    }
}
