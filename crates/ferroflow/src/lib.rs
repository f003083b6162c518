//! The ferroflow command's library: everything the `ferroflow` binary does, so tests and benchmarks
//! can do it too.
//!
//! - [`config`]: the cluster and task a process serves (flags or `TF_CONFIG`).
//! - [`server`]: `TaskServer`, a running task and its lifecycle.
//! - [`bench`]: side-by-side benchmarks against stock TensorFlow workers.
//! - [`local`]: `LocalCluster`, every task of a cluster in one process.
//!
//! The binary (`main.rs`) only parses arguments, sets up logging and signals, and calls in here.

pub mod bench;
pub mod config;
pub mod local;
pub mod server;

pub use config::TaskConfig;
pub use local::LocalCluster;
pub use server::TaskServer;
