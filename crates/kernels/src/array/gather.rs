//! GatherV2 (and the older Gather), Tile and BroadcastGradientArgs. Stateless kernels; gathers
//! validate every index before copying, so a bad index fails the op without a partial output.

use super::elems::{Elem, Mover, move_elements};
use super::{checked_shape, kernel, prod};
use ferroflow_framework::{Cost, DType, Error, Kernel, KernelInit, OpRegistry, Result, Tensor, TensorShape};

pub(super) fn register(reg: &mut OpRegistry) {
    reg.op("GatherV2")
        .input("params: Tparams")
        .input("indices: Tindices")
        .input("axis: Taxis")
        .output("output: Tparams")
        .attr("batch_dims: int = 0")
        .attr("Tparams: type")
        .attr("Tindices: {int16, int32, int64}")
        .attr("Taxis: {int32, int64}")
        .cost(Cost::InputElements)
        .kernel(gather_v2);
    reg.op("Gather")
        .input("params: Tparams")
        .input("indices: Tindices")
        .output("output: Tparams")
        .attr("validate_indices: bool = true")
        .attr("Tparams: type")
        .attr("Tindices: {int32, int64}")
        .cost(Cost::InputElements)
        .kernel(gather_v1);
    reg.op("Tile")
        .input("input: T")
        .input("multiples: Tmultiples")
        .output("output: T")
        .attr("T: type")
        .attr("Tmultiples: {int32, int64} = DT_INT32")
        .kernel(|_| {
        Ok(kernel(1, |ctx| {
            let out = tile(ctx.input(0), ctx.input(1))?;
            ctx.set_output(0, out);
            Ok(())
        }))
    });
    reg.op("BroadcastGradientArgs")
        .input("s0: T")
        .input("s1: T")
        .output("r0: T")
        .output("r1: T")
        .attr("T: {int32, int64} = DT_INT32")
        .cost(Cost::Trivial)
        .kernel(broadcast_gradient_args);
}

fn index_types(init: &KernelInit<'_>) -> Result<()> {
    init.attrs.get_type_in("Tindices", &[DType::Int32, DType::Int64])?;
    Ok(())
}

fn gather_v2(init: &KernelInit<'_>) -> Result<Kernel> {
    index_types(init)?;
    let batch_dims = init.attrs.get_int_or("batch_dims", 0)?;
    Ok(kernel(1, move |ctx| {
        let axis_t = ctx.input(2);
        if axis_t.rank() != 0 {
            return Err(Error::invalid_argument("axis must be scalar"));
        }
        let axis = axis_t.to_i64_vec()?[0];
        let out = gather(ctx.input(0), ctx.input(1), axis, batch_dims)?;
        ctx.set_output(0, out);
        Ok(())
    }))
}

fn gather_v1(init: &KernelInit<'_>) -> Result<Kernel> {
    index_types(init)?;
    Ok(kernel(1, |ctx| {
        let out = gather(ctx.input(0), ctx.input(1), 0, 0)?;
        ctx.set_output(0, out);
        Ok(())
    }))
}

/// `indices[i,j] = v is not in [0, limit)` with the flat position `k` shown as coordinates.
fn bad_index(indices: &TensorShape, k: usize, v: i64, limit: i64) -> Error {
    if indices.rank() == 0 {
        return Error::invalid_argument(format!("indices = {v} is not in [0, {limit})"));
    }
    let mut coords = vec![0usize; indices.rank()];
    let mut rest = k;
    for (c, &d) in coords.iter_mut().zip(indices.dims()).rev() {
        *c = rest % d as usize;
        rest /= d as usize;
    }
    let shown: Vec<String> = coords.iter().map(|c| c.to_string()).collect();
    Error::invalid_argument(format!("indices[{}] = {v} is not in [0, {limit})", shown.join(",")))
}

