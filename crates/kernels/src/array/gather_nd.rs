//! GatherNd, and the index rows it shares with the scatters (`scatter_nd`): an `[N, depth]` matrix
//! of indices into the leading `depth` dimensions of a tensor, checked before anything is copied,
//! so a bad index fails the op with TF's message and no partial output. Stateless kernels.

use super::elems::{Elem, Mover, move_elements};
use super::{kernel, prod};
use crate::cwise::no_kernel;
use ferroflow_framework::{Cost, DType, Error, Kernel, KernelInit, OpRegistry, Result, Tensor};

pub(super) fn register(reg: &mut OpRegistry) {
    reg.op("GatherNd")
        .input("params: Tparams")
        .input("indices: Tindices")
        .output("output: Tparams")
        .attr("Tparams: type")
        .attr("Tindices: {int16, int32, int64}")
        .attr("bad_indices_policy: string = ''")
        .cost(Cost::InputElements)
        .kernel(gather_nd);
}

/// What a kernel does with an index outside its tensor (the `bad_indices_policy` attr).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum BadIndices {
    /// Fail the op (`""`, `"DEFAULT"`, `"ERROR"`).
    Error,
    /// Gathers read zeros, scatters skip the update (`"IGNORE"`).
    Ignore,
}

pub(crate) fn bad_indices_policy(init: &KernelInit<'_>) -> Result<BadIndices> {
    match init.attrs.get_string_or("bad_indices_policy", "")?.as_str() {
        "" | "DEFAULT" | "ERROR" => Ok(BadIndices::Error),
        "IGNORE" => Ok(BadIndices::Ignore),
        other => Err(Error::invalid_argument(format!("Invalid bad indices policy: {other}"))),
    }
}

/// The index dtype attr `name`, int32 or int64 (int16 and uint16 are allowed by some ops'
/// signatures, with a kernel only where `allow_int16`).
pub(crate) fn index_dtype(init: &KernelInit<'_>, name: &str, allow_int16: bool) -> Result<DType> {
    let t = init.attrs.get_type(name)?;
    match t {
        DType::Int32 | DType::Int64 => Ok(t),
        DType::Int16 if allow_int16 => Ok(t),
        _ => Err(no_kernel(init, &format!("{name}={}", crate::cwise::dt_name(t)))),
    }
}

/// The values of an integer index tensor (int16, int32, int64, uint16) as `i64`.
pub(crate) fn index_values(t: &Tensor) -> Result<Vec<i64>> {
    match t.dtype() {
        DType::Int16 => Ok(t.values::<i16>()?.iter().map(|&v| v as i64).collect()),
        DType::UInt16 => Ok(t.values::<u16>()?.iter().map(|&v| v as i64).collect()),
        _ => t.to_i64_vec(),
    }
}

/// TF's `SliceDebugString`: the coordinates of flat position `flat` in `shape` (`""` for a scalar).
pub(crate) fn slice_debug_string(shape: &[i64], flat: usize) -> String {
    if shape.is_empty() {
        return String::new();
    }
    let mut coords = vec![0usize; shape.len()];
    let mut rest = flat;
    for (c, &d) in coords.iter_mut().zip(shape).rev() {
        let d = d.max(1) as usize;
        *c = rest % d;
        rest /= d;
    }
    let shown: Vec<String> = coords.iter().map(|c| c.to_string()).collect();
    format!("[{}]", shown.join(","))
}

/// Index rows resolved to element offsets (in units of the slice after the indexed dimensions).
pub(crate) struct IndexRows {
    /// Per row: the slice's position among the `prod(dims[..depth])` slices, `None` when it is out
    /// of range and the policy ignores it.
    pub slots: Vec<Option<usize>>,
    /// Elements per slice: the product of the dimensions after the indexed ones.
    pub slice: usize,
}

/// Resolves `rows` (row-major, `depth` indices per row) against `dims`. A row out of range is
/// `Err(row)` under the error policy.
pub(crate) fn resolve_rows(
    idx: &[i64],
    depth: usize,
    dims: &[i64],
    policy: BadIndices,
) -> std::result::Result<IndexRows, usize> {
    let rows = if depth == 0 { 0 } else { idx.len() / depth };
    let mut slots = Vec::with_capacity(rows);
    for r in 0..rows {
        let row = &idx[r * depth..(r + 1) * depth];
        let mut slot = 0usize;
        let mut ok = true;
        for (&i, &d) in row.iter().zip(dims) {
            if i < 0 || i >= d {
                ok = false;
                break;
            }
            slot = slot * d as usize + i as usize;
        }
        if ok {
            slots.push(Some(slot));
        } else if policy == BadIndices::Ignore {
            slots.push(None);
        } else {
            return Err(r);
        }
    }
    Ok(IndexRows { slots, slice: prod(&dims[depth.min(dims.len())..]) })
}

