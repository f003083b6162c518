//! The checkpoint operations as TF's `SaveV2`, `RestoreV2` and `MergeV2Checkpoints` kernels
//! perform them once their inputs are unpacked (`save_restore_v2_ops.cc`,
//! `save_restore_tensor.cc`): what ferroflow's kernels call. `shape_and_slice` strings are `""`
//! for a whole tensor or `"dim0 dim1 ... slice"` for a slice (see [`parse_shape_and_slice`]).
//! Runs on the caller's thread; callers keep file work off I/O threads.

use super::merge::merge_bundles;
use super::naming::meta_filename;
use super::reader::BundleReader;
use super::slice::parse_shape_and_slice;
use super::writer::BundleWriter;
use super::dtype_name;
use ferroflow_framework::{DType, Error, Result, Tensor};
use std::path::Path;

/// Saves `tensors` (`(name, shape_and_slice, tensor)`) as one bundle at `prefix`.
pub fn save_v2(prefix: &str, tensors: &[(&str, &str, &Tensor)]) -> Result<()> {
    let mut writer = BundleWriter::new(prefix)?;
    for &(name, spec, tensor) in tensors {
        if spec.is_empty() {
            writer.add(name, tensor)?;
            continue;
        }
        let parsed = parse_shape_and_slice(spec)?;
        if &parsed.slice_shape != tensor.shape() {
            return Err(Error::invalid_argument(format!(
                "Slice in shape_and_slice specification does not match the shape of the tensor to  save: {spec}, tensor: {}",
                tensor.shape()
            )));
        }
        writer.add_slice(name, &parsed.shape, &parsed.slice, tensor)?;
    }
    writer.finish()
}

/// Restores `tensors` (`(name, shape_and_slice, expected dtype)`) from the bundle at `prefix`,
/// in the order asked. Every tensor is found and type-checked before any is read; reads go in
/// file order, and the first failure fails the whole restore.
pub fn restore_v2(prefix: &str, tensors: &[(&str, &str, DType)]) -> Result<Vec<Tensor>> {
    if !Path::new(&meta_filename(prefix)).exists() {
        // TF falls back to the V1 format here, whose reader reports a missing checkpoint so.
        return Err(Error::not_found(format!(
            "Unsuccessful TensorSliceReader constructor: Failed to find any matching files for {prefix}"
        )));
    }
    let reader = BundleReader::open(prefix)?;
    let mut located = Vec::with_capacity(tensors.len());
    for (i, &(name, _, _)) in tensors.iter().enumerate() {
        let (dtype, _, position) = reader.raw_dtype_and_shape(name)?;
        located.push((position, i, dtype));
    }
    located.sort_by_key(|&(position, i, _)| (position, i));
    let mismatched: Vec<String> = located
        .iter()
        .filter(|&&(_, i, stored)| tensors[i].2.to_proto() != stored)
        .map(|&(_, i, stored)| {
            format!("tensor_name = {}; expected dtype {} does not equal original dtype {}", tensors[i].0, tensors[i].2, dtype_name(stored))
        })
        .collect();
    if !mismatched.is_empty() {
        return Err(Error::invalid_argument(mismatched.join("\n")));
    }
    let mut restored: Vec<Option<Tensor>> = vec![None; tensors.len()];
    for &(_, i, _) in &located {
        let (name, spec, _) = tensors[i];
        restored[i] = Some(restore_one(&reader, name, spec)?);
    }
    Ok(restored.into_iter().flatten().collect())
}

fn restore_one(reader: &BundleReader, name: &str, spec: &str) -> Result<Tensor> {
    if spec.is_empty() {
        return reader.lookup(name);
    }
    let (_, stored_shape, _) = reader.raw_dtype_and_shape(name)?;
    let parsed = parse_shape_and_slice(spec)?;
    if parsed.shape != stored_shape {
        return Err(Error::invalid_argument(format!(
            "tensor_name = {name}; shape in shape_and_slice spec {} does not match the shape stored in checkpoint: {stored_shape}",
            parsed.shape
        )));
    }
    reader.lookup_slice(name, &parsed.slice)
}

/// Merges the bundles at `prefixes` into `destination` (see [`merge_bundles`]); with
/// `delete_old_dirs`, then removes each input's directory when it is empty and differs from the
/// destination's.
pub fn merge_v2(prefixes: &[&str], destination: &str, delete_old_dirs: bool, allow_missing_files: bool) -> Result<()> {
    merge_bundles(prefixes, destination, allow_missing_files)?;
    if delete_old_dirs {
        let merged_dir = Path::new(destination).parent().unwrap_or(Path::new(""));
        for prefix in prefixes {
            let dir = Path::new(prefix).parent().unwrap_or(Path::new(""));
            if dir != merged_dir && !dir.as_os_str().is_empty() {
                // Only an empty directory goes; for sharded saves only the first attempt finds it.
                let _ = std::fs::remove_dir(dir);
            }
        }
    }
    Ok(())
}
