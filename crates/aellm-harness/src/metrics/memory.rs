//! Peak memory: a counting global allocator that binaries install.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);
static INSTALLED: AtomicBool = AtomicBool::new(false);

/// The system allocator, counting the bytes live and their high-water mark.
///
/// Install it in a binary, example or test to get measured peak memory;
/// without it the harness reports memory computed from tensor sizes,
/// marked estimated. The counters are process-wide: measure one thing at a time.
///
/// ```
/// use aellm_harness::metrics::CountingAllocator;
///
/// #[global_allocator]
/// static ALLOC: CountingAllocator = CountingAllocator;
///
/// let base = CountingAllocator::reset_peak();
/// let v = vec![0u8; 1 << 20];
/// assert!(CountingAllocator::installed());
/// assert!(CountingAllocator::peak() - base >= 1 << 20);
/// drop(v);
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct CountingAllocator;

impl CountingAllocator {
    /// Whether this allocator is the global one (it has served an allocation).
    pub fn installed() -> bool {
        INSTALLED.load(Ordering::Relaxed)
    }

    /// Bytes currently allocated through it.
    pub fn current() -> usize {
        CURRENT.load(Ordering::Relaxed)
    }

    /// The high-water mark since the last [`CountingAllocator::reset_peak`].
    pub fn peak() -> usize {
        PEAK.load(Ordering::Relaxed)
    }

    /// Sets the high-water mark to the bytes live now, and returns them.
    pub fn reset_peak() -> usize {
        let c = CURRENT.load(Ordering::Relaxed);
        PEAK.store(c, Ordering::Relaxed);
        c
    }

    fn grew(by: usize) {
        let now = CURRENT.fetch_add(by, Ordering::Relaxed) + by;
        PEAK.fetch_max(now, Ordering::Relaxed);
    }
}

// SAFETY: every call is forwarded unchanged to `System`; only counters are added.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: same contract as the caller's.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            INSTALLED.store(true, Ordering::Relaxed);
            Self::grew(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: same contract as the caller's.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            INSTALLED.store(true, Ordering::Relaxed);
            Self::grew(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) };
        CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: same contract as the caller's.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
            Self::grew(new_size);
        }
        p
    }
}
