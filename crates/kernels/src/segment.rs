//! Summing and stitching ops: `AddN` (element-wise sum of N same-shape tensors),
//! `UnsortedSegmentSum`/`Max`/`Min`/`Prod` (rows of `data` reduced into the segment each row's id
//! names; empty segments hold the reduction's identity, the lowest or highest value for max and
//! min), the sorted `SegmentMax`/`Min`/`Prod` (ids ascending, one output row per id up to the
//! last, gaps 0 for max and min and 1 for products; NaN propagates through max and min) and
//! `DynamicStitch` and `ParallelDynamicStitch` (rows of N data tensors interleaved into one by their int32 indices), with
//! TensorFlow 2.21's semantics and error messages: negative segment ids are dropped, ids at or past
//! `num_segments` are INVALID_ARGUMENT, and when stitch indices repeat the later one wins.
//!
//! Concurrency: every kernel here is stateless — built once per graph from its attributes (the
//! dtype, resolved to a monomorphized function at build time), then run concurrently by any number
//! of steps (`Send + Sync`, no interior mutability); each call computes on the calling thread.

use crate::array::{checked_shape, kernel, prod};
use crate::cwise::num::Num;
use crate::cwise::type_attr;
use bytes::Bytes;
use ferroflow_framework::{Cost, 
    dispatch, DType, Error, Kernel, KernelInit, OpRegistry, OpKernelContext, Result, Tensor,
};

pub(crate) fn register(reg: &mut OpRegistry) {
    reg.op("AddN")
        .input("inputs: N * T")
        .output("sum: T")
        .attr("N: int >= 1")
        .attr("T: {float, double, int32, uint8, int16, int8, complex64, int64, qint8, quint8, qint32, bfloat16, qint16, quint16, uint16, complex128, half, uint32, uint64, variant}")
        .cost(Cost::Elementwise)
        .kernel(add_n);
    reg.op("UnsortedSegmentSum")
        .input("data: T")
        .input("segment_ids: Tindices")
        .input("num_segments: Tnumsegments")
        .output("output: T")
        .attr("T: {float, double, int32, uint8, int16, int8, complex64, int64, qint8, quint8, qint32, bfloat16, qint16, quint16, uint16, complex128, half, uint32, uint64}")
        .attr("Tindices: {int16, int32, int64}")
        .attr("Tnumsegments: {int32, int64} = DT_INT32")
        .kernel(|init| unsorted_segment(init, SegmentOp::Sum));
    for (name, op) in [("UnsortedSegmentMax", SegmentOp::Max), ("UnsortedSegmentMin", SegmentOp::Min), ("UnsortedSegmentProd", SegmentOp::Prod)] {
        let b = reg
            .op(name)
            .input("data: T")
            .input("segment_ids: Tindices")
            .input("num_segments: Tnumsegments")
            .output("output: T")
            .attr(if op == SegmentOp::Prod { NUMBERS } else { REALS })
            .attr("Tindices: {int16, int32, int64}")
            .attr("Tnumsegments: {int32, int64} = DT_INT32");
        match op {
            SegmentOp::Max => b.kernel(|init| unsorted_segment(init, SegmentOp::Max)),
            SegmentOp::Min => b.kernel(|init| unsorted_segment(init, SegmentOp::Min)),
            _ => b.kernel(|init| unsorted_segment(init, SegmentOp::Prod)),
        };
    }
    for (name, op) in [("SegmentMax", SegmentOp::Max), ("SegmentMin", SegmentOp::Min), ("SegmentProd", SegmentOp::Prod)] {
        let b = (reg.op(name).input("data: T").input("segment_ids: Tindices"))
            .output("output: T")
            .attr(if op == SegmentOp::Prod { NUMBERS } else { REALS })
            .attr("Tindices: {int32, int64}");
        match op {
            SegmentOp::Max => b.kernel(|init| sorted_segment(init, SegmentOp::Max)),
            SegmentOp::Min => b.kernel(|init| sorted_segment(init, SegmentOp::Min)),
            _ => b.kernel(|init| sorted_segment(init, SegmentOp::Prod)),
        };
    }
    reg.op("DynamicStitch")
        .input("indices: N * int32")
        .input("data: N * T")
        .output("merged: T")
        .attr("N: int >= 1")
        .attr("T: type")
        .cost(Cost::InputElements)
        .kernel(dynamic_stitch);
    // The parallel form merges the same way; TF leaves duplicate indices' winner unspecified for
    // it, and this one keeps the later, as DynamicStitch does.
    reg.op("ParallelDynamicStitch")
        .input("indices: N * int32")
        .input("data: N * T")
        .output("merged: T")
        .attr("N: int >= 1")
        .attr("T: type")
        .cost(Cost::InputElements)
        .kernel(dynamic_stitch);
}

