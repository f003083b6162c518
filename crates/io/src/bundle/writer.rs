//! Writing a tensor bundle as TF's `BundleWriter` does, byte for byte: tensors go to the data
//! file in the order they are added, entries to the index in key order, both first under
//! `.tempstate<random>` names that are renamed into place (data first, index last) once complete,
//! so a crash never leaves a half-written checkpoint under the real names.
//!
//! Concurrency: a writer belongs to one thread. An error sticks: later calls return it, `finish`
//! removes the temporary files, and so does dropping an unfinished writer.

use super::data::write_tensor;
use super::naming::{data_filename, encode_tensor_name_slice, meta_filename};
use super::slice::TensorSlice;
use super::{BUNDLE_MIN_CONSUMER, BUNDLE_VERSION, io_error};
use crate::table::{TableBuilder, TableOptions};
use ferroflow_framework::{DType, Error, Result, Tensor, TensorShape};
use ferroflow_proto::bundle_header_proto::Endianness;
use ferroflow_proto::{BundleEntryProto, BundleHeaderProto, VersionDef};
use prost::Message;
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// How a writer lays out the data file.
#[derive(Debug, Clone, Copy)]
pub struct BundleWriterOptions {
    /// Each tensor's bytes start at a multiple of this (TF's default, 1, packs them).
    pub data_alignment: u64,
}

impl Default for BundleWriterOptions {
    fn default() -> BundleWriterOptions {
        BundleWriterOptions { data_alignment: 1 }
    }
}

/// The header every bundle ferroflow writes carries.
pub(crate) fn bundle_header(num_shards: i32) -> BundleHeaderProto {
    let endianness = if cfg!(target_endian = "big") { Endianness::Big } else { Endianness::Little };
    BundleHeaderProto {
        num_shards,
        endianness: endianness as i32,
        version: Some(VersionDef { producer: BUNDLE_VERSION, min_consumer: BUNDLE_MIN_CONSUMER, bad_consumers: vec![] }),
    }
}

/// Writes the index table (header, then entries in key order) to `path` and syncs it.
pub(crate) fn write_index<'a>(
    path: &Path,
    header: &BundleHeaderProto,
    entries: impl Iterator<Item = (&'a Vec<u8>, &'a BundleEntryProto)>,
) -> Result<()> {
    let mut builder = TableBuilder::new(Vec::new(), TableOptions::default());
    builder.add(b"", &header.encode_to_vec())?;
    for (key, entry) in entries {
        builder.add(key, &entry.encode_to_vec())?;
    }
    let bytes = builder.finish()?;
    let mut file = File::create(path).map_err(|e| io_error(path, &e))?;
    file.write_all(&bytes).and_then(|_| file.sync_all()).map_err(|e| io_error(path, &e))
}

/// Renames `from` to `to`, with TF's error text.
pub(crate) fn rename(from: &Path, to: &Path) -> Result<()> {
    std::fs::rename(from, to).map_err(|e| io_error(from, &e))
}

/// Creates the directory a prefix lives in (one level, as TF does), if it is missing.
pub(crate) fn create_parent_dir(prefix: &str) -> Result<()> {
    let Some(dir) = Path::new(prefix).parent().filter(|d| !d.as_os_str().is_empty()) else {
        return Ok(());
    };
    match std::fs::create_dir(dir) {
        Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => Err(io_error(dir, &e)),
        _ => Ok(()),
    }
}

/// A bundle being written.
pub struct BundleWriter {
    prefix: String,
    options: BundleWriterOptions,
    data_tmp: PathBuf,
    index_tmp: PathBuf,
    out: Option<BufWriter<File>>,
    /// Bytes of the data file so far, padding included.
    size: u64,
    entries: BTreeMap<Vec<u8>, BundleEntryProto>,
    failed: Option<Error>,
}

impl BundleWriter {
    /// Starts a bundle at `prefix`, creating its directory if needed.
    pub fn new(prefix: &str) -> Result<BundleWriter> {
        BundleWriter::with_options(prefix, BundleWriterOptions::default())
    }

    pub fn with_options(prefix: &str, options: BundleWriterOptions) -> Result<BundleWriter> {
        let data_tmp = PathBuf::from(format!("{}.tempstate{}", data_filename(prefix, 0, 1), rand::random::<u64>()));
        let index_tmp = PathBuf::from(format!("{}.tempstate{}", meta_filename(prefix), rand::random::<u64>()));
        create_parent_dir(prefix)?;
        let file = File::create(&data_tmp).map_err(|e| io_error(&data_tmp, &e))?;
        Ok(BundleWriter {
            prefix: prefix.to_string(),
            options: BundleWriterOptions { data_alignment: options.data_alignment.max(1) },
            data_tmp,
            index_tmp,
            out: Some(BufWriter::with_capacity(1 << 20, file)),
            size: 0,
            entries: BTreeMap::new(),
            failed: None,
        })
    }

    fn check(&self) -> Result<()> {
        match &self.failed {
            Some(e) => Err(e.clone()),
            None => Ok(()),
        }
    }

    fn fail(&mut self, e: Error) -> Error {
        self.failed = Some(e.clone());
        e
    }

