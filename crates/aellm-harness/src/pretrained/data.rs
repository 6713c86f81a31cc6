//! The project's real evaluation data, shipped inside the crate (sources
//! and licences in `docs/data.md`): English prose (Jane Austen's
//! *Persuasion*, public domain) for perplexity, and four-choice science
//! questions in the style of ARC-Easy, written for this project, for
//! multiple-choice accuracy and fine-tuning. The test splits are never used
//! for tuning.

use super::error::{PretrainedError, Result};
use serde::{Deserialize, Serialize};

/// Which part of a data set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Split {
    /// For fine-tuning and calibration.
    Train,
    /// For choosing settings (learning rates, steps, thresholds).
    Validation,
    /// For the reported figures only.
    Test,
}

impl Split {
    /// Every split.
    pub const ALL: [Split; 3] = [Split::Train, Split::Validation, Split::Test];
}

/// Chance accuracy of the multiple-choice questions (four choices each).
pub const MC_CHANCE: f64 = 0.25;

/// Where `scripts/fetch-data.sh` puts the prose, inside the aellm cache.
pub const PROSE_DIR: &str = "data/persuasion";

/// The real English text of `split`: whole chapters of *Persuasion*
/// (train 1-9, validation 10-13, test 14-24), paragraphs separated by blank
/// lines. The text comes from a Debian package and is not kept in the
/// repository: `scripts/fetch-data.sh` extracts it into the aellm cache
/// once; until then this is a [`PretrainedError::NotFound`] naming that
/// command.
///
/// ```no_run
/// use aellm_harness::pretrained::data::{real_text, Split};
/// assert!(real_text(Split::Test)?.split_whitespace().count() > 20_000);
/// # Ok::<(), aellm_harness::pretrained::PretrainedError>(())
/// ```
pub fn real_text(split: Split) -> Result<String> {
    let name = match split {
        Split::Train => "persuasion.train.txt",
        Split::Validation => "persuasion.validation.txt",
        Split::Test => "persuasion.test.txt",
    };
    let path = super::resolve::aellm_cache().join(PROSE_DIR).join(name);
    std::fs::read_to_string(&path).map_err(|e| PretrainedError::NotFound {
        model: format!("real text {}", path.display()),
        why: format!(
            "{e}; run `bash scripts/fetch-data.sh` once (it extracts Persuasion from the Debian package r-cran-janeaustenr into the aellm cache)"
        ),
    })
}

/// One four-choice question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct McQuestion {
    /// Stable id (`sci-001`, …).
    pub id: String,
    /// The question.
    pub question: String,
    /// Four answers, one correct.
    pub choices: Vec<String>,
    /// Index of the correct answer in `choices`.
    pub answer: usize,
}

impl McQuestion {
    /// The prompt a model continues; each choice is scored as
    /// `prompt + " " + choice` by the log-likelihood of the choice's tokens.
    pub fn prompt(&self) -> String {
        format!("Question: {}\nAnswer:", self.question)
    }

    /// The continuation of choice `i` (with its leading space).
    pub fn continuation(&self, i: usize) -> String {
        format!(" {}", self.choices[i])
    }

    /// The correct answer's text.
    pub fn correct(&self) -> &str {
        &self.choices[self.answer]
    }

    /// As a harness task example (choices with their leading space), for
    /// [`crate::metrics::accuracy::score`] with [`crate::tasks::TaskFamily::Choice`].
    pub fn to_example(&self) -> crate::tasks::Example {
        let choices: Vec<String> = (0..self.choices.len())
            .map(|i| self.continuation(i))
            .collect();
        crate::tasks::Example {
            prompt: self.prompt(),
            answer: choices[self.answer].clone(),
            choices,
        }
    }

    /// The question and its answer as one fine-tuning text.
    pub fn finetune_text(&self) -> String {
        format!("{}{}\n", self.prompt(), self.continuation(self.answer))
    }
}

/// The science questions of `split` (train 80, validation 40, test 117).
///
/// ```
/// use aellm_harness::pretrained::data::{science_questions, Split};
/// let test = science_questions(Split::Test).unwrap();
/// assert!(test.iter().all(|q| q.choices.len() == 4));
/// ```
pub fn science_questions(split: Split) -> Result<Vec<McQuestion>> {
    let (name, text) = match split {
        Split::Train => (
            "science.train.jsonl",
            include_str!("../../data/mc/science.train.jsonl"),
        ),
        Split::Validation => (
            "science.validation.jsonl",
            include_str!("../../data/mc/science.validation.jsonl"),
        ),
        Split::Test => (
            "science.test.jsonl",
            include_str!("../../data/mc/science.test.jsonl"),
        ),
    };
    parse_questions(name, text)
}

/// Parses JSON lines of [`McQuestion`]s, checking four choices and a valid answer.
pub fn parse_questions(name: &str, text: &str) -> Result<Vec<McQuestion>> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            let at = format!("{name} line {}", i + 1);
            let q: McQuestion =
                serde_json::from_str(l).map_err(|e| PretrainedError::format(&at, e.to_string()))?;
            if q.choices.len() != 4 || q.answer >= 4 {
                let why = format!(
                    "{} choices with answer {}; need 4 and 0..=3",
                    q.choices.len(),
                    q.answer
                );
                return Err(PretrainedError::format(&at, why));
            }
            Ok(q)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn splits_are_disjoint_balanced_and_at_least_200() {
        let all: Vec<McQuestion> = Split::ALL
            .iter()
            .flat_map(|s| science_questions(*s).unwrap())
            .collect();
        assert!(all.len() >= 200, "{}", all.len());
        let ids: HashSet<&str> = all.iter().map(|q| q.id.as_str()).collect();
        let questions: HashSet<&str> = all.iter().map(|q| q.question.as_str()).collect();
        assert_eq!((ids.len(), questions.len()), (all.len(), all.len()));
        // The correct answer sits equally often at each position, so a
        // position bias cannot beat chance.
        let test = science_questions(Split::Test).unwrap();
        for a in 0..4 {
            let n = test.iter().filter(|q| q.answer == a).count() as f64;
            assert!((n / test.len() as f64 - MC_CHANCE).abs() < 0.02);
        }
    }

    #[test]
    fn bad_lines_are_named() {
        let e = parse_questions(
            "x.jsonl",
            "{\"id\":\"a\",\"question\":\"q\",\"choices\":[\"a\"],\"answer\":0}",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("x.jsonl line 1") && e.contains("need 4"), "{e}");
    }

    #[test]
    fn text_splits_are_disjoint_chapters() {
        let (test, train, validation) = match (
            real_text(Split::Test),
            real_text(Split::Train),
            real_text(Split::Validation),
        ) {
            (Ok(a), Ok(b), Ok(c)) => (a, b, c),
            (Err(e), ..) | (_, Err(e), _) | (.., Err(e)) => {
                // CI runs scripts/fetch-data.sh; elsewhere the error says how.
                assert!(std::env::var_os("CI").is_none(), "{e}");
                assert!(e.to_string().contains("scripts/fetch-data.sh"), "{e}");
                eprintln!("skipped: {e}");
                return;
            }
        };
        let first_test_para = test.split("\n\n").next().unwrap();
        assert!(!train.contains(first_test_para));
        assert!(test.split_whitespace().count() > 20_000);
        assert!(validation.split_whitespace().count() > 10_000);
    }
}
