//! The buffers received messages land in: aligned, backed by huge pages when large, recycled, and
//! filled by copies that may run on other threads.
//!
//! Large allocations are recycled through a small process-wide pool: fresh memory from the kernel
//! must be zeroed page by page, which costs as much as the copy itself, and steps that move big
//! tensors tend to move the same sizes again. The pool keeps at most `POOL_BYTES` and forgets
//! allocations unused for `POOL_IDLE`.
//!
//! Concurrency: the pool is a mutex held only to push or pop an entry. A `ReceiveBuffer`'s memory
//! is shared by `Arc` with the blocking-pool tasks copying into it, each writing its own range; the
//! memory outlives them all even if the buffer is dropped first, and it is read only after every
//! copy has been awaited.

use bytes::Bytes;
use ferroflow_framework::{Error, Result};
use parking_lot::Mutex;
use std::alloc::Layout;
use std::ptr::NonNull;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::task::JoinHandle;

/// Where tensor contents are aligned.
pub const CONTENT_ALIGNMENT: usize = 64;
/// Allocations at least this large are aligned to, and advised into, 2 MiB huge pages.
const HUGE_PAGE_MIN: usize = 4 << 20;
const HUGE_PAGE: usize = 2 << 20;
/// Allocations at least this large go back to the pool when dropped.
const POOL_MIN: usize = 1 << 20;
/// The most memory the pool keeps, and how long it keeps an allocation nobody asks for.
const POOL_BYTES: usize = 1 << 30;
const POOL_IDLE: Duration = Duration::from_secs(20);
/// Pieces at least this large are copied on the blocking pool, off the I/O thread.
const OFFLOAD_MIN: usize = 1 << 20;

/// One heap allocation, returned to the pool (or freed) when the last reference goes.
struct Allocation {
    ptr: NonNull<u8>,
    layout: Layout,
}

// SAFETY: the allocation is plain heap memory; who writes where is governed by `ReceiveBuffer`.
unsafe impl Send for Allocation {}
unsafe impl Sync for Allocation {}

impl Allocation {
    /// At least `size` bytes, aligned for tensors (and huge pages when large).
    fn new(size: usize) -> Result<Allocation> {
        let size = size.max(1);
        let align = if size >= HUGE_PAGE_MIN { HUGE_PAGE } else { CONTENT_ALIGNMENT };
        let size = size.next_multiple_of(align);
        let layout = Layout::from_size_align(size, align).map_err(|e| Error::resource_exhausted(format!("cannot allocate {size} bytes: {e}")))?;
        if size >= POOL_MIN
            && let Some(allocation) = pool_take(layout)
        {
            return Ok(allocation);
        }
        // SAFETY: the layout has a non-zero size.
        let raw = unsafe { std::alloc::alloc(layout) };
        let ptr = NonNull::new(raw).ok_or_else(|| Error::resource_exhausted(format!("out of memory allocating {size} bytes")))?;
        if align == HUGE_PAGE {
            advise_huge_pages(ptr.as_ptr(), size);
        }
        Ok(Allocation { ptr, layout })
    }
}

impl Drop for Allocation {
    fn drop(&mut self) {
        if self.layout.size() >= POOL_MIN {
            pool_return(self.ptr, self.layout);
        } else {
            // SAFETY: allocated in `new` with this layout.
            unsafe { std::alloc::dealloc(self.ptr.as_ptr(), self.layout) };
        }
    }
}

/// An allocation owned by the pool.
struct PooledAllocation {
    ptr: NonNull<u8>,
    layout: Layout,
    returned: Instant,
}

// SAFETY: a pooled allocation is unused memory that only the pool refers to.
unsafe impl Send for PooledAllocation {}

static POOL: Mutex<Vec<PooledAllocation>> = Mutex::new(Vec::new());

/// A pooled allocation of `layout`'s alignment holding at least `layout.size()` bytes and at most
/// twice that, if there is one.
fn pool_take(layout: Layout) -> Option<Allocation> {
    let mut pool = POOL.lock();
    let now = Instant::now();
    let best = pool
        .iter()
        .enumerate()
        .filter(|(_, a)| a.layout.align() == layout.align() && a.layout.size() >= layout.size() && a.layout.size() <= 2 * layout.size())
        .min_by_key(|(_, a)| a.layout.size())
        .map(|(i, _)| i);
    let taken = best.map(|i| pool.swap_remove(i)).map(|a| Allocation { ptr: a.ptr, layout: a.layout });
    let expired: Vec<PooledAllocation> = pool.extract_if(.., |a| now.duration_since(a.returned) > POOL_IDLE).collect();
    drop(pool);
    free_all(expired);
    taken
}

