//! Step statistics kept for the `Logging` RPC: when logging is on (or a run asks for stats), each
//! step's `StepStats` is kept by step id until a `Logging` call fetches it (and drops it) or clears
//! the log. Bounded so a forgotten log cannot grow without end.
//!
//! Concurrency: one mutex around the map.

use ferroflow_proto::{LabeledStepStats, StepStats};
use parking_lot::Mutex;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};

const MAX_KEPT_STEPS: usize = 4096;

#[derive(Default)]
pub struct StepStatsLog {
    enabled: AtomicBool,
    steps: Mutex<BTreeMap<i64, StepStats>>,
}

impl StepStatsLog {
    pub fn is_enabled(&self) -> bool {
        self.enabled.load(Ordering::Relaxed)
    }

    pub fn set_enabled(&self, on: bool) {
        self.enabled.store(on, Ordering::Relaxed);
    }

    /// Keeps a step's stats (merged with any already kept for the same step).
    pub fn record(&self, step_id: i64, stats: StepStats) {
        let mut steps = self.steps.lock();
        steps.entry(step_id).or_default().dev_stats.extend(stats.dev_stats);
        while steps.len() > MAX_KEPT_STEPS {
            steps.pop_first();
        }
    }

    /// Returns and forgets the stats of the given steps (those that were kept).
    pub fn fetch(&self, step_ids: &[i64]) -> Vec<LabeledStepStats> {
        let mut steps = self.steps.lock();
        step_ids
            .iter()
            .filter_map(|id| steps.remove(id).map(|s| LabeledStepStats { step_id: *id, step_stats: Some(s) }))
            .collect()
    }

    pub fn clear(&self) {
        self.steps.lock().clear();
    }
}
