//! Sparse segment reductions, the ops of `embedding_lookup_sparse` and feature columns:
//! `SparseSegmentSum`, `SparseSegmentMean`, `SparseSegmentSqrtN`, their `WithNumSegments` forms,
//! and the gradients `SparseSegmentSumGrad`, `SparseSegmentMeanGrad`, `SparseSegmentSqrtNGrad`,
//! with TF 2.21's semantics and messages.
//!
//! Output row `s` reduces the data rows `indices[i]` of every `i` with `segment_ids[i] == s`;
//! segment ids are sorted, and segments no id names are zero. Without `num_segments` there are
//! `last id + 1` rows. Mean divides by the segment's size, SqrtN by its square root. A gradient
//! scatters each segment's gradient row back to the data rows, scaled the same way, into
//! `output_dim0` rows.
//!
//! `SegmentSum` and `SegmentMean` are the dense forms: every data row is its own index.
//!
//! Concurrency: stateless kernels (`Send + Sync`). Outputs sized by request inputs are allocated
//! fallibly.

use crate::array::kernel;
use crate::cwise::num::{Float, Num};
use crate::cwise::{pod_tensor, pod_values};
use ferroflow_framework::{Cost, DType, Error, Kernel, KernelInit, OpRegistry, Result, Tensor, TensorShape, dispatch};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Reduce {
    Sum,
    Mean,
    SqrtN,
}

macro_rules! register_forward {
    ($reg:ident, $($op:literal => $kind:ident, $with_n:literal, $types:literal;)*) => {$(
        let b = $reg.op($op)
            .input("data: T")
            .input("indices: Tidx")
            .input("segment_ids: Tsegmentids");
        let b = if $with_n { b.input("num_segments: Tnumsegments") } else { b };
        let b = b.output("output: T").attr($types).attr("Tidx: {int32, int64} = DT_INT32");
        let b = if $with_n { b.attr("Tnumsegments: {int32, int64} = DT_INT32") } else { b };
        b.attr("Tsegmentids: {int32, int64} = DT_INT32")
            .attr("sparse_gradient: bool = false")
            .cost(Cost::InputElements)
            .kernel(|init| build_forward(init, Reduce::$kind, $with_n));
    )*};
}

pub(crate) fn register(reg: &mut OpRegistry) {
    register_forward!(reg,
        "SparseSegmentSum" => Sum, false, "T: {float, double, int32, uint8, int16, int8, int64, bfloat16, uint16, half, uint32, uint64}";
        "SparseSegmentSumWithNumSegments" => Sum, true, "T: {float, double, int32, uint8, int16, int8, int64, bfloat16, uint16, half, uint32, uint64}";
        "SparseSegmentMean" => Mean, false, "T: {bfloat16, half, float, double}";
        "SparseSegmentMeanWithNumSegments" => Mean, true, "T: {bfloat16, half, float, double}";
        "SparseSegmentSqrtN" => SqrtN, false, "T: {bfloat16, half, float, double}";
        "SparseSegmentSqrtNWithNumSegments" => SqrtN, true, "T: {bfloat16, half, float, double}";
    );
    reg.op("SegmentSum")
        .input("data: T")
        .input("segment_ids: Tindices")
        .output("output: T")
        .attr("T: {float, double, int32, uint8, int16, int8, complex64, int64, qint8, quint8, qint32, bfloat16, qint16, quint16, uint16, complex128, half, uint32, uint64}")
        .attr("Tindices: {int32, int64}")
        .cost(Cost::InputElements)
        .kernel(|init| build_dense(init, Reduce::Sum));
    reg.op("SegmentMean")
        .input("data: T")
        .input("segment_ids: Tindices")
        .output("output: T")
        .attr("T: {float, double, int32, uint8, int16, int8, complex64, int64, qint8, quint8, qint32, bfloat16, qint16, quint16, uint16, complex128, half, uint32, uint64}")
        .attr("Tindices: {int32, int64}")
        .cost(Cost::InputElements)
        .kernel(|init| build_dense(init, Reduce::Mean));
    for (op, kind) in [
        ("SparseSegmentSumGrad", Reduce::Sum),
        ("SparseSegmentMeanGrad", Reduce::Mean),
        ("SparseSegmentSqrtNGrad", Reduce::SqrtN),
    ] {
        reg.op(op)
            .input("grad: T")
            .input("indices: Tidx")
            .input("segment_ids: Tsegmentids")
            .input("output_dim0: int32")
            .output("output: T")
            .attr("T: {bfloat16, half, float, double}")
            .attr("Tidx: {int32, int64} = DT_INT32")
            .attr("Tsegmentids: {int32, int64} = DT_INT32")
            .cost(Cost::InputElements)
            .kernel(match kind {
                Reduce::Sum => |init| build_grad(init, Reduce::Sum),
                Reduce::Mean => |init| build_grad(init, Reduce::Mean),
                Reduce::SqrtN => |init| build_grad(init, Reduce::SqrtN),
            });
    }
}