/// Gathers slices of `params` along `axis`; `batch_dims` leading dimensions are shared by
/// params and indices.
pub(crate) fn gather(params: &Tensor, indices: &Tensor, axis: i64, batch_dims: i64) -> Result<Tensor> {
    if params.rank() == 0 {
        return Err(Error::invalid_argument("params must be at least 1 dimensional"));
    }
    let pr = params.rank() as i64;
    let min_rank = if axis < 0 { axis.saturating_neg() } else { axis.saturating_add(1) };
    if pr < min_rank {
        return Err(Error::invalid_argument(format!("Shape must be at least rank {min_rank} but is rank {pr}")));
    }
    let axis = if axis < 0 { axis + pr } else { axis };
    let mut bd = batch_dims;
    if bd != 0 {
        let ir = indices.rank() as i64;
        if bd < -ir || bd > ir {
            return Err(Error::invalid_argument(format!(
                "Expected batch_dims in the range [{}, {ir}], but got {bd}",
                -ir
            )));
        }
        if bd < 0 {
            bd += ir;
        }
        if bd >= pr {
            return Err(Error::invalid_argument(format!("batch_dims ({bd}) must be less than rank(params) ({pr}).")));
        }
        if axis < bd {
            return Err(Error::invalid_argument(format!(
                "batch_dims ({bd}) must be less than or equal to axis ({axis})."
            )));
        }
        for i in 0..bd as usize {
            if params.dims()[i] != indices.dims()[i] {
                return Err(Error::invalid_argument(format!(
                    "params.shape[{i}]: {} should be equal to indices.shape[{i}]: {}",
                    params.dims()[i],
                    indices.dims()[i]
                )));
            }
        }
    }
    let (axis, bd) = (axis as usize, bd as usize);
    let pd = params.dims();
    let limit = pd[axis];
    let idx = indices.to_i64_vec()?;
    if let Some((k, &v)) = idx.iter().enumerate().find(|&(_, &v)| v < 0 || v >= limit) {
        return Err(bad_index(indices.shape(), k, v, limit));
    }
    let mut out_dims = pd[..axis].to_vec();
    out_dims.extend_from_slice(&indices.dims()[bd..]);
    out_dims.extend_from_slice(&pd[axis + 1..]);
    let g = Gather {
        batch: prod(&pd[..bd]),
        outer: prod(&pd[bd..axis]),
        limit: limit as usize,
        inner: prod(&pd[axis + 1..]),
        per_batch: prod(&indices.dims()[bd..]),
        idx,
    };
    move_elements(params.dtype(), &[params], TensorShape::new(out_dims), &g)
}

struct Gather {
    batch: usize,
    outer: usize,
    limit: usize,
    inner: usize,
    per_batch: usize,
    idx: Vec<i64>,
}

impl Mover for Gather {
    fn fill<E: Elem>(&self, srcs: &[&[E]], out: &mut Vec<E>) -> Result<()> {
        let p = srcs[0];
        let (inner, limit) = (self.inner, self.limit);
        for b in 0..self.batch {
            let ids = &self.idx[b * self.per_batch..(b + 1) * self.per_batch];
            for o in 0..self.outer {
                let base = (b * self.outer + o) * limit;
                if inner == 1 {
                    out.extend(ids.iter().map(|&i| p[base + i as usize].clone()));
                } else {
                    for &i in ids {
                        let from = (base + i as usize) * inner;
                        out.extend_from_slice(&p[from..from + inner]);
                    }
                }
            }
        }
        Ok(())
    }
}

fn tile(input: &Tensor, multiples: &Tensor) -> Result<Tensor> {
    if multiples.rank() != 1 {
        return Err(Error::invalid_argument(format!(
            "Expected multiples to be 1-D, but got shape {}",
            multiples.shape()
        )));
    }
    let m = multiples.to_i64_vec()?;
    if m.len() != input.rank() {
        return Err(Error::invalid_argument(format!(
            "Expected multiples argument to be a vector of length {} but got length {}",
            input.rank(),
            m.len()
        )));
    }
    if let Some((i, v)) = m.iter().enumerate().find(|&(_, &v)| v < 0) {
        return Err(Error::invalid_argument(format!("Expected multiples[{i}] >= 0, but got {v}")));
    }
    let out_dims: Vec<i64> = input.dims().iter().zip(&m).map(|(&d, &k)| d.saturating_mul(k)).collect();
    let shape = checked_shape(&out_dims)?;
    if m.iter().all(|&k| k == 1) {
        return Ok(input.clone());
    }
    let t = Tile {
        dims: input.dims().iter().map(|&d| d as usize).collect(),
        mult: m.iter().map(|&k| k as usize).collect(),
    };
    move_elements(input.dtype(), &[input], shape, &t)
}

struct Tile {
    dims: Vec<usize>,
    mult: Vec<usize>,
}

impl Tile {
    /// Appends the tiled block of dimensions `d..` whose input starts at `from`.
    fn block<E: Elem>(&self, src: &[E], d: usize, from: usize, stride: &[usize], out: &mut Vec<E>) {
        let start = out.len();
        if d + 1 == self.dims.len() {
            let row = &src[from..from + self.dims[d]];
            for _ in 0..self.mult[d] {
                out.extend_from_slice(row);
            }
            return;
        }
        for i in 0..self.dims[d] {
            self.block(src, d + 1, from + i * stride[d], stride, out);
        }
        let len = out.len() - start;
        for _ in 1..self.mult[d] {
            out.extend_from_within(start..start + len);
        }
        if self.mult[d] == 0 {
            out.truncate(start);
        }
    }
}

