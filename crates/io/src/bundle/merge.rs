//! Merging bundles as TF's `MergeBundles` does for sharded saves: every input's entries go into
//! one index under the destination prefix, each input data file is renamed to a shard of the
//! destination (numbered in order of first use), slices of one partitioned tensor saved in
//! different inputs are joined, and the inputs' index files are deleted. The merged index is
//! written under a temporary name and renamed into place last. Runs on the caller's thread.

use super::naming::{data_filename, meta_filename};
use super::reader::read_entries;
use super::writer::{bundle_header, create_parent_dir, rename, write_index};
use super::{dtype_name, io_error, stored_shape};
use crate::table::Table;
use bytes::Bytes;
use ferroflow_framework::{Error, Result};
use ferroflow_proto::bundle_header_proto::Endianness;
use ferroflow_proto::{BundleEntryProto, VersionDef};
use prost::Message;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// What has been gathered from the inputs merged so far.
#[derive(Default)]
struct MergeState {
    num_shards: i32,
    /// Endianness and version of the first input; the others must agree.
    first: Option<(i32, VersionDef)>,
    entries: BTreeMap<Vec<u8>, BundleEntryProto>,
    /// Input data files in order of first use; the position is the destination shard.
    data_files: Vec<String>,
}

fn lossy(key: &[u8]) -> String {
    String::from_utf8_lossy(key).into_owned()
}

fn merge_one(prefix: &str, state: &mut MergeState) -> Result<()> {
    let filename = meta_filename(prefix);
    let bytes = std::fs::read(&filename).map_err(|e| io_error(Path::new(&filename), &e))?;
    let table = Table::open(Bytes::from(bytes))?;
    let (header, entries) = read_entries(&table, &filename)?;
    let version = header.version.unwrap_or_default();
    state.num_shards += header.num_shards;
    match &state.first {
        None => state.first = Some((header.endianness, version)),
        Some((endianness, _)) if *endianness != header.endianness => {
            return Err(Error::invalid_argument("Merging bundles with conflicting endianness; inputs corrupted?"));
        }
        Some((_, first)) if *first != version => {
            return Err(Error::invalid_argument(format!(
                "Merging bundles with different format versions: merged {:?} vs. curr {:?}",
                first.encode_to_vec(),
                version.encode_to_vec()
            )));
        }
        Some(_) => {}
    }
    for (key, value) in entries {
        let existing_is_whole = state.entries.get(&key).map(|e| e.slices.is_empty());
        if existing_is_whole == Some(true) {
            return Err(Error::invalid_argument(format!(
                "Duplicate tensor keyed by {} encountered, when merging prefix: {prefix}",
                lossy(&key)
            )));
        }
        let mut entry = BundleEntryProto::decode(value)
            .map_err(|_| Error::data_loss(format!("Entry for key {} not parseable.", lossy(&key))))?;
        if let Some(existing) = state.entries.get_mut(&key) {
            if entry.slices.is_empty() {
                return Err(Error::internal(format!(
                    "Duplicate tensor keyed by {}; attempting to merge in a non-slice bundle entry",
                    lossy(&key)
                )));
            }
            let (a, b) = (stored_shape(&lossy(&key), existing.shape.as_ref())?, stored_shape(&lossy(&key), entry.shape.as_ref())?);
            if existing.dtype != entry.dtype || a != b {
                return Err(Error::invalid_argument(format!(
                    "Slices of {} disagree: {} {a} in one input, {} {b} in {prefix}",
                    lossy(&key),
                    dtype_name(existing.dtype),
                    dtype_name(entry.dtype)
                )));
            }
            existing.slices.append(&mut entry.slices);
            continue;
        }
        let file = data_filename(prefix, entry.shard_id, header.num_shards);
        entry.shard_id = match state.data_files.iter().position(|f| *f == file) {
            Some(i) => i as i32,
            None => {
                state.data_files.push(file);
                state.data_files.len() as i32 - 1
            }
        };
        state.entries.insert(key, entry);
    }
    Ok(())
}

/// Merges the bundles at `prefixes` into one at `merged_prefix`. With `allow_missing_files`,
/// inputs without an index are skipped (at least one must exist).
pub fn merge_bundles(prefixes: &[&str], merged_prefix: &str, allow_missing_files: bool) -> Result<()> {
    create_parent_dir(merged_prefix)?;
    let mut state = MergeState::default();
    let mut any = false;
    for prefix in prefixes {
        if !Path::new(&meta_filename(prefix)).exists() {
            if allow_missing_files {
                continue;
            }
            let exists = if Path::new(prefix).exists() { "OK".to_string() } else { format!("NOT_FOUND: {prefix} not found") };
            return Err(Error::invalid_argument(format!(
                "allow_missing_files was set to false and {prefix} did not exist.{exists}"
            )));
        }
        any = true;
        merge_one(prefix, &mut state)?;
    }
    if !any {
        return Err(Error::invalid_argument("At least one prefix checkpoint file must exist, but none existed."));
    }
    let total = state.data_files.len() as i32;
    for (shard, file) in state.data_files.iter().enumerate() {
        rename(Path::new(file), Path::new(&data_filename(merged_prefix, shard as i32, total)))?;
    }
    let (endianness, version) = state.first.take().unwrap_or((Endianness::Little as i32, VersionDef::default()));
    let mut header = bundle_header(state.num_shards);
    header.endianness = endianness;
    header.version = Some(version);
    let merged_index = meta_filename(merged_prefix);
    let tmp = PathBuf::from(format!("{merged_index}.tempstate{}", rand::random::<u64>()));
    let written = write_index(&tmp, &header, state.entries.iter()).and_then(|_| rename(&tmp, Path::new(&merged_index)));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written?;
    for prefix in prefixes {
        let index = meta_filename(prefix);
        if index != merged_index {
            let _ = std::fs::remove_file(index);
        }
    }
    Ok(())
}
