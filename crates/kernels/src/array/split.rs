//! Split and SplitV. Stateless kernels. Each input is seen as an `[outer, size * inner]` matrix split
//! at the split axis; when `outer` is 1 (splitting along the first non-trivial axis) every piece is
//! a contiguous range and shares the input's buffer, otherwise pieces are copied row by row.

use super::elems::{Elem, Mover, move_elements, share_range};
use super::{kernel, prod};
use ferroflow_framework::{Cost, Error, Kernel, KernelInit, OpKernelContext, OpRegistry, Result, Tensor, TensorShape};

pub(super) fn register(reg: &mut OpRegistry) {
    reg.op("Split")
        .input("split_dim: int32")
        .input("value: T")
        .output("output: num_split * T")
        .attr("num_split: int >= 1")
        .attr("T: type")
        .cost(Cost::InputElements)
        .kernel(split);
    reg.op("SplitV")
        .input("value: T")
        .input("size_splits: Tlen")
        .input("split_dim: int32")
        .output("output: num_split * T")
        .attr("num_split: int >= 1")
        .attr("T: type")
        .attr("Tlen: {int8, int32, int64} = DT_INT64")
        .cost(Cost::InputElements)
        .kernel(split_v);
}

/// The split axis from a scalar input, checked against the input's rank in TF's words.
fn split_axis(t: &Tensor, x: &Tensor) -> Result<usize> {
    let raw = super::legacy_scalar(t).ok_or_else(|| {
        Error::invalid_argument(format!("split_dim must be a scalar but has rank {}", t.rank()))
    })?;
    let rank = x.rank() as i64;
    let axis = if raw < 0 { raw + rank } else { raw };
    if !(0..rank).contains(&axis) {
        return Err(Error::invalid_argument(format!(
            "-input rank(-{rank}) <= split_dim < input rank ({rank}), but got {raw}"
        )));
    }
    Ok(axis as usize)
}

/// Columns `[from, from + width)` of every row of an `[outer, row]` matrix.
struct Columns {
    outer: usize,
    row: usize,
    from: usize,
    width: usize,
}

impl Mover for Columns {
    fn fill<E: Elem>(&self, srcs: &[&[E]], out: &mut Vec<E>) -> Result<()> {
        for o in 0..self.outer {
            let start = o * self.row + self.from;
            out.extend_from_slice(&srcs[0][start..start + self.width]);
        }
        Ok(())
    }
}

/// Sets the outputs to the pieces of `x` along `axis` with the given sizes.
fn emit_pieces(ctx: &mut OpKernelContext<'_>, x: &Tensor, axis: usize, sizes: &[i64]) -> Result<()> {
    let dims = x.dims();
    let outer = prod(&dims[..axis]);
    let inner = prod(&dims[axis + 1..]);
    let row = dims[axis] as usize * inner;
    let mut from = 0usize;
    for (i, &size) in sizes.iter().enumerate() {
        let mut piece_dims = dims.to_vec();
        piece_dims[axis] = size;
        let shape = TensorShape::new(piece_dims);
        let width = size as usize * inner;
        let piece = match (outer == 1).then(|| share_range(x, from, shape.clone())).flatten() {
            Some(shared) => shared?,
            None => move_elements(x.dtype(), &[x], shape, &Columns { outer, row, from, width })?,
        };
        ctx.set_output(i, piece);
        from += width;
    }
    Ok(())
}

fn split(init: &KernelInit<'_>) -> Result<Kernel> {
    let n = init.attrs.get_int("num_split")?;
    Ok(kernel(n as usize, move |ctx| {
        let x = ctx.input(1);
        let axis = split_axis(ctx.input(0), x)?;
        if n == 1 {
            ctx.set_output(0, x.clone());
            return Ok(());
        }
        let size = x.dims()[axis];
        if size % n != 0 {
            return Err(Error::invalid_argument(format!(
                "Number of ways to split should evenly divide the split dimension, but got split_dim {axis} (size = {size}) and num_split {n}"
            )));
        }
        let sizes = vec![size / n; n as usize];
        emit_pieces(ctx, x, axis, &sizes)
    }))
}

fn split_v(init: &KernelInit<'_>) -> Result<Kernel> {
    let n = init.attrs.get_int("num_split")?;
    Ok(kernel(n as usize, move |ctx| {
        let (x, sizes_t) = (ctx.input(0), ctx.input(1));
        let axis = split_axis(ctx.input(2), x)?;
        if sizes_t.rank() != 1 || sizes_t.num_elements() as i64 != n {
            return Err(Error::invalid_argument(format!(
                "size of the split_tensor must be 1-D and have the same elements as outputs got {} -D and {} elements",
                sizes_t.rank(),
                sizes_t.num_elements()
            )));
        }
        let mut sizes = match sizes_t.dtype() {
            ferroflow_framework::DType::Int8 => sizes_t.values::<i8>()?.iter().map(|&v| v as i64).collect(),
            _ => sizes_t.to_i64_vec()?,
        };
        let total = x.dims()[axis];
        if n == 1 {
            if sizes[0] != total && sizes[0] != -1 {
                return Err(Error::invalid_argument(format!(
                    "If there is only one output, it must have the same size as the input. Input size: {total} output size: {}",
                    sizes[0]
                )));
            }
            ctx.set_output(0, x.clone());
            return Ok(());
        }
        let mut inferred = None;
        let mut determined: i64 = 0;
        for (d, &s) in sizes.iter().enumerate() {
            if s == -1 {
                if inferred.is_some() {
                    return Err(Error::invalid_argument("There can only be one -1 in the input."));
                }
                inferred = Some(d);
            } else {
                determined = determined.saturating_add(s);
            }
        }
        let fits = match inferred {
            None => determined == total,
            Some(_) => determined <= total,
        };
        if !fits {
            return Err(Error::invalid_argument(format!(
                "Determined shape must either match input shape along split_dim exactly if fully specified, or be less than the size of the input along split_dim if not fully specified.  Got: {determined}"
            )));
        }
        if let Some(d) = inferred {
            sizes[d] = total - determined;
        }
        if let Some((i, s)) = sizes.iter().enumerate().find(|&(_, &s)| s < 0) {
            return Err(Error::invalid_argument(format!("Split size at index {i} must be >= 0. Got: {s}")));
        }
        emit_pieces(ctx, x, axis, &sizes)
    }))
}

#[cfg(test)]
mod tests {
    use crate::testutil::{node, run};
    use ferroflow_framework::{DType, Tensor};

    #[test]
    fn oracle_cases() {
        crate::array::oracle::run_cases("array2.json", &["Split", "SplitV"], 0.0);
    }

    #[test]
    fn leading_axis_pieces_share_the_buffer() {
        let x = Tensor::from_vec(vec![4, 2], (0..8).map(|v| v as f32).collect::<Vec<_>>()).unwrap();
        let n = node("Split").attr_type("T", DType::Float).attr_int("num_split", 2);
        let out = run(n, vec![Tensor::scalar(0i32), x.clone()]).unwrap();
        let base = x.raw_bytes().unwrap().as_ptr() as usize;
        assert_eq!(out[1].raw_bytes().unwrap().as_ptr() as usize, base + 16);
        assert_eq!(out[1].to_vec::<f32>().unwrap(), vec![4.0, 5.0, 6.0, 7.0]);
    }
}
