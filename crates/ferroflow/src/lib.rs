//! The ferroflow command's library: everything the `ferroflow` binary does, so tests and benchmarks
//! can do it too.
//!
//! - [`config`]: the cluster and task a process serves (flags or `TF_CONFIG`), and its transport.
//! - [`server`]: `TaskServer`, a running task and its lifecycle.
//! - [`bench`]: side-by-side benchmarks against stock TensorFlow workers.
//! - [`local`]: `LocalCluster`, every task of a cluster in one process.
//! - [`logging`]: the process's log output (text, coloured only on a terminal, or JSON lines).
//!
//! The binary (`main.rs`) only parses arguments, sets up logging and signals, and calls in here.

pub mod bench;
pub mod config;
pub mod local;
pub mod logging;
pub mod server;

pub use config::{TaskConfig, TransportConfig};
pub use local::LocalCluster;
pub use server::TaskServer;
