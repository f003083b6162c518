//! The in-process rendezvous of one step: a table from key to either sent values waiting for a
//! receiver or receivers waiting for a value.
//!
//! Concurrency: one mutex guards the table; it is held only to move a value or a waiter in or out,
//! never while a receiver runs. Receivers wait on a oneshot channel, not on a thread. After
//! `start_abort` every pending and later receive fails with the abort error.

use ferroflow_framework::{Error, ParsedKey, Rendezvous, RendezvousValue, Result};
use futures::future::BoxFuture;
use parking_lot::Mutex;
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::sync::oneshot;

type Waiter = oneshot::Sender<Result<RendezvousValue>>;

enum Slot {
    Values(VecDeque<RendezvousValue>),
    Waiters(VecDeque<Waiter>),
}

#[derive(Default)]
struct Table {
    slots: HashMap<String, Slot>,
    aborted: Option<Error>,
}

/// A rendezvous whose senders and receivers live in this process.
#[derive(Default)]
pub struct LocalRendezvous {
    table: Mutex<Table>,
    /// Set with `Table::aborted`, readable without the lock.
    is_aborted: AtomicBool,
}

impl LocalRendezvous {
    pub fn new() -> LocalRendezvous {
        LocalRendezvous::default()
    }

    /// The abort error, if the rendezvous was aborted (cheap when it was not).
    pub fn aborted(&self) -> Option<Error> {
        if !self.is_aborted.load(Ordering::Acquire) {
            return None;
        }
        self.table.lock().aborted.clone()
    }

    /// Number of keys holding values or waiters (for tests and leak checks).
    pub fn pending_keys(&self) -> usize {
        self.table.lock().slots.len()
    }
}

impl Rendezvous for LocalRendezvous {
    fn send(&self, key: &ParsedKey, value: RendezvousValue) -> Result<()> {
        let mut table = self.table.lock();
        if let Some(e) = &table.aborted {
            return Err(e.clone());
        }
        let mut value = Some(value);
        if let Some(Slot::Waiters(waiters)) = table.slots.get_mut(key.as_str()) {
            while let Some(w) = waiters.pop_front() {
                let v = value.take().expect("value present until delivered");
                match w.send(Ok(v)) {
                    Ok(()) => break,
                    // The receiver gave up; offer the value to the next one.
                    Err(Ok(v)) => value = Some(v),
                    Err(Err(_)) => unreachable!("only Ok values are sent to waiters"),
                }
            }
            if waiters.is_empty() {
                table.slots.remove(key.as_str());
            }
        }
        if let Some(v) = value {
            match table.slots.entry(key.as_str().to_string()).or_insert_with(|| Slot::Values(VecDeque::new())) {
                Slot::Values(values) => values.push_back(v),
                Slot::Waiters(_) => unreachable!("waiters were drained above"),
            }
        }
        Ok(())
    }

    fn recv(&self, key: &ParsedKey) -> BoxFuture<'static, Result<RendezvousValue>> {
        let mut table = self.table.lock();
        if let Some(e) = &table.aborted {
            let e = e.clone();
            return Box::pin(async move { Err(e) });
        }
        if let Some(Slot::Values(values)) = table.slots.get_mut(key.as_str()) {
            let v = values.pop_front().expect("value slots are never empty");
            if values.is_empty() {
                table.slots.remove(key.as_str());
            }
            return Box::pin(async move { Ok(v) });
        }
        let (tx, rx) = oneshot::channel();
        match table.slots.entry(key.as_str().to_string()).or_insert_with(|| Slot::Waiters(VecDeque::new())) {
            Slot::Waiters(w) => w.push_back(tx),
            Slot::Values(_) => unreachable!("value slots were handled above"),
        }
        Box::pin(async move { rx.await.unwrap_or_else(|_| Err(Error::cancelled("Rendezvous was dropped"))) })
    }

    fn abort_status(&self) -> Option<Error> {
        self.aborted()
    }

    fn start_abort(&self, error: Error) {
        let waiters: Vec<Waiter> = {
            let mut table = self.table.lock();
            if table.aborted.is_some() {
                return;
            }
            table.aborted = Some(error.clone());
            self.is_aborted.store(true, Ordering::Release);
            table
                .slots
                .drain()
                .flat_map(|(_, slot)| match slot {
                    Slot::Waiters(w) => w.into_iter().collect::<Vec<_>>(),
                    Slot::Values(_) => Vec::new(),
                })
                .collect()
        };
        for w in waiters {
            let _ = w.send(Err(error.clone()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferroflow_framework::Tensor;

    fn key(name: &str) -> ParsedKey {
        ParsedKey::new("/job:a/replica:0/task:0/device:CPU:0", 7, "/job:a/replica:0/task:0/device:CPU:0", name, (0, 0))
    }

    #[tokio::test]
    async fn send_before_and_after_recv() {
        let r = LocalRendezvous::new();
        r.send(&key("a"), RendezvousValue::live(Tensor::scalar(1i32))).unwrap();
        assert_eq!(r.recv(&key("a")).await.unwrap().tensor.scalar_value::<i32>().unwrap(), 1);
        let pending = r.recv(&key("b"));
        r.send(&key("b"), RendezvousValue::live(Tensor::scalar(2i32))).unwrap();
        assert_eq!(pending.await.unwrap().tensor.scalar_value::<i32>().unwrap(), 2);
        assert_eq!(r.pending_keys(), 0);
    }

    #[tokio::test]
    async fn abort_fails_pending_and_later_receives() {
        let r = LocalRendezvous::new();
        let pending = r.recv(&key("x"));
        r.start_abort(Error::aborted("step failed"));
        assert_eq!(pending.await.unwrap_err().code, ferroflow_framework::Code::Aborted);
        assert!(r.recv(&key("y")).await.is_err());
        assert!(r.send(&key("y"), RendezvousValue::dead()).is_err());
    }
}
