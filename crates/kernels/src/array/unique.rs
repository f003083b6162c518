//! `Unique`, `UniqueWithCounts`, `ListDiff` and `DynamicPartition`, with TF 2.21's semantics.
//!
//! `Unique` keeps the elements of a 1-D tensor in order of first appearance, `idx` mapping each
//! input element to its place in `y` (int32 or int64, `out_idx`); equality is the value's (0.0 and
//! -0.0 are one element, every NaN is its own, as with TF's hash map). `ListDiff`
//! (`setdiff1d`) keeps the elements of `x` not in `y`, in order, with their positions in `x`, by
//! the same equality. `DynamicPartition` sends
//! each slice of `data` (indexed by the leading dimensions `partitions` covers) to the output its
//! partition number names, in order; a partition out of `[0, num_partitions)` is INVALID_ARGUMENT.
//! Both select rows through `gather`, so every dtype (strings included) is handled alike.
//!
//! Concurrency: stateless kernels, `Send + Sync`.

use super::gather::gather;
use super::kernel;
use ferroflow_framework::{Cost, DType, Error, Kernel, KernelInit, OpRegistry, Result, Tensor, TensorShape};
use std::collections::HashMap;

pub(super) fn register(reg: &mut OpRegistry) {
    reg.op("Unique")
        .input("x: T")
        .output("y: T")
        .output("idx: out_idx")
        .attr("T: type")
        .attr("out_idx: {int32, int64} = DT_INT32")
        .cost(Cost::InputElements)
        .kernel(|init| unique(init, false));
    reg.op("UniqueWithCounts")
        .input("x: T")
        .output("y: T")
        .output("idx: out_idx")
        .output("count: out_idx")
        .attr("T: type")
        .attr("out_idx: {int32, int64} = DT_INT32")
        .cost(Cost::InputElements)
        .kernel(|init| unique(init, true));
    reg.op("ListDiff")
        .input("x: T")
        .input("y: T")
        .output("out: T")
        .output("idx: out_idx")
        .attr("T: type")
        .attr("out_idx: {int32, int64} = DT_INT32")
        .cost(Cost::InputElements)
        .kernel(list_diff);
    reg.op("DynamicPartition")
        .input("data: T")
        .input("partitions: int32")
        .output("outputs: num_partitions * T")
        .attr("num_partitions: int >= 1")
        .attr("T: type")
        .cost(Cost::InputElements)
        .kernel(dynamic_partition);
}

/// A hashable identity of one element: equal keys for equal values.
#[derive(Hash, PartialEq, Eq)]
enum Key<'a> {
    Int(i64),
    UInt(u64),
    Float(u64),
    /// A NaN, never equal to another (its position makes it unique).
    Nan(usize),
    Bytes(&'a [u8]),
}

fn keys(x: &Tensor) -> Result<Vec<Key<'_>>> {
    Ok(match x.dtype() {
        DType::Float | DType::Double => {
            let v: Vec<f64> = if x.dtype() == DType::Float {
                x.values::<f32>()?.iter().map(|&f| f as f64).collect()
            } else {
                x.values::<f64>()?.into_owned()
            };
            v.iter()
                .enumerate()
                .map(|(i, &f)| if f.is_nan() { Key::Nan(i) } else { Key::Float((f + 0.0).to_bits()) })
                .collect()
        }
        DType::UInt64 => x.values::<u64>()?.iter().map(|&u| Key::UInt(u)).collect(),
        DType::String => x.strings()?.iter().map(|s| Key::Bytes(s)).collect(),
        DType::Bool => x.bools()?.iter().map(|&b| Key::Int(b as i64)).collect(),
        DType::Resource | DType::Variant => {
            return Err(Error::unimplemented(format!("Unique of {} tensors", x.dtype())));
        }
        _ => x.to_i64_vec()?.into_iter().map(Key::Int).collect(),
    })
}

fn index_tensor(values: Vec<i64>, out: DType) -> Result<Tensor> {
    let n = values.len() as i64;
    if out == DType::Int32 {
        Tensor::from_vec(vec![n], values.into_iter().map(|v| v as i32).collect::<Vec<_>>())
    } else {
        Tensor::from_vec(vec![n], values)
    }
}

