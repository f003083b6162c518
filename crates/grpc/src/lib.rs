//! Thin gRPC adapters between ferroflow's distributed runtime and TF's wire protocol.
//!
//! - [`server`]: `tensorflow.WorkerService` served from a `WorkerInterface`.
//! - [`master_server`]: `tensorflow.MasterService` served from a `MasterInterface`.
//! - [`client`]: a remote worker as a `WorkerInterface`, and the client factory of the worker cache.
//! - [`channel`]: the one HTTP/2 connection to each peer that client calls share.
//! - [`transport`]: message limits, HTTP/2 settings and liveness PINGs shared by both sides.
//! - [`tls`]: TLS with mutual authentication between ferroflow tasks.
//! - [`bulk`]: the tensor-carrying calls (`RecvTensor`, `RunGraph`, `RunStep`, `RunCallable`) served
//!   and called below tonic's codec, built on [`chunked`] (replies that share tensor buffers) and
//!   [`receive`] (one aligned buffer per received message, from `recv_buffer`).
//!
//! Handlers hold no logic: decode, call, encode.

pub mod bulk;
pub mod channel;
pub mod chunked;
pub mod client;
pub mod master_server;
pub mod receive;
mod recv_buffer;
pub mod server;
pub mod tls;
pub mod transport;

pub use channel::{ChannelOptions, PeerChannel};
pub use client::{GrpcClientFactory, GrpcWorker};
pub use master_server::MasterServiceAdapter;
pub use server::WorkerServiceAdapter;