/// A zeroed buffer of `rows` rows of `row` elements, RESOURCE_EXHAUSTED when too large.
fn rows_buffer<T: Num>(rows: usize, row: usize) -> Result<Vec<T>> {
    let len = rows.checked_mul(row).ok_or_else(|| Error::resource_exhausted("segment output too large"))?;
    let mut v = Vec::new();
    v.try_reserve_exact(len)
        .map_err(|_| Error::resource_exhausted(format!("OOM when allocating a segment output of {rows} rows")))?;
    v.resize(len, T::ZERO);
    Ok(v)
}

/// The element arithmetic of the reductions: the scale of a segment of `n` rows.
trait SegmentNum: Num {
    fn scale(kind: Reduce, n: usize) -> Self;
}
impl<T: Num> SegmentNum for T {
    fn scale(_: Reduce, _: usize) -> T {
        T::ONE
    }
}

fn float_scale<T: Float>(kind: Reduce, n: usize) -> T {
    match kind {
        Reduce::Sum => T::ONE,
        Reduce::Mean => T::ONE.div(T::from_f64(n as f64)),
        Reduce::SqrtN => T::ONE.div(T::from_f64(n as f64).sqrt()),
    }
}

/// Checks indices and segment ids as TF does; the segment ids and the indices as usizes.
fn vectors(indices: &Tensor, ids: &Tensor) -> Result<(Vec<i64>, Vec<i64>)> {
    if indices.rank() != 1 {
        return Err(Error::invalid_argument("indices should be a vector."));
    }
    if ids.rank() != 1 {
        return Err(Error::invalid_argument("segment_ids should be a vector."));
    }
    if indices.num_elements() != ids.num_elements() {
        return Err(Error::invalid_argument("segment_ids and indices should have same size."));
    }
    Ok((indices.to_i64_vec()?, ids.to_i64_vec()?))
}

type ForwardFn = fn(&Tensor, &[i64], &[i64], usize, Reduce) -> Result<Tensor>;

