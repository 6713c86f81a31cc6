//! Long-run property tests standing in for fuzzing: whatever text a user
//! gives as a scenario (TOML or JSON) or a configuration (JSON), parsing and
//! checking return a value or a typed error, never a panic.
//!
//! `PROPTEST_CASES` raises the number of inputs (CI keeps the default).

use aellm_space::{Configuration, Scenario, ScenarioFile};
use proptest::prelude::*;

/// Valid documents to mutate: mutations of real inputs reach deeper than
/// random text.
const SEEDS: &[&str] = &[
    "model = \"llama-2-7b\"\ntask = \"mmlu\"\nhardware = \"a100-80gb\"\nbudget = 30\n[preferences]\naccuracy = 0.5\nlatency = 0.3\nmemory = 0.1\nenergy = 0.1\n[constraints]\nmax_latency_ms = 2000.0\nmin_accuracy = 0.4\n",
    "task = \"gsm8k\"\nhardware = \"rtx-4090\"\n[model]\nname = \"tiny\"\nparameters = 1000000\nlayers = 2\nhidden = 64\nheads = 4\nkv_heads = 4\nffn = 128\nvocab = 100\nexperts = 8\nexperts_per_token = 2\n",
    "{\"model\": \"llama-3-8b\", \"task\": {\"name\": \"t\", \"kind\": \"reasoning\", \"prompt_tokens\": 512, \"output_tokens\": 128, \"metric\": \"exact_match\"}, \"hardware\": {\"name\": \"x\", \"memory_gb\": 24, \"power_w\": 300, \"bandwidth_gbs\": 900, \"peak\": {\"fp16\": 100}}}",
];

fn mutate(seed: &str, edits: &[(usize, u8, u8)]) -> String {
    let mut bytes = seed.as_bytes().to_vec();
    for &(at, op, byte) in edits {
        if bytes.is_empty() {
            bytes.push(byte);
            continue;
        }
        let i = at % bytes.len();
        match op % 3 {
            0 => bytes[i] = byte,
            1 => {
                bytes.remove(i);
            }
            _ => bytes.insert(i, byte),
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

fn configuration_json() -> String {
    serde_json::to_string(&Configuration::default()).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn mutated_scenarios_never_panic(
        which in 0..SEEDS.len(),
        edits in prop::collection::vec((any::<usize>(), any::<u8>(), 0x20u8..0x7f), 0..8),
    ) {
        let text = mutate(SEEDS[which], &edits);
        let _ = Scenario::from_toml_str(&text);
        let _ = Scenario::from_json_str(&text);
        if let Ok(f) = ScenarioFile::from_toml_str(&text) {
            let _ = f.resolve();
        }
    }

    #[test]
    fn random_text_never_panics(text in "\\PC{0,200}") {
        let _ = Scenario::from_toml_str(&text);
        let _ = Scenario::from_json_str(&text);
        let _ = serde_json::from_str::<Configuration>(&text);
    }

    #[test]
    fn mutated_configurations_never_panic(
        edits in prop::collection::vec((any::<usize>(), any::<u8>(), 0x20u8..0x7f), 0..6),
    ) {
        let text = mutate(&configuration_json(), &edits);
        if let Ok(c) = serde_json::from_str::<Configuration>(&text) {
            let _ = c.validate();
            let _ = c.to_string();
            let _ = aellm_space::encoding::encode(&c);
        }
    }
}
