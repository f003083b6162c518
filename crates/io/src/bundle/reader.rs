//! Reading a tensor bundle as TF's `BundleReader` does, with TF's errors. Opening reads and checks
//! the whole index (every block checksum, the header, key order); each lookup then checks the
//! entry's shape and size against its data file before allocating, reads the bytes and verifies
//! their CRC before handing back a tensor. Nothing partial is ever returned.
//!
//! Concurrency: `BundleReader` is `Send + Sync`; data files are opened once each, under a mutex.

use super::data::{Stored, read_tensor};
use super::naming::{data_filename, encode_tensor_name_slice, meta_filename};
use super::slice::{TensorSlice, copy_slice_data};
use super::slice_set::SliceSet;
use super::{check_versions, corrupt_file_error, dtype_name, io_error, stored_shape};
use crate::table::Table;
use bytes::Bytes;
use ferroflow_framework::{DType, Error, Result, Tensor, TensorShape};
use ferroflow_proto::bundle_header_proto::Endianness;
use ferroflow_proto::{BundleEntryProto, BundleHeaderProto};
use prost::Message;
use std::collections::HashMap;
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::{Arc, Mutex};

/// An opened data file and its length.
struct DataFile {
    file: File,
    len: u64,
}

/// An opened tensor bundle.
pub struct BundleReader {
    prefix: String,
    num_shards: i32,
    big_endian: bool,
    entries: Entries,
    data_files: Mutex<HashMap<i32, Arc<DataFile>>>,
}

/// The dtypes TF's slice assembly copies (its `GetSliceValue` list, less those ferroflow lacks).
fn slice_copy_supported(dtype: DType) -> bool {
    use DType::*;
    matches!(dtype, Float | Double | Int32 | UInt8 | Int16 | Int8 | Int64 | Bool)
}

fn lossy(key: &[u8]) -> String {
    String::from_utf8_lossy(key).into_owned()
}

/// An index's entries after the header, in key order: key, serialized `BundleEntryProto`.
pub(crate) type Entries = Vec<(Vec<u8>, Bytes)>;