    /// Adds the whole tensor `t` under `name`.
    pub fn add(&mut self, name: &str, t: &Tensor) -> Result<()> {
        self.check()?;
        if name.is_empty() {
            return Err(self.fail(Error::invalid_argument("The empty tensor name is reserved for the bundle header")));
        }
        self.add_entry(name.as_bytes().to_vec(), t)
    }

    fn add_entry(&mut self, key: Vec<u8>, t: &Tensor) -> Result<()> {
        if !can_save(t.dtype()) {
            return Err(self.fail(Error::invalid_argument(format!(
                "{} cannot be saved: checkpoints do not hold {} tensors",
                String::from_utf8_lossy(&key),
                t.dtype()
            ))));
        }
        if self.entries.contains_key(&key) {
            let e = Error::invalid_argument(format!("Adding duplicate key: {}", String::from_utf8_lossy(&key)));
            return Err(self.fail(e));
        }
        let Some(out) = self.out.as_mut() else {
            return Err(self.fail(Error::internal("BundleWriter is closed")));
        };
        let (written, crc) = match write_tensor(t, out) {
            Ok(r) => r,
            Err(e) => return Err(self.fail(io_error(&self.data_tmp, &e))),
        };
        let entry = BundleEntryProto {
            dtype: t.dtype().to_proto(),
            shape: Some(t.shape().to_proto()),
            shard_id: 0,
            offset: self.size as i64,
            size: written as i64,
            crc32c: crate::crc::mask(crc),
            slices: vec![],
        };
        self.entries.insert(key, entry);
        self.size += written;
        let over = self.size % self.options.data_alignment;
        if over != 0 {
            let pad = vec![0u8; (self.options.data_alignment - over) as usize];
            if let Err(e) = out.write_all(&pad) {
                return Err(self.fail(io_error(&self.data_tmp, &e)));
            }
            self.size += pad.len() as u64;
        }
        Ok(())
    }

    /// Adds `t` as slice `slice` of the tensor `name` of shape `full_shape`. A slice covering the
    /// whole shape is stored as the whole tensor, as TF stores it.
    pub fn add_slice(&mut self, name: &str, full_shape: &TensorShape, slice: &TensorSlice, t: &Tensor) -> Result<()> {
        self.check()?;
        if slice.covers(full_shape) {
            return self.add(name, t);
        }
        if name.is_empty() {
            return Err(self.fail(Error::invalid_argument("The empty tensor name is reserved for the bundle header")));
        }
        let slice_shape = slice.slice_shape(full_shape).map_err(|e| self.fail(e))?;
        if &slice_shape != t.shape() {
            return Err(self.fail(Error::invalid_argument(format!(
                "Slice {slice} of a tensor of shape {full_shape} has shape {slice_shape}, but the tensor given for it has shape {}",
                t.shape()
            ))));
        }
        let full_entry = self.entries.entry(name.as_bytes().to_vec()).or_default();
        let conflict = if full_entry.dtype != 0 && full_entry.slices.is_empty() {
            Some(format!("Adding duplicate key: {name}"))
        } else if full_entry.dtype != 0 && full_entry.dtype != t.dtype().to_proto() {
            Some(format!("Slices of {name} must all be {}, not {}", super::dtype_name(full_entry.dtype), t.dtype()))
        } else if full_entry.shape.as_ref().is_some_and(|s| *s != full_shape.to_proto()) {
            Some(format!("Slices of {name} must all be of a tensor of shape {full_shape}"))
        } else {
            None
        };
        if let Some(message) = conflict {
            return Err(self.fail(Error::invalid_argument(message)));
        }
        full_entry.dtype = t.dtype().to_proto();
        full_entry.shape = Some(full_shape.to_proto());
        full_entry.slices.push(slice.to_proto());
        self.add_entry(encode_tensor_name_slice(name, slice), t)
    }

    /// Completes the bundle: the data file is flushed, synced and renamed into place, then the
    /// index is written and renamed into place.
    pub fn finish(mut self) -> Result<()> {
        self.check()?;
        let result = self.write_out();
        if let Err(e) = &result {
            self.failed = Some(e.clone());
        }
        result
    }

    fn write_out(&mut self) -> Result<()> {
        let out = self.out.take().ok_or_else(|| Error::internal("BundleWriter is closed"))?;
        let file = out.into_inner().map_err(|e| io_error(&self.data_tmp, e.error()))?;
        file.sync_all().map_err(|e| io_error(&self.data_tmp, &e))?;
        drop(file);
        rename(&self.data_tmp, Path::new(&data_filename(&self.prefix, 0, 1)))?;
        write_index(&self.index_tmp, &bundle_header(1), self.entries.iter())?;
        rename(&self.index_tmp, Path::new(&meta_filename(&self.prefix)))
    }
}

impl Drop for BundleWriter {
    fn drop(&mut self) {
        // After a successful finish the temporary names no longer exist; otherwise clean up.
        self.out = None;
        let _ = std::fs::remove_file(&self.data_tmp);
        let _ = std::fs::remove_file(&self.index_tmp);
    }
}

/// Whether `dtype` can be stored in a bundle.
pub fn can_save(dtype: DType) -> bool {
    dtype != DType::Resource
}
