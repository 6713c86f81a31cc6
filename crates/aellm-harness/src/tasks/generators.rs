//! The three task generators: one example from a random source each.

use rand::Rng;
use rand::seq::SliceRandom;

use super::Example;

/// Understanding, multiple choice: which of four numbers is the largest.
/// Scored by the log-likelihood of each option after the prompt.
pub fn choice(rng: &mut impl Rng) -> Example {
    let mut nums: Vec<u32> = Vec::new();
    while nums.len() < 4 {
        let n = rng.random_range(10..100);
        if !nums.contains(&n) {
            nums.push(n);
        }
    }
    let best = *nums.iter().max().unwrap_or(&0);
    let list: Vec<String> = nums.iter().map(u32::to_string).collect();
    Example {
        prompt: format!("max {}?", list.join(",")),
        answer: best.to_string(),
        choices: list,
    }
}

/// Generation: two-digit addition, answered in full and scored by exact match.
pub fn arithmetic(rng: &mut impl Rng) -> Example {
    let (a, b) = (rng.random_range(0..100u32), rng.random_range(0..100u32));
    Example {
        prompt: format!("{a}+{b}="),
        answer: (a + b).to_string(),
        choices: Vec::new(),
    }
}

/// Long context: associative recall. `pairs` key-value pairs (distinct
/// letter keys, digit values), then one key is asked for.
pub fn recall(rng: &mut impl Rng, pairs: usize) -> Example {
    let mut keys: Vec<char> = ('a'..='z').collect();
    keys.shuffle(rng);
    keys.truncate(pairs.clamp(1, 26));
    let values: Vec<u32> = keys.iter().map(|_| rng.random_range(0..10)).collect();
    let ask = rng.random_range(0..keys.len());
    let context: String = keys
        .iter()
        .zip(&values)
        .map(|(k, v)| format!("{k}{v}"))
        .collect();
    Example {
        prompt: format!("{context}|{}=", keys[ask]),
        answer: values[ask].to_string(),
        choices: Vec::new(),
    }
}
