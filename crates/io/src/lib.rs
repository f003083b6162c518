//! TensorFlow's file formats, byte-compatible with TF 2.21 both ways: what checkpoint, summary and
//! input-pipeline kernels read and write. No kernels here, only formats over files and buffers.
//!
//! - [`crc`]: CRC-32C and TF's masked form of it, as every format here checksums its records.
//! - [`table`]: leveldb-format SSTables (a checkpoint's `.index`).
//! - [`bundle`]: tensor bundles (TF's V2 checkpoints): writer, reader with slices, merge.
//! - [`record`]: TFRecord files (plain, GZIP, ZLIB), text lines and fixed-length records.
//! - [`events`]: event files and TF's v2 summary writer.
//! - [`summary`]: `Summary` protos as TF's summary kernels build them (scalars, histograms,
//!   images, audio, tensors).
//!
//! Everything here works on the caller's thread with the caller's files; nothing is shared
//! between threads unless a type says so.

pub mod crc;
pub mod table;
pub mod bundle;
pub mod record;
pub mod summary;
pub mod events;
