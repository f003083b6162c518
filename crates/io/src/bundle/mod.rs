//! TensorFlow's V2 checkpoints ("tensor bundles"), byte-compatible with TF 2.21 both ways:
//! `PREFIX.index`, a [`table`](crate::table) whose first entry (key `""`) is a `BundleHeaderProto`
//! and whose other entries map tensor names (and encoded slice names) to `BundleEntryProto`s, and
//! `PREFIX.data-SSSSS-of-NNNNN` files with the tensors' bytes.
//!
//! - [`writer`]: [`BundleWriter`] writes under temporary names and renames into place.
//! - [`reader`]: [`BundleReader`] looks tensors and slices up, assembling slices from stored ones.
//! - [`merge`]: [`merge_bundles`] joins per-shard bundles into one, as `MergeV2Checkpoints` does.
//! - [`ops`]: what the `SaveV2`, `RestoreV2` and `MergeV2Checkpoints` kernels call.
//! - [`slice`], [`naming`]: TF's slice strings and the bundle's file and key names.
//!
//! Concurrency: a `BundleWriter` belongs to one thread; a `BundleReader` is `Send + Sync` and may
//! serve lookups from several threads (it opens each data file once, under a lock). Files are read
//! and written on the caller's thread.

pub mod data;
pub mod merge;
pub mod naming;
pub mod ops;
pub mod reader;
pub mod slice;
pub mod slice_set;
pub mod writer;

pub use merge::merge_bundles;
pub use naming::{data_filename, meta_filename, sharded_filename, sharded_filespec};
pub use ops::{merge_v2, restore_v2, save_v2};
pub use reader::BundleReader;
pub use slice::{ShapeAndSlice, TensorSlice, parse_shape_and_slice};
pub use writer::{BundleWriter, BundleWriterOptions};

use ferroflow_framework::{Code, Error, Result, TensorShape};
use ferroflow_proto::{DataType as ProtoDataType, TensorShapeProto, VersionDef};
use std::path::Path;

/// The bundle format version ferroflow writes and reads (TF's `kTensorBundleVersion`).
pub const BUNDLE_VERSION: i32 = 1;
/// The oldest producer version readers accept (TF's `kTensorBundleMinProducer`).
pub const BUNDLE_MIN_PRODUCER: i32 = 0;
/// The oldest reader version writers ask for (TF's `kTensorBundleMinConsumer`).
pub const BUNDLE_MIN_CONSUMER: i32 = 0;

/// A file-system error as TF reports it: `PATH; strerror`, with the matching code.
pub(crate) fn io_error(path: &Path, e: &std::io::Error) -> Error {
    use std::io::ErrorKind::*;
    let code = match e.kind() {
        NotFound => Code::NotFound,
        PermissionDenied => Code::PermissionDenied,
        AlreadyExists => Code::AlreadyExists,
        StorageFull | QuotaExceeded | FileTooLarge => Code::ResourceExhausted,
        IsADirectory | NotADirectory | DirectoryNotEmpty => Code::FailedPrecondition,
        InvalidInput | InvalidFilename => Code::InvalidArgument,
        UnexpectedEof => Code::OutOfRange,
        _ => Code::Unknown,
    };
    let text = e.to_string();
    let text = match text.rfind(" (os error ") {
        Some(i) => &text[..i],
        None => &text,
    };
    Error::new(code, format!("{}; {text}", path.display()))
}

/// TF's `DataTypeString` of a stored dtype number, including the ones ferroflow cannot hold.
pub(crate) fn dtype_name(n: i32) -> String {
    match ProtoDataType::try_from(n) {
        Ok(d) => d.as_str_name().trim_start_matches("DT_").to_ascii_lowercase(),
        Err(_) => format!("unknown dtype enum ({n})"),
    }
}

/// TF's `ShortDebugString` of a shape message, as in its "Invalid tensor shape" errors.
fn shape_debug_string(p: &TensorShapeProto) -> String {
    let mut parts: Vec<String> = p
        .dim
        .iter()
        .map(|d| if d.name.is_empty() { format!("dim {{ size: {} }}", d.size) } else { format!("dim {{ size: {} name: {:?} }}", d.size, d.name) })
        .collect();
    if p.unknown_rank {
        parts.push("unknown_rank: true".into());
    }
    parts.join(" ")
}

