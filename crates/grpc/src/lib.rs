//! Thin gRPC adapters between ferroflow's distributed runtime and TF's wire protocol.
//!
//! - [`server`]: `tensorflow.WorkerService` served from a `WorkerInterface`.
//! - [`client`]: a remote worker as a `WorkerInterface`, and the client factory of the worker cache.
//! - [`transport`]: message limits and HTTP/2 settings shared by both sides.
//!
//! Handlers hold no logic: decode, call, encode.

pub mod client;
pub mod server;
pub mod transport;

pub use client::{GrpcClientFactory, GrpcWorker};
pub use server::WorkerServiceAdapter;