/// Gives an allocation back to the pool (or to the allocator when the pool is full).
fn pool_return(ptr: NonNull<u8>, layout: Layout) {
    let mut pool = POOL.lock();
    let now = Instant::now();
    let mut freed: Vec<PooledAllocation> = pool.extract_if(.., |a| now.duration_since(a.returned) > POOL_IDLE).collect();
    let held: usize = pool.iter().map(|a| a.layout.size()).sum();
    let entry = PooledAllocation { ptr, layout, returned: now };
    if held + layout.size() <= POOL_BYTES {
        pool.push(entry);
    } else {
        freed.push(entry);
    }
    drop(pool);
    free_all(freed);
}

fn free_all(allocations: Vec<PooledAllocation>) {
    for a in allocations {
        // SAFETY: pooled allocations came from `std::alloc::alloc` with this layout.
        unsafe { std::alloc::dealloc(a.ptr.as_ptr(), a.layout) };
    }
}

#[cfg(target_os = "linux")]
fn advise_huge_pages(ptr: *mut u8, size: usize) {
    // SAFETY: the range is one live allocation; the advice only changes how pages are backed.
    unsafe {
        libc::madvise(ptr.cast(), size, libc::MADV_HUGEPAGE);
    }
}

#[cfg(not(target_os = "linux"))]
fn advise_huge_pages(_ptr: *mut u8, _size: usize) {}

/// The address of one byte of an allocation, sendable to the thread that copies there.
#[derive(Clone, Copy)]
struct Destination(*mut u8);

// SAFETY: each copy task writes only its own range, and the allocation outlives it (it holds an
// `Arc` to it).
unsafe impl Send for Destination {}

/// Room for a message of `len` bytes placed `start` bytes into its allocation, filled front to back
/// exactly once.
pub(crate) struct ReceiveBuffer {
    allocation: Arc<Allocation>,
    start: usize,
    len: usize,
    filled: usize,
    copies: Vec<JoinHandle<()>>,
}

impl ReceiveBuffer {
    pub(crate) fn new(start: usize, len: usize) -> Result<ReceiveBuffer> {
        Ok(ReceiveBuffer { allocation: Arc::new(Allocation::new(start + len)?), start, len, filled: 0, copies: Vec::new() })
    }

    pub(crate) fn remaining(&self) -> usize {
        self.len - self.filled
    }

    /// Copies `data` (at most `remaining()` bytes) after what is already there: here, or for a
    /// large piece inside a tokio runtime, on its blocking pool.
    pub(crate) fn extend(&mut self, data: Bytes) {
        assert!(data.len() <= self.remaining(), "message overflow");
        // SAFETY: start + filled + data.len() <= start + len, inside the allocation.
        let destination = Destination(unsafe { self.allocation.ptr.as_ptr().add(self.start + self.filled) });
        self.filled += data.len();
        let len = data.len();
        let copy = move || {
            let destination = destination;
            // SAFETY: the range is inside the allocation, written by this copy only, and not read
            // before the copy is awaited; `data` is other memory.
            unsafe { std::ptr::copy_nonoverlapping(data.as_ptr(), destination.0, data.len()) }
        };
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) if len >= OFFLOAD_MIN => {
                let allocation = self.allocation.clone();
                self.copies.push(runtime.spawn_blocking(move || {
                    copy();
                    drop(allocation);
                }));
            }
            _ => copy(),
        }
    }

    /// The filled buffer as shared bytes, once every copy is done.
    pub(crate) async fn into_bytes(mut self) -> Result<Bytes> {
        debug_assert_eq!(self.filled, self.len);
        for copy in self.copies.drain(..) {
            copy.await.map_err(|e| Error::internal(format!("copying a received message failed: {e}")))?;
        }
        Ok(Bytes::from_owner(Filled { allocation: self.allocation.clone(), start: self.start, len: self.len }))
    }

    #[cfg(test)]
    pub(crate) fn address(&self) -> usize {
        self.allocation.ptr.as_ptr() as usize
    }
}

/// A completely filled buffer, shared read-only.
struct Filled {
    allocation: Arc<Allocation>,
    start: usize,
    len: usize,
}

impl AsRef<[u8]> for Filled {
    fn as_ref(&self) -> &[u8] {
        // SAFETY: start..start+len was written by awaited copies and is never written again.
        unsafe { std::slice::from_raw_parts(self.allocation.ptr.as_ptr().add(self.start), self.len) }
    }
}
