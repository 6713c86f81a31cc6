//! A real checkpoint as an evaluation base: its weights under the harness's
//! names, held in memory once per evaluator, and the data every evaluation
//! of it reads (real text, science questions, held-out tokens), tokenized
//! once with its own tokenizer.

use super::real_options::RealOptions;
use crate::checkpoint::Weights;
use crate::error::{HarnessError, Result};
use crate::model::ModelConfig;
use crate::pretrained::data::{Split, real_text, science_questions};
use crate::pretrained::{self, PretrainedError, StoredPrecision, TextTokenizer};
use crate::tasks::Example;
use candle_core::Device;
use std::path::PathBuf;

/// A loaded checkpoint and its evaluation data.
pub(crate) struct RealBase {
    /// Its short name.
    pub name: String,
    /// The file or folder it came from, with its size and modification
    /// time: what the on-disk caches key on.
    pub identity: String,
    /// Its shape as the harness's model.
    pub config: ModelConfig,
    /// Its dense weights under the harness's names.
    pub weights: Weights,
    /// The precision its file stores (the precision of record).
    pub precision: StoredPrecision,
    /// Its tokenizer.
    pub tokenizer: TextTokenizer,
    /// Real-text training sequences (train chapters), as examples whose
    /// whole text is scored.
    pub text_train: Vec<Example>,
    /// The science questions' train split, as fine-tuning examples.
    pub mc_train: Vec<Example>,
    /// The questions accuracy is measured on.
    pub mc_eval: Vec<Example>,
    /// Held-out tokens (test chapters) for perplexity.
    pub ppl_ids: Vec<u32>,
    /// Calibration sequences (train chapters, after those trained on).
    pub calibration: Vec<Vec<u32>>,
}

impl std::fmt::Debug for RealBase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RealBase")
            .field("name", &self.name)
            .field("identity", &self.identity)
            .finish_non_exhaustive()
    }
}

fn pretrained_error(e: PretrainedError) -> HarnessError {
    HarnessError::Invalid(e.to_string())
}

/// `path`, its size and its modification time (seconds), as one string.
fn identity(path: &PathBuf) -> String {
    let meta = std::fs::metadata(path).ok();
    let len = meta.as_ref().map_or(0, |m| m.len());
    let modified = meta
        .and_then(|m| m.modified().ok())
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_secs());
    format!("{}|{len}|{modified}", path.display())
}

impl RealBase {
    /// Reads `checkpoint` (a path or a name [`pretrained::resolve`] knows)
    /// onto `device` and prepares its data at the sizes of `o`.
    pub fn load(checkpoint: &str, o: &RealOptions, device: &Device) -> Result<RealBase> {
        let path = pretrained::resolve(checkpoint).map_err(pretrained_error)?;
        let p = pretrained::load(&path.display().to_string(), device).map_err(pretrained_error)?;
        let config = p.model_config().map_err(pretrained_error)?;
        let weights = p.harness_weights().map_err(pretrained_error)?;
        let tok = p.tokenizer.clone();
        let encode = |text: &str| tok.encode(text).map_err(pretrained_error);
        let train_ids = encode(&real_text(Split::Train).map_err(pretrained_error)?)?;
        let sequences: Vec<&[u32]> = train_ids.chunks_exact(o.text_tokens.max(2)).collect();
        // Calibration reads the last sequences; training the first ones.
        let n_calib = o.calibration_sequences.min(sequences.len() / 2);
        let (train_seqs, calib_seqs) = sequences.split_at(sequences.len() - n_calib);
        let text_train = train_seqs
            .iter()
            .map(|ids| {
                Ok(Example {
                    prompt: String::new(),
                    answer: tok.decode(ids).map_err(pretrained_error)?,
                    choices: Vec::new(),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let questions = |split| -> Result<Vec<Example>> {
            Ok(science_questions(split)
                .map_err(pretrained_error)?
                .iter()
                .map(|q| q.to_example())
                .collect())
        };
        let mc_train = questions(Split::Train)?
            .into_iter()
            .map(|mut e| {
                // Fine-tuning learns the answer's text, not the list of choices.
                e.choices.clear();
                e
            })
            .collect();
        let mut mc_eval = questions(o.mc_split)?;
        mc_eval.truncate(o.mc_questions);
        let mut ppl_ids = encode(&real_text(Split::Test).map_err(pretrained_error)?)?;
        if ppl_ids.len() < o.ppl_tokens {
            return Err(HarnessError::Invalid(format!(
                "the held-out text has {} tokens for this tokenizer; the options ask for {}",
                ppl_ids.len(),
                o.ppl_tokens
            )));
        }
        ppl_ids.truncate(o.ppl_tokens);
        Ok(RealBase {
            name: p.name.clone(),
            identity: identity(&path),
            config,
            weights,
            precision: p.precision.clone(),
            text_train,
            mc_train,
            mc_eval,
            ppl_ids,
            calibration: calib_seqs.iter().map(|s| s.to_vec()).collect(),
            tokenizer: tok,
        })
    }
}