fn forward<T: Num>(data: &Tensor, idx: &[i64], ids: &[i64], rows: usize, kind: Reduce, scale: fn(Reduce, usize) -> T) -> Result<Tensor> {
    let d = pod_values::<T>(data, data.dtype())?;
    let data_rows = data.dims()[0];
    let row: usize = data.dims()[1..].iter().product::<i64>() as usize;
    let mut out = rows_buffer::<T>(rows, row)?;
    let mut start = 0;
    while start < ids.len() {
        let seg = ids[start];
        let mut end = start;
        while end < ids.len() && ids[end] == seg {
            end += 1;
        }
        if seg < 0 {
            return Err(Error::invalid_argument("segment ids must be >= 0"));
        }
        if seg as usize >= rows {
            return Err(Error::invalid_argument("segment ids must be < num_segments"));
        }
        if end < ids.len() && ids[end] < seg {
            return Err(Error::invalid_argument("segment ids are not increasing"));
        }
        let dst = &mut out[seg as usize * row..(seg as usize + 1) * row];
        for (i, &r) in idx.iter().enumerate().take(end).skip(start) {
            if r < 0 || r >= data_rows {
                return Err(Error::invalid_argument(format!("Bad: indices[{i}] == {r} out of range [0, {data_rows})")));
            }
            let src = &d[r as usize * row..(r as usize + 1) * row];
            dst.iter_mut().zip(src).for_each(|(o, &v)| *o = o.add(v));
        }
        let s = scale(kind, end - start);
        if kind != Reduce::Sum {
            dst.iter_mut().for_each(|o| *o = o.mul(s));
        }
        start = end;
    }
    let mut dims = vec![rows as i64];
    dims.extend_from_slice(&data.dims()[1..]);
    pod_tensor(data.dtype(), TensorShape::new(dims), out)
}

fn forward_real<T: Num>(data: &Tensor, idx: &[i64], ids: &[i64], rows: usize, kind: Reduce) -> Result<Tensor> {
    forward::<T>(data, idx, ids, rows, kind, <T as SegmentNum>::scale)
}

fn forward_float<T: Float>(data: &Tensor, idx: &[i64], ids: &[i64], rows: usize, kind: Reduce) -> Result<Tensor> {
    forward::<T>(data, idx, ids, rows, kind, float_scale::<T>)
}

fn build_forward(init: &KernelInit<'_>, kind: Reduce, with_num_segments: bool) -> Result<Kernel> {
    init.expect_inputs(3 + with_num_segments as usize)?;
    let dtype = init.attrs.get_type("T")?;
    let f: ForwardFn = if kind == Reduce::Sum {
        dispatch!(real, dtype, T => forward_real::<T>, return Err(crate::cwise::no_kernel(init, &format!("T={dtype}"))))
    } else {
        dispatch!(float, dtype, T => forward_float::<T>, return Err(crate::cwise::no_kernel(init, &format!("T={dtype}"))))
    };
    Ok(kernel(1, move |ctx| {
        let data = ctx.input(0);
        if data.rank() < 1 {
            return Err(Error::invalid_argument("data must be at least 1-D"));
        }
        let (idx, ids) = vectors(ctx.input(1), ctx.input(2))?;
        let rows = if with_num_segments {
            let n = ctx.input(3);
            if n.rank() != 0 {
                return Err(Error::invalid_argument(format!("num_segments should be a scalar, not shape {}", n.shape())));
            }
            let n = n.to_i64_vec()?[0];
            if n < 0 {
                return Err(Error::invalid_argument(format!("num_segments must be >= 0, got {n}")));
            }
            n as usize
        } else {
            ids.last().map_or(0, |&l| (l + 1).max(0) as usize)
        };
        let out = f(data, &idx, &ids, rows, kind)?;
        ctx.set_output(0, out);
        Ok(())
    }))
}

/// `SegmentSum`/`SegmentMean`: the sparse reduction with every row its own index.
fn build_dense(init: &KernelInit<'_>, kind: Reduce) -> Result<Kernel> {
    init.expect_inputs(2)?;
    let dtype = init.attrs.get_type("T")?;
    let f: ForwardFn = if kind == Reduce::Sum {
        dispatch!(real, dtype, T => forward_real::<T>, return Err(crate::cwise::no_kernel(init, &format!("T={dtype}"))))
    } else {
        dispatch!(float, dtype, T => forward_float::<T>, return Err(crate::cwise::no_kernel(init, &format!("T={dtype}"))))
    };
    Ok(kernel(1, move |ctx| {
        let (data, ids) = (ctx.input(0), ctx.input(1));
        if data.rank() < 1 {
            return Err(Error::invalid_argument("input must be at least rank 1"));
        }
        if ids.rank() != 1 {
            return Err(Error::invalid_argument("segment_ids should be a vector."));
        }
        if ids.num_elements() as i64 != data.dims()[0] {
            return Err(Error::invalid_argument("segment_ids should be the same size as dimension 0 of input."));
        }
        let ids = ids.to_i64_vec()?;
        let idx: Vec<i64> = (0..ids.len() as i64).collect();
        let rows = ids.last().map_or(0, |&l| (l + 1).max(0) as usize);
        let out = f(data, &idx, &ids, rows, kind)?;
        ctx.set_output(0, out);
        Ok(())
    }))
}

