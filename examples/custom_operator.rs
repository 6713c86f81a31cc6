//! A user's own mutation plugged into the NSGA-II engine.
//!
//! The problem: place 8 sensors on a line of 40 slots (a categorical genome,
//! one slot index per sensor) to minimise both cabling (distance from the hub
//! at slot 0) and the largest gap left uncovered. The built-in random-reset
//! mutation jumps anywhere; ours nudges one sensor to a neighbouring slot,
//! which suits a problem where nearby slots behave alike.
//!
//! Run with `cargo run -p aellm --example custom_operator`.

use aellm::nsga2::indicators::hypervolume;
use aellm::nsga2::operators::Mutation;
use aellm::nsga2::{Evaluation, Nsga2, Problem, Termination, minimize};
use rand::{Rng, RngCore};

const SLOTS: usize = 40;
const SENSORS: usize = 8;

struct SensorLine;

impl Problem for SensorLine {
    type Genome = Vec<usize>;

    fn n_objectives(&self) -> usize {
        2
    }

    fn evaluate(&self, x: &Vec<usize>) -> Evaluation {
        let cabling: f64 = x.iter().map(|&s| s as f64).sum();
        let mut pos = x.clone();
        pos.sort_unstable();
        pos.dedup();
        // Largest stretch of the line no sensor is near, ends included.
        let mut gap = pos[0] as f64;
        for w in pos.windows(2) {
            gap = gap.max((w[1] - w[0]) as f64 / 2.0);
        }
        gap = gap.max((SLOTS - 1 - pos[pos.len() - 1]) as f64);
        Evaluation::new(vec![cabling, gap])
    }

    fn name(&self) -> &str {
        "sensor-line"
    }
}

/// Moves one randomly chosen sensor one or two slots left or right.
struct NudgeMutation {
    slots: usize,
}

impl Mutation<Vec<usize>> for NudgeMutation {
    fn mutate(&self, x: &mut Vec<usize>, rng: &mut dyn RngCore) {
        let i = rng.random_range(0..x.len());
        let step = rng.random_range(1..=2);
        x[i] = if rng.random::<bool>() {
            (x[i] + step).min(self.slots - 1)
        } else {
            x[i].saturating_sub(step)
        };
    }
}

fn main() -> Result<(), aellm::nsga2::Nsga2Error> {
    let problem = SensorLine;
    let reference = [(SLOTS * SENSORS) as f64, SLOTS as f64];
    let run = |custom: bool| {
        let builder = Nsga2::categorical(vec![SLOTS; SENSORS])?.pop_size(60);
        let builder = if custom {
            builder.mutation(NudgeMutation { slots: SLOTS })
        } else {
            builder
        };
        minimize(
            &problem,
            &builder.build()?,
            Termination::generations(100),
            42,
        )
    };
    for (label, custom) in [
        ("random-reset mutation (built in)", false),
        ("nudge mutation (ours)", true),
    ] {
        let res = run(custom)?;
        let hv = hypervolume(&res.archive_objectives(), &reference)?;
        println!(
            "{label}: {} non-dominated layouts, hypervolume {hv:.1}",
            res.archive.len()
        );
    }
    let res = run(true)?;
    println!("\nfront found with the nudge mutation (cabling, largest gap: slots):");
    let mut front = res.archive.clone();
    front.sort_by(|a, b| a.objectives[0].total_cmp(&b.objectives[0]));
    for ind in front.iter().step_by((front.len() / 8).max(1)) {
        let mut slots = ind.genome.clone();
        slots.sort_unstable();
        println!(
            "  {:>5.0} {:>5.1}  {:?}",
            ind.objectives[0], ind.objectives[1], slots
        );
    }
    Ok(())
}
