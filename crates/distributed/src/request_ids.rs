//! Recently seen request ids (TF's `RecentRequestIds`): a retried RPC carries the id of the first
//! attempt, and must be refused rather than run twice. A bounded ring: old ids age out.
//!
//! Concurrency: one mutex around the set and ring.

use ferroflow_framework::{Error, Result};
use parking_lot::Mutex;
use std::collections::{HashSet, VecDeque};

pub struct RecentRequestIds {
    capacity: usize,
    seen: Mutex<(HashSet<i64>, VecDeque<i64>)>,
}

impl RecentRequestIds {
    pub fn new(capacity: usize) -> RecentRequestIds {
        RecentRequestIds { capacity, seen: Mutex::new((HashSet::new(), VecDeque::new())) }
    }

    /// Records `id`; ABORTED if it was seen recently. Id 0 means "no id" and is always accepted.
    pub fn track_unique(&self, id: i64, method: &str) -> Result<()> {
        if id == 0 {
            return Ok(());
        }
        let mut guard = self.seen.lock();
        let (set, ring) = &mut *guard;
        if !set.insert(id) {
            return Err(Error::aborted(format!(
                "The same {method} was received twice. request_id: {id}. This request was not run again."
            )));
        }
        ring.push_back(id);
        if ring.len() > self.capacity
            && let Some(old) = ring.pop_front()
        {
            set.remove(&old);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeats_are_refused_until_they_age_out() {
        let ids = RecentRequestIds::new(2);
        ids.track_unique(5, "RunGraphRequest").unwrap();
        assert_eq!(ids.track_unique(5, "RunGraphRequest").unwrap_err().code, ferroflow_framework::Code::Aborted);
        ids.track_unique(0, "x").unwrap();
        ids.track_unique(0, "x").unwrap();
        ids.track_unique(6, "x").unwrap();
        ids.track_unique(7, "x").unwrap();
        ids.track_unique(5, "x").unwrap();
    }
}
