//! `aellm presets`.

use aellm_space::presets::{HARDWARE, MODELS, TASKS};
use clap::Args;

#[derive(Debug, Args)]
pub struct PresetsArgs {
    /// Print as JSON instead of tables.
    #[arg(long)]
    json: bool,
}

pub fn run(a: PresetsArgs) -> anyhow::Result<()> {
    if a.json {
        let v = serde_json::json!({
            "models": MODELS.iter().map(|m| m.spec()).collect::<Vec<_>>(),
            "hardware": HARDWARE.iter().map(|h| h.spec()).collect::<Vec<_>>(),
            "tasks": TASKS.iter().map(|t| t.spec()).collect::<Vec<_>>(),
        });
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(());
    }
    print_models();
    print_hardware();
    print_tasks()
}

fn print_models() {
    println!("Models (from their published config.json)");
    println!(
        "  {:<16} {:>8} {:>6} {:>6} {:>5} {:>4} {:>6} {:>7} {:>7}",
        "name", "params", "layers", "hidden", "heads", "kv", "ffn", "vocab", "experts"
    );
    for m in MODELS {
        let experts = if m.experts > 1 {
            format!("{}/{}", m.experts_per_token, m.experts)
        } else {
            "-".into()
        };
        println!(
            "  {:<16} {:>7.2}B {:>6} {:>6} {:>5} {:>4} {:>6} {:>7} {:>7}",
            m.name,
            m.parameters as f64 / 1e9,
            m.layers,
            m.hidden,
            m.heads,
            m.kv_heads,
            m.ffn,
            m.vocab,
            experts
        );
    }
}

fn print_hardware() {
    println!(
        "\nHardware (vendors' data sheets, dense throughput; link: NVLink or PCIe per device, both ways; idle: an assumption, docs/sources/hardware.md)"
    );
    println!(
        "  {:<10} {:>8} {:>7} {:>9} {:>8} {:>8} {:>8} {:>10} {:>9} {:>6} {:>7}",
        "name",
        "memory",
        "power",
        "FP16",
        "FP8",
        "INT8",
        "INT4",
        "bandwidth",
        "link",
        "idle",
        "devices"
    );
    let opt = |v: Option<f64>| v.map_or("-".to_string(), |x| format!("{x:.0}"));
    for h in HARDWARE {
        println!(
            "  {:<10} {:>6.0}GB {:>6.0}W {:>9.1} {:>8} {:>8} {:>8} {:>6.0}GB/s {:>5.0}GB/s {:>5.0}W {:>7}",
            h.name,
            h.memory_gb,
            h.power_w,
            h.fp16,
            opt(h.fp8),
            opt(h.int8),
            opt(h.int4),
            h.bandwidth_gbs,
            h.interconnect_gbs,
            h.idle_power_w,
            h.devices
        );
    }
}

fn print_tasks() -> anyhow::Result<()> {
    println!("\nTasks");
    println!(
        "  {:<22} {:<14} {:>7} {:>7}  metric",
        "name", "kind", "prompt", "output"
    );
    for t in TASKS {
        println!(
            "  {:<22} {:<14} {:>7} {:>7}  {}",
            t.name,
            serde_json::to_value(t.kind)?.as_str().unwrap_or_default(),
            t.prompt_tokens,
            t.output_tokens,
            serde_json::to_value(t.metric)?.as_str().unwrap_or_default()
        );
    }
    Ok(())
}