/// `[a, b, c]`: the indices of row `r`.
pub(crate) fn row_string(idx: &[i64], depth: usize, r: usize) -> String {
    let shown: Vec<String> = idx[r * depth..(r + 1) * depth].iter().map(|v| v.to_string()).collect();
    format!("[{}]", shown.join(", "))
}

fn gather_nd(init: &KernelInit<'_>) -> Result<Kernel> {
    index_dtype(init, "Tindices", true)?;
    let policy = bad_indices_policy(init)?;
    Ok(kernel(1, move |ctx| {
        let out = do_gather_nd(ctx.input(0), ctx.input(1), policy, ctx.node_name)?;
        ctx.set_output(0, out);
        Ok(())
    }))
}

fn do_gather_nd(params: &Tensor, indices: &Tensor, policy: BadIndices, node: &str) -> Result<Tensor> {
    if params.rank() == 0 {
        return Err(Error::invalid_argument("params must be at least a vector"));
    }
    if indices.rank() == 0 {
        return Err(Error::invalid_argument("indices must be at least a vector"));
    }
    let id = indices.dims();
    let depth = id[id.len() - 1];
    if depth > params.rank() as i64 {
        return Err(Error::invalid_argument(format!(
            "index innermost dimension length must be <= params rank; saw: {depth} vs. {}",
            params.rank()
        )));
    }
    let depth = depth as usize;
    let batch = &id[..id.len() - 1];
    let mut out_dims = batch.to_vec();
    out_dims.extend_from_slice(&params.dims()[depth..]);
    let n_result = prod(batch);
    if n_result > 0 && params.num_elements() == 0 && depth > 0 {
        return Err(Error::invalid_argument(format!(
            "Requested more than 0 entries, but params is empty.  Params shape: {}",
            params.shape()
        )));
    }
    let out_shape = super::checked_shape(&out_dims)?;
    if depth == 0 {
        // Every (empty) index row selects all of params: the output repeats it.
        return move_elements(params.dtype(), &[params], out_shape, &Repeat(n_result));
    }
    let idx = index_values(indices)?;
    let rows = {
        resolve_rows(&idx, depth, params.dims(), policy).map_err(|r| {
            Error::invalid_argument(format!(
                "indices{} = {} does not index into param shape {}, node name: {node}",
                slice_debug_string(batch, r),
                row_string(&idx, depth, r),
                params.shape()
            ))
        })?
    };
    move_elements(params.dtype(), &[params], out_shape, &GatherSlices(rows))
}

/// The whole input, `.0` times over.
struct Repeat(usize);

impl Mover for Repeat {
    fn fill<E: Elem>(&self, srcs: &[&[E]], out: &mut Vec<E>) -> Result<()> {
        for _ in 0..self.0 {
            out.extend_from_slice(srcs[0]);
        }
        Ok(())
    }
}

struct GatherSlices(IndexRows);

impl Mover for GatherSlices {
    fn fill<E: Elem>(&self, srcs: &[&[E]], out: &mut Vec<E>) -> Result<()> {
        let s = self.0.slice;
        for slot in &self.0.slots {
            match slot {
                Some(k) => out.extend_from_slice(&srcs[0][k * s..(k + 1) * s]),
                None => out.extend(std::iter::repeat_n(E::default(), s)),
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::testutil::{node, run};
    use ferroflow_framework::{DType, Tensor};

    #[test]
    fn oracle_cases() {
        crate::array::oracle::run_cases("array2.json", &["GatherNd"], 0.0);
    }

    #[test]
    fn ignore_policy_reads_zeros() {
        let p = Tensor::from_vec(vec![3], vec![1.0f32, 2.0, 3.0]).unwrap();
        let i = Tensor::from_vec(vec![3, 1], vec![2i32, 7, -1]).unwrap();
        let n = node("GatherNd")
            .attr_type("Tparams", DType::Float)
            .attr_type("Tindices", DType::Int32)
            .attr_str("bad_indices_policy", "IGNORE");
        let out = run(n, vec![p, i]).unwrap();
        assert_eq!(out[0].to_vec::<f32>().unwrap(), vec![3.0, 0.0, 0.0]);
    }
}