impl Mover for Tile {
    fn fill<E: Elem>(&self, srcs: &[&[E]], out: &mut Vec<E>) -> Result<()> {
        if self.dims.is_empty() {
            out.extend_from_slice(srcs[0]);
            return Ok(());
        }
        if self.dims.iter().zip(&self.mult).any(|(&d, &k)| d == 0 || k == 0) {
            return Ok(());
        }
        let stride = super::strides_of(&self.dims);
        self.block(srcs[0], 0, 0, &stride, out);
        Ok(())
    }
}

/// The reduction indices of `BroadcastGradientArgs`, or `None` when the shapes do not broadcast.
fn gradient_reduction_indices(x: &[i64], y: &[i64]) -> Option<(Vec<i64>, Vec<i64>)> {
    if x == y {
        return Some((Vec::new(), Vec::new()));
    }
    let n = x.len().max(y.len());
    let at = |v: &[i64], i: usize| if i < v.len() { v[v.len() - 1 - i] } else { 1 };
    let (mut rx, mut ry) = (Vec::new(), Vec::new());
    for i in 0..n {
        let (xi, yi) = (at(x, i), at(y, i));
        let axis = (n - 1 - i) as i64;
        if xi == yi {
            if xi == 1 {
                rx.push(axis);
                ry.push(axis);
            }
        } else if xi == 1 {
            rx.push(axis);
        } else if yi == 1 {
            ry.push(axis);
        } else {
            return None;
        }
    }
    rx.reverse();
    ry.reverse();
    Some((rx, ry))
}

fn broadcast_gradient_args(init: &KernelInit<'_>) -> Result<Kernel> {
    let dtype = super::type_attr_or(init, "T", DType::Int32, &[DType::Int32, DType::Int64])?;
    Ok(kernel(2, move |ctx| {
        let mut shapes = Vec::with_capacity(2);
        for i in 0..2 {
            let t = ctx.input(i);
            if t.rank() != 1 {
                return Err(Error::invalid_argument(format!("In[{i}] must be a vector.{}", t.shape())));
            }
            shapes.push(t.to_i64_vec()?);
        }
        let (rx, ry) = gradient_reduction_indices(&shapes[0], &shapes[1]).ok_or_else(|| {
            Error::invalid_argument(format!(
                "Incompatible shapes: {} vs. {}",
                TensorShape::new(shapes[0].clone()),
                TensorShape::new(shapes[1].clone())
            ))
        })?;
        for (k, r) in [rx, ry].into_iter().enumerate() {
            let n = r.len() as i64;
            let t = if dtype == DType::Int32 {
                Tensor::from_vec(vec![n], r.into_iter().map(|v| v as i32).collect::<Vec<_>>())?
            } else {
                Tensor::from_vec(vec![n], r)?
            };
            ctx.set_output(k, t);
        }
        Ok(())
    }))
}

#[cfg(test)]
mod tests {
    use crate::testutil::{node, run};
    use ferroflow_framework::{DType, Tensor};

    #[test]
    fn oracle_cases() {
        crate::array::oracle::run_cases("array.json", &["GatherV2", "Gather", "Tile", "BroadcastGradientArgs"], 1e-5);
    }

    #[test]
    fn gather_v1_takes_rows() {
        let p = Tensor::from_vec(vec![3, 2], vec![1i64, 2, 3, 4, 5, 6]).unwrap();
        let i = Tensor::from_vec(vec![2], vec![2i32, 0]).unwrap();
        let n = node("Gather").attr_type("Tparams", DType::Int64).attr_type("Tindices", DType::Int32);
        let out = run(n, vec![p, i]).unwrap();
        assert_eq!(out[0].to_vec::<i64>().unwrap(), vec![5, 6, 1, 2]);
    }

    #[test]
    fn tile_of_ones_shares_the_input() {
        let x = Tensor::from_vec(vec![2], vec![1.0f32, 2.0]).unwrap();
        let m = Tensor::from_vec(vec![1], vec![1i32]).unwrap();
        let out = run(node("Tile").attr_type("T", DType::Float), vec![x.clone(), m]).unwrap();
        assert_eq!(out[0].raw_bytes().unwrap().as_ptr(), x.raw_bytes().unwrap().as_ptr());
    }
}
