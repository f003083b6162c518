//! The compute pool: the threads that run kernels, apart from the I/O runtime that serves RPCs.
//! A thin owner of a rayon pool; `spawn` is callable from any thread.

use std::sync::Arc;

/// Threads for kernels.
pub struct ComputePool {
    pool: rayon::ThreadPool,
}

impl ComputePool {
    /// A pool of `threads` threads (0: one per core).
    pub fn new(threads: usize) -> Arc<ComputePool> {
        let threads = if threads == 0 { std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2) } else { threads };
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(|i| format!("ferroflow-compute-{i}"))
            .build()
            .expect("the compute pool's threads start");
        Arc::new(ComputePool { pool })
    }

    pub fn spawn(&self, f: impl FnOnce() + Send + 'static) {
        self.pool.spawn(f);
    }

    pub fn num_threads(&self) -> usize {
        self.pool.current_num_threads()
    }
}
