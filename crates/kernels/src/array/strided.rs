//! StridedSlice and StridedSliceGrad: TF's slice-spec semantics (begin/end/ellipsis/new-axis/
//! shrink-axis masks, negative indices, clamping) resolved into a strided box over the input.
//! Stateless kernels holding their masks.

use super::checked_shape;
use super::elems::move_elements;
use super::kernel;
use super::slice::{BoxScatter, StridedBox, extract};
use ferroflow_framework::{Cost, Error, Kernel, KernelInit, OpRegistry, Result, Tensor, TensorShape};

pub(super) fn register(reg: &mut OpRegistry) {
    reg.op("StridedSlice")
        .input("input: T")
        .input("begin: Index")
        .input("end: Index")
        .input("strides: Index")
        .output("output: T")
        .attr("T: type")
        .attr("Index: {int16, int32, int64}")
        .attr("begin_mask: int = 0")
        .attr("end_mask: int = 0")
        .attr("ellipsis_mask: int = 0")
        .attr("new_axis_mask: int = 0")
        .attr("shrink_axis_mask: int = 0")
        .cost(Cost::InputElements)
        .kernel(strided_slice);
    reg.op("StridedSliceGrad")
        .input("shape: Index")
        .input("begin: Index")
        .input("end: Index")
        .input("strides: Index")
        .input("dy: T")
        .output("output: T")
        .attr("T: type")
        .attr("Index: {int32, int64}")
        .attr("begin_mask: int = 0")
        .attr("end_mask: int = 0")
        .attr("ellipsis_mask: int = 0")
        .attr("new_axis_mask: int = 0")
        .attr("shrink_axis_mask: int = 0")
        .kernel(strided_slice_grad);
}

#[derive(Clone, Copy)]
pub(crate) struct Masks {
    pub begin: u64,
    pub end: u64,
    pub ellipsis: u64,
    pub new_axis: u64,
    pub shrink: u64,
}

impl Masks {
    fn from_attrs(init: &KernelInit<'_>) -> Result<Masks> {
        let get = |name: &str| init.attrs.get_int_or(name, 0).map(|v| v as u64);
        Ok(Masks {
            begin: get("begin_mask")?,
            end: get("end_mask")?,
            ellipsis: get("ellipsis_mask")?,
            new_axis: get("new_axis_mask")?,
            shrink: get("shrink_axis_mask")?,
        })
    }
}

fn bit(mask: u64, i: usize) -> bool {
    i < 64 && mask & (1u64 << i) != 0
}

/// Where each output dimension comes from.
enum Out {
    Dim(usize),
    NewAxis,
    Shrink,
}

/// A resolved slice: the box over the input and the output's shape.
pub(crate) struct Plan {
    pub bx: StridedBox,
    pub final_dims: Vec<i64>,
    pub is_identity: bool,
}