/// The stored shape of entry `key`, refused as TF's `TensorShape::IsValid` refuses it: more than
/// 254 dimensions, a negative dimension, or more elements than an int64 counts.
pub(crate) fn stored_shape(key: &str, p: Option<&TensorShapeProto>) -> Result<TensorShape> {
    let default = TensorShapeProto::default();
    let p = p.unwrap_or(&default);
    let mut elements: i64 = 1;
    let valid = p.dim.len() <= 254
        && p.dim.iter().all(|d| {
            elements = if d.size < 0 { -1 } else { elements.checked_mul(d.size).unwrap_or(-1) };
            elements >= 0
        });
    if !valid {
        return Err(Error::data_loss(format!("Invalid tensor shape: {key} {}", shape_debug_string(p))));
    }
    Ok(TensorShape::new(p.dim.iter().map(|d| d.size).collect::<Vec<_>>()))
}

/// TF's `CheckVersions` for a bundle header's version.
pub(crate) fn check_versions(v: &VersionDef) -> Result<()> {
    const TF_VERSION: &str = "2.21.0";
    if v.producer < BUNDLE_MIN_PRODUCER {
        return Err(Error::invalid_argument(format!(
            "Checkpoint producer version {} below min producer {BUNDLE_MIN_PRODUCER} supported by TensorFlow {TF_VERSION}.  Please regenerate your checkpoint.",
            v.producer
        )));
    }
    if v.min_consumer > BUNDLE_VERSION {
        return Err(Error::invalid_argument(format!(
            "Checkpoint min consumer version {} above current version {BUNDLE_VERSION} for TensorFlow {TF_VERSION}.  Please upgrade TensorFlow.",
            v.min_consumer
        )));
    }
    if v.bad_consumers.contains(&BUNDLE_VERSION) {
        return Err(Error::invalid_argument(format!(
            "Checkpoint disallows consumer version {BUNDLE_VERSION}.  Please upgrade TensorFlow: this version is likely buggy."
        )));
    }
    Ok(())
}

/// TF's `CorruptFileError`: a problem with an index file, with what was being read.
pub(crate) fn corrupt_file_error(cause: Option<Error>, filename: &str, detail: &str) -> Error {
    let head = format!(
        "Unable to read file ({filename}). Perhaps the file is corrupt or was produced by a newer version of TensorFlow with format changes ({detail})"
    );
    match cause {
        Some(e) => Error::new(e.code, format!("{head}: {}", e.message)),
        None => Error::internal(head),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferroflow_proto::tensor_shape_proto::Dim;

    #[test]
    fn helpers_speak_tensorflows_words() {
        let e = io_error(Path::new("/x/y"), &std::io::Error::from_raw_os_error(2));
        assert_eq!((e.code, e.message.as_str()), (Code::NotFound, "/x/y; No such file or directory"));
        assert_eq!(dtype_name(1), "float");
        assert_eq!(dtype_name(19), "half");
        assert_eq!(dtype_name(101), "float_ref");
        let dims = |v: &[i64]| TensorShapeProto { dim: v.iter().map(|&size| Dim { size, name: String::new() }).collect(), unknown_rank: false };
        assert_eq!(stored_shape("k", Some(&dims(&[2, 3]))).unwrap().dims(), &[2, 3]);
        assert_eq!(stored_shape("k", None).unwrap().rank(), 0);
        let e = stored_shape("k", Some(&dims(&[2, -1]))).unwrap_err();
        assert_eq!((e.code, e.message.as_str()), (Code::DataLoss, "Invalid tensor shape: k dim { size: 2 } dim { size: -1 }"));
        assert!(stored_shape("k", Some(&dims(&[1 << 40, 1 << 40]))).is_err());
        let v = VersionDef { producer: 1, min_consumer: 2, bad_consumers: vec![] };
        assert!(check_versions(&v).unwrap_err().message.starts_with("Checkpoint min consumer version 2 above current version 1"));
        assert!(check_versions(&VersionDef { producer: 1, min_consumer: 0, bad_consumers: vec![1] }).is_err());
        assert!(check_versions(&VersionDef::default()).is_ok());
    }
}

#[cfg(test)]
mod bundle_tests;
