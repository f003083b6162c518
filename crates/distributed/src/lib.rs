//! ferroflow's distributed runtime: a worker task's logic, independent of the transport.
//!
//! - [`cluster`]: the cluster definition.
//! - [`interface`]: `WorkerInterface`, the worker service as async methods (local or remote).
//! - [`env`]: `WorkerEnv`, the worker's explicit environment.
//! - [`worker`]: `Worker`, the logic behind each WorkerService call.
//! - [`session_mgr`], [`graph_mgr`]: worker sessions and their registered graphs.
//! - [`rendezvous_mgr`]: per-step rendezvous, local and remote.
//! - [`worker_cache`]: task name -> worker client, device localities.
//! - [`request_ids`], [`step_log`]: retried-request detection and the `Logging` step-stats log.
//!
//! Everything is `Send + Sync` and shared by `Arc`; locks are never held across an await.

pub mod cluster;
pub mod env;
pub mod graph_mgr;
pub mod interface;
pub mod master;
pub mod rendezvous_mgr;
pub mod request_ids;
pub mod session_mgr;
pub mod step_log;
pub mod worker;
pub mod worker_cache;

pub use cluster::ClusterSpec;
pub use env::{WorkerEnv, WorkerEnvOptions};
pub use interface::{RecvTensorReply, WorkerInterface};
pub use worker::Worker;
pub use worker_cache::{WorkerCache, WorkerClientFactory};