/// Resolves a slice spec against an input of `dims`, as TF's `ValidateStridedSliceOp` does.
pub(crate) fn plan(dims: &[i64], begin_t: &Tensor, end_t: &Tensor, strides_t: &Tensor, m: Masks) -> Result<Plan> {
    let n = begin_t.num_elements();
    if begin_t.rank() != 1
        || end_t.rank() != 1
        || strides_t.rank() != 1
        || end_t.num_elements() != n
        || strides_t.num_elements() != n
    {
        return Err(Error::invalid_argument(format!(
            "Expected begin, end, and strides to be 1D equal size tensors, but got shapes {}, {}, and {} instead.",
            begin_t.shape(),
            end_t.shape(),
            strides_t.shape()
        )));
    }
    if n >= 63 {
        return Err(Error::invalid_argument(format!(
            "Requires begin, end, and strides to have fewer than 63 entries, got {n}"
        )));
    }
    let (begin, end, strides) = (begin_t.to_i64_vec()?, end_t.to_i64_vec()?, strides_t.to_i64_vec()?);
    if (m.ellipsis & ((1u64 << n) - 1)).count_ones() > 1 {
        return Err(Error::invalid_argument("Multiple ellipses in slice spec not allowed"));
    }
    // Step 1: new axes after the ellipsis; an ellipsis is implied at the end when absent.
    let mut ellipsis = m.ellipsis;
    let mut seen = false;
    let mut added_after = 0i64;
    for i in 0..n {
        if seen && bit(m.new_axis, i) {
            added_after += 1;
        }
        if bit(ellipsis, i) {
            seen = true;
        }
    }
    let mut sparse_dims = n;
    if !seen {
        ellipsis |= 1u64 << n;
        sparse_dims += 1;
    }
    // Step 2: the dense spec, one entry per input dimension.
    let rank = dims.len();
    let (mut d_begin, mut d_end, mut d_stride) = (vec![0i64; rank], vec![0i64; rank], vec![1i64; rank]);
    let (mut d_bmask, mut d_emask, mut d_shrink) = (vec![false; rank], vec![false; rank], vec![false; rank]);
    let mut gather = Vec::with_capacity(sparse_dims);
    let mut full = 0usize;
    for i in 0..sparse_dims {
        if bit(ellipsis, i) {
            let next = (rank as i64 - (sparse_dims as i64 - i as i64) + 1 + added_after).min(rank as i64);
            while (full as i64) < next {
                d_bmask[full] = true;
                d_emask[full] = true;
                gather.push(Out::Dim(full));
                full += 1;
            }
        } else if bit(m.new_axis, i) {
            gather.push(Out::NewAxis);
        } else {
            if full == rank {
                if rank == 0 {
                    return Err(Error::invalid_argument("Attempting to slice scalar input."));
                }
                return Err(Error::invalid_argument(format!(
                    "Index out of range using input dim {full}; input has only {rank} dims"
                )));
            }
            d_begin[full] = begin[i];
            d_end[full] = end[i];
            d_stride[full] = strides[i];
            d_bmask[full] = bit(m.begin, i);
            d_emask[full] = bit(m.end, i);
            if bit(m.shrink, i) {
                d_shrink[full] = true;
                gather.push(Out::Shrink);
            } else {
                gather.push(Out::Dim(full));
            }
            full += 1;
        }
    }
    // Step 3: canonical bounds and the size of each dimension.
    let mut is_identity = true;
    let mut bx_begin = Vec::with_capacity(rank);
    let mut size = Vec::with_capacity(rank);
    for i in 0..rank {
        let (dim, stride) = (dims[i], d_stride[i]);
        if stride == 0 {
            return Err(Error::invalid_argument(format!("strides[{i}] must be non-zero")));
        }
        if d_shrink[i] && stride <= 0 {
            return Err(Error::invalid_argument("only stride 1 allowed on non-range indexing."));
        }
        let (lo, hi) = if stride > 0 { (0, dim) } else { (-1, dim - 1) };
        let canonical = |x: i64, is_end: bool, masked: bool| -> i64 {
            if masked {
                if (stride > 0) != is_end { lo } else { hi }
            } else {
                let fwd = if x < 0 { dim.saturating_add(x) } else { x };
                fwd.clamp(lo, hi)
            }
        };
        let (b, e) = if d_shrink[i] {
            let fwd = if d_begin[i] < 0 { dim.saturating_add(d_begin[i]) } else { d_begin[i] };
            if fwd < 0 || fwd >= dim {
                return Err(Error::invalid_argument(format!("slice index {fwd} of dimension {i} out of bounds.")));
            }
            (fwd, fwd + 1)
        } else {
            (canonical(d_begin[i], false, d_bmask[i]), canonical(d_end[i], true, d_emask[i]))
        };
        is_identity &= stride == 1 && b == 0 && e == dim;
        let len = e - b;
        let n_i = if len == 0 || ((len < 0) != (stride < 0)) { 0 } else { len / stride + i64::from(len % stride != 0) };
        bx_begin.push(b);
        size.push(n_i as usize);
    }
    // Step 4: the final shape.
    let final_dims = gather
        .iter()
        .filter_map(|g| match g {
            Out::Dim(d) => Some(size[*d] as i64),
            Out::NewAxis => Some(1),
            Out::Shrink => None,
        })
        .collect();
    let bx = StridedBox { dims: dims.iter().map(|&d| d as usize).collect(), begin: bx_begin, stride: d_stride, size };
    Ok(Plan { bx, final_dims, is_identity })
}

fn strided_slice(init: &KernelInit<'_>) -> Result<Kernel> {
    let masks = Masks::from_attrs(init)?;
    Ok(kernel(1, move |ctx| {
        let input = ctx.input(0);
        let p = plan(input.dims(), ctx.input(1), ctx.input(2), ctx.input(3), masks)?;
        let shape = TensorShape::new(p.final_dims);
        let out = if p.is_identity { input.reshaped(shape)? } else { extract(input, &p.bx, shape)? };
        ctx.set_output(0, out);
        Ok(())
    }))
}

fn strided_slice_grad(init: &KernelInit<'_>) -> Result<Kernel> {
    let masks = Masks::from_attrs(init)?;
    Ok(kernel(1, move |ctx| {
        let shape_t = ctx.input(0);
        if shape_t.rank() != 1 {
            return Err(Error::invalid_argument(format!("shape must be 1-D, got shape {}", shape_t.shape())));
        }
        let shape = checked_shape(&shape_t.to_i64_vec()?)?;
        let dy = ctx.input(4);
        let p = plan(shape.dims(), ctx.input(1), ctx.input(2), ctx.input(3), masks)?;
        if dy.dims() != p.final_dims.as_slice() {
            return Err(Error::invalid_argument(format!(
                "shape of dy was {} instead of {}",
                dy.shape(),
                TensorShape::new(p.final_dims)
            )));
        }
        let out = if p.is_identity {
            dy.reshaped(shape)?
        } else {
            let n = shape.num_elements();
            move_elements(dy.dtype(), &[dy], shape, &BoxScatter(&p.bx, n))?
        };
        ctx.set_output(0, out);
        Ok(())
    }))
}

#[cfg(test)]
mod tests {
    #[test]
    fn oracle_cases() {
        crate::array::oracle::run_cases("array.json", &["StridedSlice", "StridedSliceGrad"], 1e-5);
    }
}
