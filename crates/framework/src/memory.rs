//! Memory accounting for tensors: every tensor buffer a kernel allocates (and every one decoded from
//! the wire) is reserved against one process-wide budget first, so a request for more than fits —
//! `tf.fill([2**40], 1.0)`, a `Tile` of 4 TiB — fails its step with RESOURCE_EXHAUSTED and TF's
//! "OOM when allocating tensor" message instead of aborting the process, and the task keeps serving.
//! Reservations are released when the last tensor sharing the buffer is dropped.
//!
//! The budget defaults to a share of the machine's memory ([`default_limit`]); a task's
//! `--memory-limit` sets it. Tasks of one process (`ferroflow local`) share it, as they share the
//! machine.
//!
//! Concurrency: the counters are atomics; reserving is lock-free and may race only toward
//! refusing (two reservations that together exceed the budget never both succeed).

use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::shape::TensorShape;
use std::sync::Arc;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

/// The process's tensor-memory budget and what is reserved of it.
pub struct MemoryAccountant {
    limit: AtomicU64,
    in_use: AtomicU64,
    peak: AtomicU64,
}

/// Bytes reserved for one buffer; released on drop.
pub struct Reservation {
    accountant: &'static MemoryAccountant,
    bytes: u64,
}

impl Drop for Reservation {
    fn drop(&mut self) {
        self.accountant.in_use.fetch_sub(self.bytes, Ordering::AcqRel);
    }
}

impl std::fmt::Debug for Reservation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Reservation({} bytes)", self.bytes)
    }
}

/// The default budget: 80 % of the machine's physical memory (all of `u64` where it is unknown).
pub fn default_limit() -> u64 {
    physical_memory().map(|m| m / 10 * 8).unwrap_or(u64::MAX)
}

fn physical_memory() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    kib.checked_mul(1024)
}

impl MemoryAccountant {
    /// The process-wide accountant.
    pub fn global() -> &'static MemoryAccountant {
        static GLOBAL: OnceLock<MemoryAccountant> = OnceLock::new();
        GLOBAL.get_or_init(|| MemoryAccountant {
            limit: AtomicU64::new(default_limit()),
            in_use: AtomicU64::new(0),
            peak: AtomicU64::new(0),
        })
    }

    pub fn set_limit(&self, bytes: u64) {
        self.limit.store(bytes, Ordering::Release);
    }

    pub fn limit(&self) -> u64 {
        self.limit.load(Ordering::Acquire)
    }

    /// Bytes reserved now.
    pub fn in_use(&self) -> u64 {
        self.in_use.load(Ordering::Acquire)
    }

    /// The most bytes ever reserved at once.
    pub fn peak(&self) -> u64 {
        self.peak.load(Ordering::Acquire)
    }

    /// Reserves `bytes`, or `None` if they do not fit in what is left of the budget.
    pub fn try_reserve(&'static self, bytes: u64) -> Option<Reservation> {
        let limit = self.limit();
        let mut current = self.in_use.load(Ordering::Acquire);
        loop {
            let next = current.checked_add(bytes).filter(|&n| n <= limit)?;
            match self.in_use.compare_exchange_weak(current, next, Ordering::AcqRel, Ordering::Acquire) {
                Ok(_) => {
                    self.peak.fetch_max(next, Ordering::AcqRel);
                    return Some(Reservation { accountant: self, bytes });
                }
                Err(seen) => current = seen,
            }
        }
    }
}

/// TF's message for an allocation that does not fit (`OOM when allocating tensor with
/// shape[2,3] and type float on DEVICE by allocator cpu`), RESOURCE_EXHAUSTED.
pub fn oom_error(dims: &[i64], dtype: DType, device: &str) -> Error {
    let dims: Vec<String> = dims.iter().map(|d| d.to_string()).collect();
    Error::resource_exhausted(format!(
        "OOM when allocating tensor with shape[{}] and type {dtype} on {device} by allocator cpu\n\
         Hint: If you want to see a list of allocated tensors when OOM happens, add \
         report_tensor_allocations_upon_oom to RunOptions for current allocation info.",
        dims.join(",")
    ))
}

/// Reserves the bytes of a tensor of `dtype` and `shape` (strings counted by `extra_bytes`), with
/// TF's OOM error (naming `device`) when it does not fit or its size overflows.
pub fn reserve_tensor(shape: &TensorShape, dtype: DType, extra_bytes: u64, device: &str) -> Result<Reservation> {
    let elements = shape.dims().iter().try_fold(1u64, |acc, &d| acc.checked_mul(u64::try_from(d).ok()?));
    let bytes = elements
        .and_then(|n| n.checked_mul(dtype.size().unwrap_or(std::mem::size_of::<usize>()) as u64))
        .and_then(|b| b.checked_add(extra_bytes));
    bytes
        .and_then(|b| MemoryAccountant::global().try_reserve(b))
        .ok_or_else(|| oom_error(shape.dims(), dtype, device))
}

/// A reservation shared by the clones of a buffer (see `Tensor`).
pub type SharedReservation = Arc<Reservation>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reservations_fit_the_budget_and_are_released_on_drop() {
        let a = MemoryAccountant::global();
        let base = a.in_use();
        let r = a.try_reserve(1000).unwrap();
        assert!(a.in_use() >= base + 1000);
        drop(r);
        assert!(a.try_reserve(u64::MAX).is_none(), "more than any budget");
        let e = reserve_tensor(&TensorShape::new(vec![1 << 40, 1 << 40]), DType::Float, 0, "/job:w/replica:0/task:0/device:CPU:0").unwrap_err();
        assert_eq!(e.code, crate::Code::ResourceExhausted);
        assert!(
            e.message.starts_with("OOM when allocating tensor with shape[1099511627776,1099511627776] and type float on /job:w/replica:0/task:0/device:CPU:0 by allocator cpu"),
            "{}",
            e.message
        );
    }
}
