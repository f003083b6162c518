//! Sorted string tables in the leveldb format TF uses for a tensor bundle's `.index` file (TF's
//! `tsl/lib/io/table*.cc`, `block*.cc`, `format.cc`): data blocks of prefix-compressed entries with
//! restart points, an (empty) metaindex block, an index block and a 48-byte footer, each block
//! followed by its compression type and a masked CRC-32C. Writing gives TF's bytes; reading checks
//! every checksum and bound and accepts snappy-compressed blocks.
//!
//! Concurrency: a `TableBuilder` is used from one thread; a `Table` is immutable and `Send + Sync`.

pub mod block;
pub mod builder;
pub mod format;
pub mod reader;

pub use builder::{TableBuilder, TableOptions};
pub use format::Compression;
pub use reader::{Table, TableIter};
