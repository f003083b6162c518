//! TensorFlow's file formats, byte-compatible with TF 2.21 both ways: what checkpoint, summary and
//! input-pipeline kernels read and write. No kernels here, only formats over files and buffers.
//!
//! - [`crc`]: CRC-32C and TF's masked form of it, as every format here checksums its records.
//!
//! Everything here works on the caller's thread with the caller's files; nothing is shared
//! between threads unless a type says so.

pub mod crc;
pub mod record;
pub mod summary;
pub mod events;