fn unique(init: &KernelInit<'_>, with_counts: bool) -> Result<Kernel> {
    init.expect_inputs(1)?;
    let out = if init.attrs.has("out_idx") {
        init.attrs.get_type_in("out_idx", &[DType::Int32, DType::Int64])?
    } else {
        DType::Int32
    };
    Ok(kernel(2 + with_counts as usize, move |ctx| {
        let x = ctx.input(0);
        if x.rank() != 1 {
            return Err(Error::invalid_argument("unique expects a 1D vector."));
        }
        if out == DType::Int32 && x.num_elements() > i32::MAX as usize {
            return Err(Error::invalid_argument("unique does not support input sizes that large for int32 indices"));
        }
        let mut first: Vec<i64> = Vec::new();
        let mut counts: Vec<i64> = Vec::new();
        let mut seen: HashMap<Key<'_>, usize> = HashMap::new();
        let mut idx = Vec::with_capacity(x.num_elements());
        for (i, k) in keys(x)?.into_iter().enumerate() {
            let at = *seen.entry(k).or_insert_with(|| {
                first.push(i as i64);
                counts.push(0);
                first.len() - 1
            });
            counts[at] += 1;
            idx.push(at as i64);
        }
        let positions = Tensor::from_vec(vec![first.len() as i64], first)?;
        let y = gather(x, &positions, 0, 0)?;
        ctx.set_output(0, y);
        ctx.set_output(1, index_tensor(idx, out)?);
        if with_counts {
            ctx.set_output(2, index_tensor(counts, out)?);
        }
        Ok(())
    }))
}

fn list_diff(init: &KernelInit<'_>) -> Result<Kernel> {
    let out = init.attrs.get_type_in("out_idx", &[DType::Int32, DType::Int64])?;
    Ok(kernel(2, move |ctx| {
        let (x, y) = (ctx.input(0), ctx.input(1));
        if x.rank() != 1 {
            return Err(Error::invalid_argument("x should be a 1D vector."));
        }
        if y.rank() != 1 {
            return Err(Error::invalid_argument("y should be a 1D vector."));
        }
        // A NaN equals nothing, so the NaNs of `y` remove none of `x`'s.
        let removed: std::collections::HashSet<Key<'_>> = keys(y)?.into_iter().filter(|k| !matches!(k, Key::Nan(_))).collect();
        let kept: Vec<i64> = (keys(x)?.into_iter().enumerate())
            .filter(|(_, k)| !removed.contains(k))
            .map(|(i, _)| i as i64)
            .collect();
        let positions = Tensor::from_vec(vec![kept.len() as i64], kept.clone())?;
        ctx.set_output(0, gather(x, &positions, 0, 0)?);
        ctx.set_output(1, index_tensor(kept, out)?);
        Ok(())
    }))
}

fn dynamic_partition(init: &KernelInit<'_>) -> Result<Kernel> {
    init.expect_inputs(2)?;
    let n = init.attrs.get_int("num_partitions")?;
    if n < 1 {
        return Err(Error::invalid_argument(format!("num_partitions must be at least 1, got {n}")));
    }
    let n = n as usize;
    Ok(kernel(n, move |ctx| {
        let (data, partitions) = (ctx.input(0), ctx.input(1));
        if !data.dims().starts_with(partitions.dims()) {
            return Err(Error::invalid_argument(format!(
                "data.shape must start with partitions.shape, got data.shape = {}, partitions.shape = {}",
                data.shape(),
                partitions.shape()
            )));
        }
        let p = partitions.to_i64_vec()?;
        let mut rows: Vec<Vec<i64>> = vec![Vec::new(); n];
        for (i, &k) in p.iter().enumerate() {
            if k < 0 || k as usize >= n {
                let shown = if partitions.rank() == 0 { String::new() } else { format!("[{i}]") };
                return Err(Error::invalid_argument(format!("partitions{shown} = {k} is not in [0, {n})")));
            }
            rows[k as usize].push(i as i64);
        }
        // Slices of data are indexed by the leading dimensions partitions covers.
        let mut flat_dims = vec![p.len() as i64];
        flat_dims.extend_from_slice(&data.dims()[partitions.rank()..]);
        let flat = data.reshaped(TensorShape::new(flat_dims))?;
        for (k, r) in rows.into_iter().enumerate() {
            let positions = Tensor::from_vec(vec![r.len() as i64], r)?;
            ctx.set_output(k, gather(&flat, &positions, 0, 0)?);
        }
        Ok(())
    }))
}

#[cfg(test)]
mod tests {
    #[test]
    fn list_diff_oracle_cases() {
        assert!(crate::array::oracle::run_cases("special.json", &["ListDiff"], 0.0) >= 10);
    }

    #[test]
    fn tf_oracle_cases() {
        let ops = ["Unique", "UniqueWithCounts", "DynamicPartition", "ParallelDynamicStitch"];
        assert!(crate::array::oracle::run_cases("embedding.json", &ops, 0.0) >= 20);
    }
}