/// The real types of TF's `numbertypes`, in the op definitions' order.
const NUMBER_TYPES: &[DType] = DType::REAL;

/// Reads count attr `N` (at least `min`, as the op definitions require).
fn count_attr(init: &KernelInit<'_>, min: i64) -> Result<usize> {
    let n = init.attrs.get_int("N")?;
    if n < min {
        return Err(Error::invalid_argument(format!(
            "Value for attr 'N' of {n} must be at least minimum {min}\n\t; NodeDef: {{{{node {}}}}}; Op<name={}>",
            init.node.name, init.node.op
        )));
    }
    Ok(n as usize)
}

// ---------------------------------------------------------------------------------------------
// AddN

fn add_n(init: &KernelInit<'_>) -> Result<Kernel> {
    let n = count_attr(init, 1)?;
    init.expect_inputs(n)?;
    let allowed: Vec<DType> = NUMBER_TYPES.iter().copied().chain([DType::Variant]).collect();
    let t = type_attr(init, "T", &allowed, &allowed)?;
    if t == DType::Variant {
        return Ok(kernel(1, add_n_variants));
    }
    let f: fn(&mut OpKernelContext<'_>) -> Result<()> = dispatch!(real, t, T => add_n_typed::<T>, return Err(Error::internal(format!("AddN: unexpected dtype {t}"))));
    Ok(kernel(1, f))
}

/// The shapes of AddN's inputs must all be the first one's (TF's message).
fn check_same_shapes(ctx: &OpKernelContext<'_>) -> Result<()> {
    let inputs = ctx.inputs();
    let first = &inputs[0];
    for (i, x) in inputs.iter().enumerate().skip(1) {
        if x.shape() != first.shape() {
            return Err(Error::invalid_argument(format!(
                "Inputs to operation {} of type AddN must have the same size and shape.  Input 0: {} != input {i}: {}",
                ctx.node_name,
                first.shape(),
                x.shape()
            )));
        }
    }
    Ok(())
}

/// AddN of variants (gradient accumulation of lists and optionals): each value's own sum.
fn add_n_variants(ctx: &mut OpKernelContext<'_>) -> Result<()> {
    check_same_shapes(ctx)?;
    let device = ctx.step.device_name.clone();
    let inputs = ctx.inputs();
    let mut acc = inputs[0].clone();
    for x in &inputs[1..] {
        acc = crate::tensor_ops::add_tensors(&acc, x, &device)?;
    }
    ctx.set_output(0, acc);
    Ok(())
}

fn add_n_typed<T: Num>(ctx: &mut OpKernelContext<'_>) -> Result<()> {
    check_same_shapes(ctx)?;
    let inputs = ctx.inputs();
    let first = &inputs[0];
    if inputs.len() == 1 {
        ctx.set_output(0, first.clone());
        return Ok(());
    }
    let mut acc: Vec<T> = first.to_vec::<T>()?;
    for x in &inputs[1..] {
        let v = x.values::<T>()?;
        for (a, &b) in acc.iter_mut().zip(v.iter()) {
            *a = a.add(b);
        }
    }
    ctx.set_output(0, Tensor::from_vec(first.shape().clone(), acc)?);
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// UnsortedSegmentSum

const REALS: &str = "T: {float, double, int32, uint8, int16, int8, int64, bfloat16, uint16, half, uint32, uint64}";
const NUMBERS: &str = "T: {float, double, int32, uint8, int16, int8, complex64, int64, qint8, quint8, qint32, bfloat16, qint16, quint16, uint16, complex128, half, uint32, uint64}";

/// How a segment's rows combine.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum SegmentOp {
    Sum,
    Max,
    Min,
    Prod,
}

impl SegmentOp {
    /// What an empty segment of an unsorted reduction holds.
    fn identity<T: Num>(self) -> T {
        match self {
            SegmentOp::Sum => T::ZERO,
            SegmentOp::Max => T::LOWEST,
            SegmentOp::Min => T::HIGHEST,
            SegmentOp::Prod => T::ONE,
        }
    }

    /// What a missing id of a sorted reduction holds.
    fn gap<T: Num>(self) -> T {
        if self == SegmentOp::Prod { T::ONE } else { T::ZERO }
    }

    #[inline(always)]
    fn combine<T: Num>(self, a: T, b: T) -> T {
        match self {
            SegmentOp::Sum => a.add(b),
            SegmentOp::Max => a.max_nan(b),
            SegmentOp::Min => a.min_nan(b),
            SegmentOp::Prod => a.mul(b),
        }
    }
}

type SegmentFn = fn(&mut OpKernelContext<'_>, SegmentOp) -> Result<()>;

fn unsorted_segment(init: &KernelInit<'_>, op: SegmentOp) -> Result<Kernel> {
    init.expect_inputs(3)?;
    let t = type_attr(init, "T", NUMBER_TYPES, NUMBER_TYPES)?;
    init.attrs
        .get_type_in("Tindices", &[DType::Int32, DType::Int64])?;
    init.attrs
        .get_type_in("Tnumsegments", &[DType::Int32, DType::Int64])?;
    let f: SegmentFn = dispatch!(real, t, T => unsorted_segment_typed::<T>,
        return Err(Error::internal(format!("UnsortedSegment{op:?}: unexpected dtype {t}"))));
    Ok(kernel(1, move |ctx| f(ctx, op)))
}

fn sorted_segment(init: &KernelInit<'_>, op: SegmentOp) -> Result<Kernel> {
    init.expect_inputs(2)?;
    let t = type_attr(init, "T", NUMBER_TYPES, NUMBER_TYPES)?;
    init.attrs.get_type_in("Tindices", &[DType::Int32, DType::Int64])?;
    let f: SegmentFn = dispatch!(real, t, T => sorted_segment_typed::<T>,
        return Err(Error::internal(format!("Segment{op:?}: unexpected dtype {t}"))));
    Ok(kernel(1, move |ctx| f(ctx, op)))
}

/// `SegmentMax`/`Min`/`Prod`: runs of equal ascending ids, each reduced into its id's row, with
/// TF's checks in TF's order (a decrease before a range error of the segment it ends).
fn sorted_segment_typed<T: Num>(ctx: &mut OpKernelContext<'_>, op: SegmentOp) -> Result<()> {
    let (data, ids) = (ctx.input(0), ctx.input(1));
    if ids.rank() != 1 {
        return Err(Error::invalid_argument("segment_ids should be a vector."));
    }
    let n = ids.num_elements();
    if data.rank() == 0 || data.dims()[0] as usize != n {
        return Err(Error::invalid_argument("segment_ids should be the same size as dimension 0 of input."));
    }
    let ids_v = ids.to_i64_vec()?;
    let rows = ids_v.last().map_or(0, |&last| last + 1);
    let mut out_dims = vec![rows.max(0)];
    out_dims.extend_from_slice(&data.dims()[1..]);
    let inner = prod(&data.dims()[1..]);
    let mut start = 0;
    while start < n {
        let id = ids_v[start];
        let mut end = start + 1;
        while end < n && ids_v[end] == id {
            end += 1;
        }
        if end < n && ids_v[end] < id {
            return Err(Error::invalid_argument("segment ids are not increasing"));
        }
        if id < 0 || id >= rows {
            return Err(Error::invalid_argument(format!(
                "Segment id {id} out of range [0, {rows}), possibly because 'segment_ids' input is not sorted."
            )));
        }
        start = end;
    }
    let out_shape = checked_shape(&out_dims)?;
    let mut out = ctx.allocate::<T>(out_shape)?;
    out.fill(op.gap());
    let vals = data.values::<T>()?;
    let mut start = 0;
    while start < n {
        let id = ids_v[start] as usize;
        let dst = &mut out[id * inner..(id + 1) * inner];
        dst.copy_from_slice(&vals[start * inner..(start + 1) * inner]);
        let mut i = start + 1;
        while i < n && ids_v[i] as usize == id {
            for (o, &v) in dst.iter_mut().zip(&vals[i * inner..(i + 1) * inner]) {
                *o = op.combine(*o, v);
            }
            i += 1;
        }
        start = i;
    }
    ctx.set_output(0, out.into_tensor());
    Ok(())
}

/// TF's `SliceDebugString`: the multi-index of flat element `flat` of `shape` ("" for scalars).
fn slice_debug_string(shape: &[i64], flat: usize) -> String {
    match shape.len() {
        0 => String::new(),
        1 => format!("[{flat}]"),
        _ => {
            let mut idx = vec![0usize; shape.len()];
            let mut rem = flat;
            for d in (0..shape.len()).rev() {
                let size = shape[d] as usize;
                idx[d] = rem % size;
                rem /= size;
            }
            let parts: Vec<String> = idx.iter().map(|i| i.to_string()).collect();
            format!("[{}]", parts.join(","))
        }
    }
}

fn unsorted_segment_typed<T: Num>(ctx: &mut OpKernelContext<'_>, op: SegmentOp) -> Result<()> {
    let data = ctx.input(0);
    let ids = ctx.input(1);
    let num_segments = ctx.input(2);
    if !num_segments.shape().is_scalar() {
        return Err(Error::invalid_argument(format!(
            "num_segments should be a scalar, not shape {}",
            num_segments.shape()
        )));
    }
    if !data.dims().starts_with(ids.dims()) {
        return Err(Error::invalid_argument(format!(
            "data.shape = {} does not start with segment_ids.shape = {}",
            data.shape(),
            ids.shape()
        )));
    }
    let rows = num_segments.to_i64_vec()?[0];
    if rows < 0 {
        return Err(Error::invalid_argument(format!(
            "Input num_segments == {rows} must not be negative."
        )));
    }
    let mut out_dims = vec![rows];
    out_dims.extend_from_slice(&data.dims()[ids.rank()..]);
    let out_shape = checked_shape(&out_dims)?;
    let inner = prod(&data.dims()[ids.rank()..]);
    let mut out = ctx.allocate::<T>(out_shape)?;
    if op != SegmentOp::Sum {
        out.fill(op.identity());
    }
    if data.num_elements() > 0 {
        let ids_v = ids.to_i64_vec()?;
        let vals = data.values::<T>()?;
        for (i, &j) in ids_v.iter().enumerate() {
            if j < 0 {
                continue;
            }
            if j >= rows {
                return Err(Error::invalid_argument(format!(
                    "segment_ids{} = {j} is out of range [0, {rows})",
                    slice_debug_string(ids.dims(), i)
                )));
            }
            let dst = &mut out[j as usize * inner..(j as usize + 1) * inner];
            for (o, &v) in dst.iter_mut().zip(&vals[i * inner..(i + 1) * inner]) {
                *o = op.combine(*o, v);
            }
        }
    }
    ctx.set_output(0, out.into_tensor());
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// DynamicStitch

fn dynamic_stitch(init: &KernelInit<'_>) -> Result<Kernel> {
    let n = count_attr(init, 1)?;
    init.expect_inputs(2 * n)?;
    let t = init.attrs.get_type("T")?;
    if t == DType::Resource {
        return Err(crate::cwise::no_kernel(init, "T=DT_RESOURCE"));
    }
    Ok(kernel(1, move |ctx| stitch(ctx, n, t)))
}

fn stitch(ctx: &mut OpKernelContext<'_>, n: usize, t: DType) -> Result<()> {
    let inputs = ctx.inputs();
    let (indices, data) = inputs.split_at(n);
    let idx: Vec<Vec<i64>> = indices
        .iter()
        .map(|x| x.to_i64_vec())
        .collect::<Result<_>>()?;
    // TF's int32 max, starting from -1.
    let max_index = idx.iter().flatten().copied().fold(-1i64, i64::max);
    let first_dim = max_index + 1;
    for v in &idx {
        for (i, &j) in v.iter().enumerate() {
            if j < 0 || j >= first_dim {
                return Err(Error::invalid_argument(format!(
                    "indices[{i}] is out of range"
                )));
            }
        }
    }
    let (data0, indices0) = (&data[0], &indices[0]);
    for k in 0..n {
        let (ind, dat) = (&indices[k], &data[k]);
        if !dat.dims().starts_with(ind.dims()) {
            return Err(Error::invalid_argument(format!(
                "data[{k}].shape = {} does not start with indices[{k}].shape = {}",
                dat.shape(),
                ind.shape()
            )));
        }
        if k > 0 && data0.dims()[indices0.rank()..] != dat.dims()[ind.rank()..] {
            return Err(Error::invalid_argument(format!(
                "Need data[0].shape[{}:] = data[{k}].shape[{}:], got data[0].shape = {}, data[{k}].shape = {}, indices[0].shape = {}, indices[{k}].shape = {}",
                indices0.rank(),
                ind.rank(),
                data0.shape(),
                dat.shape(),
                indices0.shape(),
                ind.shape()
            )));
        }
    }
    let mut out_dims = vec![first_dim];
    out_dims.extend_from_slice(&data0.dims()[indices0.rank()..]);
    let out_shape = checked_shape(&out_dims)?;
    let inner = prod(&data0.dims()[indices0.rank()..]);
    // The output's size comes from the largest index a client sent: allocate it fallibly.
    let elements = out_shape.num_elements();
    let too_big = || Error::resource_exhausted(format!("OOM when allocating the stitched tensor of shape {out_shape}"));
    let out = if t == DType::String {
        let mut out: Vec<Bytes> = Vec::new();
        out.try_reserve_exact(elements).map_err(|_| too_big())?;
        out.resize(elements, Bytes::new());
        for (v, d) in idx.iter().zip(data) {
            let src = d.strings()?;
            place(&mut out, src, v, inner);
        }
        Tensor::from_strings(out_shape, out)?
    } else {
        let size = t
            .size()
            .ok_or_else(|| Error::internal(format!("DynamicStitch: unexpected dtype {t}")))?;
        let len = elements.checked_mul(size).ok_or_else(too_big)?;
        let mut out: Vec<u8> = Vec::new();
        out.try_reserve_exact(len).map_err(|_| too_big())?;
        out.resize(len, 0);
        for (v, d) in idx.iter().zip(data) {
            let src = d.raw_bytes().ok_or_else(|| {
                Error::internal(format!("{} tensor has no flat buffer", d.dtype()))
            })?;
            place(&mut out, src, v, inner * size);
        }
        Tensor::from_bytes(t, out_shape, Bytes::from(out))?
    };
    ctx.set_output(0, out);
    Ok(())
}

/// Copies row `i` of `src` (rows of `row` elements) to row `idx[i]` of `out`, in order, so a
/// later index overwrites an earlier one.
fn place<E: Clone>(out: &mut [E], src: &[E], idx: &[i64], row: usize) {
    for (i, &j) in idx.iter().enumerate() {
        let j = j as usize;
        out[j * row..(j + 1) * row].clone_from_slice(&src[i * row..(i + 1) * row]);
    }
}

#[cfg(test)]
mod tests {
    use crate::testutil::{node, run};
    use ferroflow_framework::{Code, DType, Tensor};

    fn f32s(shape: &[i64], v: &[f32]) -> Tensor {
        Tensor::from_vec(shape.to_vec(), v.to_vec()).unwrap()
    }

    #[test]
    fn add_n_matches_tf() {
        let n = node("AddN").attr_int("N", 3).attr_type("T", DType::Float);
        let out = run(
            n,
            vec![
                f32s(&[2, 2], &[1.5, 2., 3., 4.]),
                f32s(&[2, 2], &[0.25, -1., 2., 0.5]),
                f32s(&[2, 2], &[1., 1., 1., 1.]),
            ],
        )
        .unwrap();
        assert_eq!(out[0].dims(), &[2, 2]);
        assert_eq!(out[0].to_vec::<f32>().unwrap(), vec![2.75, 2.0, 6.0, 5.5]);

        let n = node("AddN").attr_int("N", 2).attr_type("T", DType::Int32);
        let out = run(
            n,
            vec![
                Tensor::from_vec(vec![3i64], vec![1i32, 2, 3]).unwrap(),
                Tensor::from_vec(vec![3i64], vec![10i32, 20, 30]).unwrap(),
            ],
        )
        .unwrap();
        assert_eq!(out[0].to_vec::<i32>().unwrap(), vec![11, 22, 33]);
    }

    #[test]
    fn add_n_shape_mismatch_is_invalid_argument() {
        let n = node("AddN").attr_int("N", 2).attr_type("T", DType::Float);
        let e = run(n, vec![f32s(&[2], &[1., 2.]), f32s(&[3], &[1., 2., 3.])]).unwrap_err();
        assert_eq!(e.code, Code::InvalidArgument);
        assert!(
            e.message
                .contains("must have the same size and shape.  Input 0: [2] != input 1: [3]"),
            "{}",
            e.message
        );
    }

    fn seg(t: DType, ti: DType, tn: DType) -> crate::testutil::NodeBuilder {
        node("UnsortedSegmentSum")
            .attr_type("T", t)
            .attr_type("Tindices", ti)
            .attr_type("Tnumsegments", tn)
    }

    #[test]
    fn max_min_and_product_segments_match_tf() {
        let ops = [
            "UnsortedSegmentMax",
            "UnsortedSegmentMin",
            "UnsortedSegmentProd",
            "SegmentMax",
            "SegmentMin",
            "SegmentProd",
        ];
        assert!(crate::array::oracle::run_cases("segment_reduce.json", &ops, 1e-6) >= 60);
    }

    #[test]
    fn unsorted_segment_sum_matches_tf() {
        // tf.raw_ops.UnsortedSegmentSum(data=[[1,2],[3,4],[5,6],[7,8]], segment_ids=[0,2,-1,0], num_segments=3)
        let out = run(
            seg(DType::Float, DType::Int32, DType::Int32),
            vec![
                f32s(&[4, 2], &[1., 2., 3., 4., 5., 6., 7., 8.]),
                Tensor::from_vec(vec![4i64], vec![0i32, 2, -1, 0]).unwrap(),
                Tensor::scalar(3i32),
            ],
        )
        .unwrap();
        assert_eq!(out[0].dims(), &[3, 2]);
        assert_eq!(
            out[0].to_vec::<f32>().unwrap(),
            vec![8., 10., 0., 0., 3., 4.]
        );

        // int64 ids of rank 2: data [[1,2],[3,4]], ids [[1,0],[1,-5]], num_segments 2 -> [2, 4]
        let out = run(
            seg(DType::Int32, DType::Int64, DType::Int64),
            vec![
                Tensor::from_vec(vec![2i64, 2], vec![1i32, 2, 3, 4]).unwrap(),
                Tensor::from_vec(vec![2i64, 2], vec![1i64, 0, 1, -5]).unwrap(),
                Tensor::scalar(2i64),
            ],
        )
        .unwrap();
        assert_eq!(out[0].dims(), &[2]);
        assert_eq!(out[0].to_vec::<i32>().unwrap(), vec![2, 4]);
    }

    #[test]
    fn unsorted_segment_sum_errors_match_tf() {
        let data = f32s(&[3], &[1., 2., 3.]);
        let e = run(
            seg(DType::Float, DType::Int32, DType::Int32),
            vec![
                data.clone(),
                Tensor::from_vec(vec![3i64], vec![0i32, 1, 5]).unwrap(),
                Tensor::scalar(3i32),
            ],
        )
        .unwrap_err();
        assert_eq!(e.code, Code::InvalidArgument);
        assert!(
            e.message
                .contains("segment_ids[2] = 5 is out of range [0, 3)"),
            "{}",
            e.message
        );

        let e = run(
            seg(DType::Float, DType::Int32, DType::Int32),
            vec![
                data.clone(),
                Tensor::from_vec(vec![2i64], vec![0i32, 1]).unwrap(),
                Tensor::scalar(3i32),
            ],
        )
        .unwrap_err();
        assert!(
            e.message
                .contains("data.shape = [3] does not start with segment_ids.shape = [2]"),
            "{}",
            e.message
        );

        let e = run(
            seg(DType::Float, DType::Int32, DType::Int32),
            vec![
                data.clone(),
                Tensor::from_vec(vec![3i64], vec![0i32, 1, 2]).unwrap(),
                Tensor::from_vec(vec![1i64], vec![3i32]).unwrap(),
            ],
        )
        .unwrap_err();
        assert!(
            e.message
                .contains("num_segments should be a scalar, not shape [1]"),
            "{}",
            e.message
        );

        let e = run(
            seg(DType::Float, DType::Int32, DType::Int32),
            vec![
                data,
                Tensor::from_vec(vec![3i64], vec![0i32, 1, 2]).unwrap(),
                Tensor::scalar(-1i32),
            ],
        )
        .unwrap_err();
        assert!(
            e.message
                .contains("Input num_segments == -1 must not be negative."),
            "{}",
            e.message
        );
    }

    fn stitch(n: i64, t: DType) -> crate::testutil::NodeBuilder {
        node("DynamicStitch").attr_int("N", n).attr_type("T", t)
    }

    #[test]
    fn dynamic_stitch_matches_tf() {
        // The example of TF's documentation.
        let out = run(
            stitch(3, DType::Float),
            vec![
                Tensor::scalar(6i32),
                Tensor::from_vec(vec![2i64], vec![4i32, 1]).unwrap(),
                Tensor::from_vec(vec![2i64, 2], vec![5i32, 2, 0, 3]).unwrap(),
                f32s(&[2], &[61., 62.]),
                f32s(&[2, 2], &[41., 42., 11., 12.]),
                f32s(&[2, 2, 2], &[51., 52., 21., 22., 1., 2., 31., 32.]),
            ],
        )
        .unwrap();
        assert_eq!(out[0].dims(), &[7, 2]);
        assert_eq!(
            out[0].to_vec::<f32>().unwrap(),
            vec![1., 2., 11., 12., 21., 22., 31., 32., 41., 42., 51., 52., 61., 62.]
        );

        // Later indices overwrite earlier ones: [0,1,2] <- [1,2,3], then [1,0] <- [20,10].
        let out = run(
            stitch(2, DType::Int32),
            vec![
                Tensor::from_vec(vec![3i64], vec![0i32, 1, 2]).unwrap(),
                Tensor::from_vec(vec![2i64], vec![1i32, 0]).unwrap(),
                Tensor::from_vec(vec![3i64], vec![1i32, 2, 3]).unwrap(),
                Tensor::from_vec(vec![2i64], vec![20i32, 10]).unwrap(),
            ],
        )
        .unwrap();
        assert_eq!(out[0].to_vec::<i32>().unwrap(), vec![10, 20, 3]);

        // Gaps are zero: indices [0,1],[1,7] -> [1,3,0,0,0,0,0,4].
        let out = run(
            stitch(2, DType::Float),
            vec![
                Tensor::from_vec(vec![2i64], vec![0i32, 1]).unwrap(),
                Tensor::from_vec(vec![2i64], vec![1i32, 7]).unwrap(),
                f32s(&[2], &[1., 2.]),
                f32s(&[2], &[3., 4.]),
            ],
        )
        .unwrap();
        assert_eq!(
            out[0].to_vec::<f32>().unwrap(),
            vec![1., 3., 0., 0., 0., 0., 0., 4.]
        );
    }

    #[test]
    fn a_huge_stitch_index_is_resource_exhausted_not_a_crash() {
        // The output's first dimension is the largest index: 2^31 rows of 2^20 floats.
        let e = run(
            stitch(1, DType::Float),
            vec![Tensor::from_vec(vec![1i64], vec![i32::MAX]).unwrap(), f32s(&[1, 1 << 20], &vec![0.0; 1 << 20])],
        )
        .unwrap_err();
        assert_eq!(e.code, Code::ResourceExhausted, "{e}");
    }

    #[test]
    fn dynamic_stitch_errors_match_tf() {
        let e = run(
            stitch(2, DType::Float),
            vec![
                Tensor::from_vec(vec![2i64], vec![0i32, 1]).unwrap(),
                Tensor::from_vec(vec![2i64], vec![1i32, -1]).unwrap(),
                f32s(&[2], &[1., 2.]),
                f32s(&[2], &[3., 4.]),
            ],
        )
        .unwrap_err();
        assert_eq!(e.code, Code::InvalidArgument);
        assert!(
            e.message.contains("indices[1] is out of range"),
            "{}",
            e.message
        );

        let e = run(
            stitch(2, DType::Float),
            vec![
                Tensor::from_vec(vec![2i64], vec![0i32, 1]).unwrap(),
                Tensor::from_vec(vec![1i64], vec![2i32]).unwrap(),
                f32s(&[2, 2], &[1., 2., 1., 1.]),
                f32s(&[1, 3], &[3., 4., 5.]),
            ],
        )
        .unwrap_err();
        assert!(
            e.message.contains(
                "Need data[0].shape[1:] = data[1].shape[1:], got data[0].shape = [2,2], data[1].shape = [1,3], indices[0].shape = [2], indices[1].shape = [1]"
            ),
            "{}",
            e.message
        );
    }
}