/// The bytes of the index file, or TF's NOT_FOUND for a missing checkpoint.
fn read_index(prefix: &str) -> Result<Bytes> {
    let path = meta_filename(prefix);
    match std::fs::read(&path) {
        Ok(bytes) => Ok(Bytes::from(bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(Error::not_found(format!(
            "Unsuccessful TensorSliceReader constructor: Failed to find any matching files for {prefix}"
        ))),
        Err(e) => Err(io_error(Path::new(&path), &e)),
    }
}

/// The index's header and other entries, checked: every block read, keys strictly increasing.
pub(crate) fn read_entries(table: &Table, filename: &str) -> Result<(BundleHeaderProto, Entries)> {
    let mut iter = table.iter();
    let header = match iter.next() {
        None => return Err(corrupt_file_error(None, filename, "failed to seek to header entry")),
        Some(Err(e)) => return Err(corrupt_file_error(Some(e), filename, "failed to seek to header entry")),
        Some(Ok((key, _))) if !key.is_empty() => {
            return Err(corrupt_file_error(None, filename, "failed to seek to header entry"));
        }
        Some(Ok((_, value))) => BundleHeaderProto::decode(value).map_err(|_| {
            corrupt_file_error(Some(Error::data_loss("Entry for key  not parseable.")), filename, "unable to parse header")
        })?,
    };
    let mut entries: Entries = Vec::new();
    for entry in iter {
        let (key, value) = entry.map_err(|e| corrupt_file_error(Some(e), filename, "failed to read the entries"))?;
        if entries.last().is_some_and(|(last, _)| *last >= key) {
            let e = Error::data_loss(format!("key {:?} out of order", lossy(&key)));
            return Err(corrupt_file_error(Some(e), filename, "failed to read the entries"));
        }
        entries.push((key, value));
    }
    Ok((header, entries))
}

impl BundleReader {
    /// Opens the bundle at `prefix` (the path of its files without `.index`).
    pub fn open(prefix: &str) -> Result<BundleReader> {
        let filename = meta_filename(prefix);
        let table = Table::open(read_index(prefix)?)?;
        let (header, entries) = read_entries(&table, &filename)?;
        check_versions(&header.version.unwrap_or_default())?;
        let big_endian = header.endianness == Endianness::Big as i32;
        Ok(BundleReader {
            prefix: prefix.to_string(),
            num_shards: header.num_shards,
            big_endian,
            entries,
            data_files: Mutex::new(HashMap::new()),
        })
    }

    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    pub fn num_shards(&self) -> i32 {
        self.num_shards
    }

    /// Whether the index has an entry for `key` (a tensor name or an encoded slice name).
    pub fn contains(&self, key: &[u8]) -> bool {
        self.entries.binary_search_by(|(k, _)| k.as_slice().cmp(key)).is_ok()
    }

    /// Every key of the index but the header's, in order (encoded slice names included).
    pub fn keys(&self) -> impl Iterator<Item = &[u8]> {
        self.entries.iter().map(|(k, _)| k.as_slice())
    }

    /// Names of the stored tensors (full or partitioned), in key order; slice entries are left out.
    pub fn tensor_names(&self) -> Vec<String> {
        self.entries.iter().filter(|(k, _)| k.first() != Some(&0)).map(|(k, _)| lossy(k)).collect()
    }

    /// The entry stored under `key`, parsed and with a valid shape.
    pub fn entry(&self, key: &[u8]) -> Result<BundleEntryProto> {
        let i = self
            .entries
            .binary_search_by(|(k, _)| k.as_slice().cmp(key))
            .map_err(|_| Error::not_found(format!("Key {} not found in checkpoint", lossy(key))))?;
        let entry = BundleEntryProto::decode(self.entries[i].1.clone())
            .map_err(|_| Error::data_loss(format!("Entry for key {} not parseable.", lossy(key))))?;
        stored_shape(&lossy(key), entry.shape.as_ref())?;
        Ok(entry)
    }

    /// The dtype and full shape of tensor `name`.
    pub fn dtype_and_shape(&self, name: &str) -> Result<(DType, TensorShape)> {
        let entry = self.entry(name.as_bytes())?;
        Ok((DType::from_proto(entry.dtype)?, stored_shape(name, entry.shape.as_ref())?))
    }

    /// The stored dtype number and full shape of tensor `name` (dtypes ferroflow lacks included).
    pub(crate) fn raw_dtype_and_shape(&self, name: &str) -> Result<(i32, TensorShape, (i32, i64))> {
        let entry = self.entry(name.as_bytes())?;
        Ok((entry.dtype, stored_shape(name, entry.shape.as_ref())?, (entry.shard_id, entry.offset)))
    }

    /// The slices a partitioned tensor is stored as (empty for a tensor stored whole).
    pub fn stored_slices(&self, name: &str) -> Result<Vec<TensorSlice>> {
        let entry = self.entry(name.as_bytes())?;
        entry.slices.iter().map(|s| TensorSlice::from_proto(s).map_err(|e| Error::data_loss(e.message))).collect()
    }

    /// The whole of tensor `name`, assembled from its slices if it is partitioned.
    pub fn lookup(&self, name: &str) -> Result<Tensor> {
        let entry = self.entry(name.as_bytes())?;
        if entry.slices.is_empty() {
            return self.read_value(name, &entry);
        }
        let rank = stored_shape(name, entry.shape.as_ref())?.rank();
        self.read_slice(name, &entry, &TensorSlice::full(rank))
    }

    /// Slice `slice` of tensor `name`, from whichever stored slices cover it.
    pub fn lookup_slice(&self, name: &str, slice: &TensorSlice) -> Result<Tensor> {
        let entry = self.entry(name.as_bytes())?;
        self.read_slice(name, &entry, slice)
    }

    fn data_file(&self, shard: i32) -> Result<Arc<DataFile>> {
        if shard < 0 || shard >= self.num_shards {
            return Err(Error::data_loss(format!(
                "TensorBundle at {}: an entry names shard {shard} of {} shards",
                self.prefix, self.num_shards
            )));
        }
        let mut files = self.data_files.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(f) = files.get(&shard) {
            return Ok(f.clone());
        }
        let path = data_filename(&self.prefix, shard, self.num_shards);
        let open = File::open(&path).and_then(|file| Ok(DataFile { len: file.metadata()?.len(), file }));
        let f = Arc::new(open.map_err(|e| io_error(Path::new(&path), &e))?);
        files.insert(shard, f.clone());
        Ok(f)
    }

    /// Reads and verifies the tensor an entry points at (not a partitioned tensor's entry).
    fn read_value(&self, key: &str, entry: &BundleEntryProto) -> Result<Tensor> {
        let dtype = DType::from_proto(entry.dtype)?;
        if dtype == DType::Resource {
            return Err(Error::unimplemented(format!("Key {key} holds a resource tensor, which checkpoints cannot hold")));
        }
        let shape = stored_shape(key, entry.shape.as_ref())?;
        let n = shape.num_elements() as u64;
        let size = u64::try_from(entry.size).unwrap_or(u64::MAX);
        match dtype.size() {
            Some(width) => {
                let expected = n.saturating_mul(width as u64);
                if size != expected {
                    return Err(Error::data_loss(format!(
                        "Invalid size in bundle entry: key {key}; stored size {}; expected size {expected}",
                        entry.size
                    )));
                }
            }
            None if size < n => {
                return Err(Error::data_loss(format!(
                    "Invalid size in bundle entry: key {key}; stored size {}; expected size is at least {n}",
                    entry.size
                )));
            }
            None => {}
        }
        let file = self.data_file(entry.shard_id)?;
        let offset = u64::try_from(entry.offset)
            .map_err(|_| Error::data_loss(format!("Invalid offset in bundle entry: key {key}; offset {}", entry.offset)))?;
        if offset.checked_add(size).is_none_or(|end| end > file.len) {
            return Err(Error::out_of_range("Read less bytes than requested"));
        }
        let mut region = Vec::new();
        region
            .try_reserve_exact(size as usize)
            .map_err(|_| Error::resource_exhausted(format!("Cannot allocate {size} bytes for {key}")))?;
        region.resize(size as usize, 0);
        file.file.read_exact_at(&mut region, offset).map_err(|e| match e.kind() {
            std::io::ErrorKind::UnexpectedEof => Error::out_of_range("Read less bytes than requested"),
            _ => io_error(Path::new(&data_filename(&self.prefix, entry.shard_id, self.num_shards)), &e),
        })?;
        let (tensor, crc) = read_tensor(dtype, shape, region, &Stored { offset, big_endian: self.big_endian })?;
        let stored = crate::crc::unmask(entry.crc32c);
        if stored != crc {
            return Err(Error::data_loss(format!(
                "TensorBundle at {} shard {} ({} bytes): Checksum does not match: stored {stored:08} vs. calculated on the restored bytes {crc}",
                self.prefix, entry.shard_id, entry.size
            )));
        }
        Ok(tensor)
    }

    /// TF's `GetSliceValue`: serves `wanted` from the stored slices of `full` (or from the whole
    /// tensor when it is stored unpartitioned), copying overlaps where no stored slice matches.
    fn read_slice(&self, name: &str, full: &BundleEntryProto, wanted: &TensorSlice) -> Result<Tensor> {
        let full_shape = stored_shape(name, full.shape.as_ref())?;
        let mut set = SliceSet::new(full_shape.clone());
        if full.slices.is_empty() {
            set.register(TensorSlice::full(full_shape.rank()))?;
        }
        for s in &full.slices {
            set.register(TensorSlice::from_proto(s).map_err(|e| Error::data_loss(e.message))?)?;
        }
        let Some(parts) = set.query(wanted) else {
            return Err(Error::invalid_argument(format!(
                "Does not have sufficient slices for partitioned tensor {name} to restore in slice_spec: {wanted}"
            )));
        };
        let target = wanted.slice_shape(&full_shape)?;
        let dtype = DType::from_proto(full.dtype)?;
        let mut pieces = Vec::with_capacity(parts.len());
        for stored in parts {
            let entry = if stored.is_full() { full.clone() } else { self.entry(&encode_tensor_name_slice(name, stored))? };
            let stored_shape_ = stored_shape(name, entry.shape.as_ref())?;
            if entry.dtype != full.dtype || stored.slice_shape(&full_shape)? != stored_shape_ {
                return Err(Error::data_loss(format!(
                    "Slice {stored} of {name} is stored as a {} tensor of shape {stored_shape_}, not as a {} tensor of shape {}",
                    dtype_name(entry.dtype),
                    dtype_name(full.dtype),
                    stored.slice_shape(&full_shape)?
                )));
            }
            if stored == wanted || (stored_shape_ == target && stored.covers(&stored_shape_) && wanted.covers(&stored_shape_)) {
                return self.read_value(name, &entry);
            }
            let tensor = self.read_value(name, &entry)?;
            if !slice_copy_supported(dtype) {
                return Err(Error::invalid_argument(format!("Dtype {dtype} not supported.")));
            }
            pieces.push((stored.clone(), tensor));
        }
        assemble(&full_shape, wanted, target, dtype, &pieces)
    }
}

/// The data of slice `wanted` of a tensor of `full_shape`, copied from stored slices covering it.
fn assemble(full_shape: &TensorShape, wanted: &TensorSlice, target: TensorShape, dtype: DType, pieces: &[(TensorSlice, Tensor)]) -> Result<Tensor> {
    let width = dtype.size().unwrap_or(1);
    // The pieces cover `target`, and their bytes were read from files, so this size is bounded.
    let mut out = vec![0u8; target.num_elements() * width];
    for (slice, tensor) in pieces {
        let src = tensor.raw_bytes().ok_or_else(|| Error::internal("slice without a buffer"))?;
        copy_slice_data(full_shape, slice, src, wanted, &mut out, width);
    }
    Tensor::from_bytes(dtype, target, Bytes::from(out))
}
