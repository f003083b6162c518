//! ferroflow's local runtime: what runs a graph inside one task.
//!
//! - [`device`]: the task's devices and their incarnations.
//! - [`graph`]: a `GraphDef` validated and turned into executable nodes with built kernels.
//! - [`executor`]: the dataflow executor of one step, with frames and iterations.
//! - [`function`]: runs a graph's library functions for kernels that call them.
//! - [`lower`]: functional ops (`If`, `While`, `Case`, calls) rewritten into the executor's primitives.
//! - [`rendezvous`]: the in-process per-step rendezvous.
//! - [`compute_pool`]: the threads kernels run on, apart from the I/O runtime.
//!
//! Graphs are immutable and shared by `Arc`; per-step state lives only as long as its step.

pub mod compute_pool;
pub mod device;
pub mod executor;
pub mod function;
pub mod graph;
pub mod lower;
pub mod rendezvous;

pub use compute_pool::ComputePool;
pub use device::{DeviceMgr, LocalDevice};
pub use executor::{Executor, ExecutorEnv, RunOptions};
pub use graph::Graph;
pub use rendezvous::LocalRendezvous;
