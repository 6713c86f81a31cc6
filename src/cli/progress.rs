//! Progress bars for the optimizer's phases.

use aellm::optimizer::observer::PhaseObserver;
use aellm::space::Evaluation;
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use std::sync::Mutex;

/// Shows one bar per phase; finished phases stay on screen.
pub struct Bars {
    multi: MultiProgress,
    current: Mutex<Option<ProgressBar>>,
}

impl Bars {
    pub fn new() -> Self {
        Bars {
            multi: MultiProgress::new(),
            current: Mutex::new(None),
        }
    }

    fn with_bar(&self, f: impl FnOnce(&ProgressBar)) {
        if let Some(b) = self
            .current
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
        {
            f(b)
        }
    }
}

impl PhaseObserver for Bars {
    fn phase_started(&self, name: &str, steps: u64) {
        let bar = self.multi.add(ProgressBar::new(steps));
        bar.set_style(
            ProgressStyle::with_template(
                "{prefix:>22} [{bar:30}] {pos}/{len} {elapsed_precise} {wide_msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        bar.set_prefix(name.to_string());
        *self.current.lock().unwrap_or_else(|e| e.into_inner()) = Some(bar);
    }

    fn step(&self, message: &str) {
        self.with_bar(|b| {
            b.set_message(message.to_string());
            b.inc(1);
        });
    }

    fn evaluated(&self, e: &Evaluation, reused: bool) {
        let what = match &e.outcome {
            Ok(m) => {
                let o = m.objectives();
                format!(
                    "{}{}: acc {:.3}, {:.1} ms, {:.3} GB",
                    if reused { "(from study) " } else { "" },
                    e.configuration,
                    o.accuracy,
                    o.latency_ms,
                    o.memory_gb
                )
            }
            Err(err) => format!("{}: failed: {err}", e.configuration),
        };
        self.with_bar(|b| {
            b.set_message(what);
            b.inc(1);
        });
    }

    fn phase_finished(&self, _name: &str) {
        if let Some(b) = self
            .current
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
        {
            b.finish_with_message("done");
        }
    }
}
