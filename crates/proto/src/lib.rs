//! TensorFlow 2.21 wire types for ferroflow: the protobuf messages of the worker and master protocols
//! and the tonic stubs of `tensorflow.WorkerService` and `tensorflow.MasterService`.
//!
//! This crate owns the protos and nothing else; domain types live in `ferroflow-framework`. The
//! messages are plain data (`Send + Sync`), with no shared state.

#![allow(clippy::large_enum_variant, clippy::doc_lazy_continuation)]

/// Messages of package `tensorflow` (and the `tensorflow.error` code enum).
pub mod tensorflow {
    include!(concat!(env!("OUT_DIR"), "/tensorflow.rs"));

    /// TensorFlow's canonical error codes.
    pub mod error {
        include!(concat!(env!("OUT_DIR"), "/tensorflow.error.rs"));
    }
}

pub use tensorflow::*;

/// The encoded `FileDescriptorSet` of every `.proto` file this crate declares.
pub const FILE_DESCRIPTOR_SET: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/ferroflow_descriptor.bin"));

/// Largest message ferroflow sends or accepts: what gRPC's 4-byte length prefix can describe
/// (4 GiB - 1), so tensors of 2 GiB and more, with their envelope, fit.
pub const MAX_MESSAGE_SIZE: usize = u32::MAX as usize;