type GradFn = fn(&Tensor, &[i64], &[i64], usize, Reduce) -> Result<Tensor>;

fn grad<T: Float>(g: &Tensor, idx: &[i64], ids: &[i64], rows: usize, kind: Reduce) -> Result<Tensor> {
    let gv = pod_values::<T>(g, g.dtype())?;
    let segments = g.dims()[0];
    let row: usize = g.dims()[1..].iter().product::<i64>() as usize;
    // Segment sizes for the scales.
    let mut counts = vec![0usize; segments.max(0) as usize];
    for &s in ids {
        if s < 0 || s >= segments {
            return Err(Error::invalid_argument(format!("Segment id {s} out of range [0, {segments}).")));
        }
        counts[s as usize] += 1;
    }
    let mut out = rows_buffer::<T>(rows, row)?;
    for (&r, &s) in idx.iter().zip(ids) {
        if r < 0 || r as usize >= rows {
            return Err(Error::invalid_argument(format!("Index {r} out of range [0, {rows}).")));
        }
        let scale = float_scale::<T>(kind, counts[s as usize]);
        let src = &gv[s as usize * row..(s as usize + 1) * row];
        let dst = &mut out[r as usize * row..(r as usize + 1) * row];
        dst.iter_mut().zip(src).for_each(|(o, &v)| *o = o.add(v.mul(scale)));
    }
    let mut dims = vec![rows as i64];
    dims.extend_from_slice(&g.dims()[1..]);
    pod_tensor(g.dtype(), TensorShape::new(dims), out)
}

fn build_grad(init: &KernelInit<'_>, kind: Reduce) -> Result<Kernel> {
    init.expect_inputs(4)?;
    let dtype = init.attrs.get_type_in("T", &[DType::Float, DType::Double])?;
    let f: GradFn = dispatch!(float, dtype, T => grad::<T>, return Err(Error::internal("unreachable dtype")));
    Ok(kernel(1, move |ctx| {
        let g = ctx.input(0);
        if g.rank() < 1 {
            return Err(Error::invalid_argument("grad must be at least 1-D"));
        }
        let (idx, ids) = vectors(ctx.input(1), ctx.input(2))?;
        let dim0 = ctx.input(3);
        if dim0.rank() != 0 {
            return Err(Error::invalid_argument("output_dim0 should be a scalar."));
        }
        let rows = dim0.to_i64_vec()?[0];
        if rows < 0 {
            return Err(Error::invalid_argument(format!("output_dim0 must be >= 0, got {rows}")));
        }
        let out = f(g, &idx, &ids, rows as usize, kind)?;
        ctx.set_output(0, out);
        Ok(())
    }))
}

#[cfg(test)]
mod tests {
    #[test]
    fn tf_oracle_cases() {
        let ops = [
            "SparseSegmentSum",
            "SparseSegmentSumWithNumSegments",
            "SparseSegmentMean",
            "SparseSegmentMeanWithNumSegments",
            "SparseSegmentSqrtN",
            "SparseSegmentSqrtNWithNumSegments",
            "SparseSegmentSumGrad",
            "SparseSegmentMeanGrad",
            "SparseSegmentSqrtNGrad",
            "SegmentSum",
            "SegmentMean",
        ];
        assert!(crate::array::oracle::run_cases("embedding.json", &ops, 1e-6) >= 30);
    }
}
