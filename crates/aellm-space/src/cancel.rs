//! Cooperative cancellation of an evaluation that ran past its time limit.
//!
//! A Rust thread cannot be stopped from outside, so an evaluation that
//! [`TimeLimited`](crate::TimeLimited) gives up on keeps running until it
//! returns. An evaluator that checks [`requested`] between its stages (the
//! harness does: after loading, converting, fine-tuning, quantizing, and
//! between metrics) stops at the next check instead, so an abandoned run
//! frees the machine soon after its limit.

use std::cell::RefCell;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

thread_local! {
    static FLAG: RefCell<Option<Arc<AtomicBool>>> = const { RefCell::new(None) };
}

/// Whether the evaluation running on this thread has been given up on.
/// Always `false` on a thread that [`TimeLimited`](crate::TimeLimited) did
/// not start.
pub fn requested() -> bool {
    FLAG.with(|f| {
        f.borrow()
            .as_ref()
            .is_some_and(|flag| flag.load(Ordering::Relaxed))
    })
}

/// Makes `flag` the one [`requested`] reads on this thread.
pub(crate) fn install(flag: Arc<AtomicBool>) {
    FLAG.with(|f| *f.borrow_mut() = Some(flag));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_installed_flag_of_this_thread_counts() {
        assert!(!requested());
        let flag = Arc::new(AtomicBool::new(false));
        let (installed, go) = (std::sync::mpsc::channel(), std::sync::mpsc::channel::<()>());
        let f = flag.clone();
        let h = std::thread::spawn(move || {
            install(f);
            installed.0.send(requested()).unwrap();
            go.1.recv().unwrap();
            requested()
        });
        assert!(
            !installed.1.recv().unwrap(),
            "not requested before the flag is set"
        );
        flag.store(true, Ordering::Relaxed);
        go.0.send(()).unwrap();
        assert!(h.join().unwrap(), "requested once it is set");
        assert!(
            !requested(),
            "another thread's flag does not reach this one"
        );
    }
}
