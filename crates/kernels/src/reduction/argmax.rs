//! `ArgMax` and `ArgMin`: the index of the largest (smallest) element along one axis.
//!
//! TF's semantics: ties give the first index; NaN never wins (a row of NaNs gives 0), and the scan
//! starts from the type's lowest (highest) finite value with index 0. The axis comes from the scalar
//! `dimension` input (int16/int32/int64, negative counts from the end); an empty axis is
//! INVALID_ARGUMENT. Indices are written as `output_type` (int64 by default; int32, and for
//! `ArgMax` also int16/uint16, wrapping like TF's cast).
//!
//! Stateless kernels, `Send + Sync`; large inputs are split across rayon's global pool.

use super::check_tidx;
use crate::broadcast::{PARALLEL_THRESHOLD, checked_num_elements};
use crate::cwise::num::Num;
use crate::cwise::{pod_tensor, pod_values};
use ferroflow_framework::{Cost, 
    DType, Error, Kernel, KernelInit, OpRegistry, OpKernel, OpKernelContext, Result, Tensor, TensorShape, dispatch,
};
use rayon::prelude::*;

/// An index output type.
trait IndexOut: bytemuck::Pod + Default + Send + Sync {
    fn from_index(i: usize) -> Self;
}

macro_rules! index_out {
    ($($t:ty),*) => {$(
        impl IndexOut for $t {
            #[inline(always)]
            fn from_index(i: usize) -> Self {
                i as $t
            }
        }
    )*};
}
index_out!(i16, u16, i32, i64);

/// Element comparison of one direction.
#[inline(always)]
fn better<T: Num, const MAX: bool>(x: T, best: T) -> bool {
    if MAX { x > best } else { x < best }
}

#[inline(always)]
fn start<T: Num, const MAX: bool>() -> T {
    if MAX { T::LOWEST } else { T::HIGHEST }
}

/// The winning index of a contiguous run, or `None` when nothing beats the start value.
fn scan<T: Num, const MAX: bool>(s: &[T]) -> Option<(usize, T)> {
    let mut best = start::<T, MAX>();
    let mut idx = None;
    for (i, &x) in s.iter().enumerate() {
        if better::<T, MAX>(x, best) {
            best = x;
            idx = Some(i);
        }
    }
    idx.map(|i| (i, best))
}

/// Arg-reduces blocks of `len * inner` elements (`[len, inner]` row-major) into `out` (`inner` per block).
fn arg_blocks<T: Num, O: IndexOut, const MAX: bool>(input: &[T], len: usize, inner: usize, out: &mut [O]) {
    let block = len * inner;
    if inner == 1 {
        for (o, b) in out.iter_mut().zip(input.chunks_exact(block)) {
            *o = O::from_index(scan::<T, MAX>(b).map_or(0, |(i, _)| i));
        }
        return;
    }
    let mut best = vec![start::<T, MAX>(); inner];
    let mut idx = vec![0usize; inner];
    for (o, b) in out.chunks_exact_mut(inner).zip(input.chunks_exact(block)) {
        best.fill(start::<T, MAX>());
        idx.fill(0);
        for (r, row) in b.chunks_exact(inner).enumerate() {
            for ((bv, bi), &x) in best.iter_mut().zip(idx.iter_mut()).zip(row) {
                if better::<T, MAX>(x, *bv) {
                    *bv = x;
                    *bi = r;
                }
            }
        }
        for (o, &i) in o.iter_mut().zip(&idx) {
            *o = O::from_index(i);
        }
    }
}

/// Arg-reduces `input` viewed as `[outer, len, inner]` to `[outer, inner]` indices.
fn arg_reduce<T: Num, O: IndexOut, const MAX: bool>(input: &[T], outer: usize, len: usize, inner: usize) -> Vec<O> {
    let mut out = vec![O::default(); outer * inner];
    if out.is_empty() {
        return out;
    }
    let n = input.len();
    if n < PARALLEL_THRESHOLD {
        arg_blocks::<T, O, MAX>(input, len, inner, &mut out);
    } else if outer > 1 {
        let per = outer.div_ceil(rayon::current_num_threads() * 4);
        out.par_chunks_mut(per * inner)
            .zip(input.par_chunks(per * len * inner))
            .for_each(|(o, i)| arg_blocks::<T, O, MAX>(i, len, inner, o));
    } else if inner == 1 {
        // One long run: best of each chunk, earliest index among equal winners.
        let chunk = PARALLEL_THRESHOLD / 4;
        let found = input
            .par_chunks(chunk)
            .enumerate()
            .filter_map(|(c, s)| scan::<T, MAX>(s).map(|(i, v)| (c * chunk + i, v)))
            .reduce_with(|a, b| if better::<T, MAX>(b.1, a.1) || (b.1 == a.1 && b.0 < a.0) { b } else { a });
        out[0] = O::from_index(found.map_or(0, |(i, _)| i));
    } else {
        arg_blocks::<T, O, MAX>(input, len, inner, &mut out);
    }
    out
}

type ArgFn = fn(&Tensor, DType, usize, DType) -> Result<Tensor>;

fn run<T: Num, O: IndexOut, const MAX: bool>(x: &Tensor, dtype: DType, axis: usize, out_type: DType) -> Result<Tensor> {
    let v = pod_values::<T>(x, dtype)?;
    let dims = x.dims();
    let too_big = || Error::invalid_argument(format!("Shape {} has too many elements", x.shape()));
    let outer = checked_num_elements(&dims[..axis]).ok_or_else(too_big)?;
    let inner = checked_num_elements(&dims[axis + 1..]).ok_or_else(too_big)?;
    if outer.checked_mul(inner).is_none() {
        return Err(too_big());
    }
    let out_dims: Vec<i64> = dims.iter().enumerate().filter(|&(i, _)| i != axis).map(|(_, &d)| d).collect();
    let out = arg_reduce::<T, O, MAX>(&v, outer, dims[axis] as usize, inner);
    pod_tensor(out_type, TensorShape::new(out_dims), out)
}

struct ArgKernel {
    dtype: DType,
    out_type: DType,
    f: ArgFn,
}

impl OpKernel for ArgKernel {
    fn compute(&self, ctx: &mut OpKernelContext<'_>) -> Result<()> {
        let (x, dim) = (ctx.input(0), ctx.input(1));
        if dim.rank() != 0 {
            return Err(Error::invalid_argument(format!(
                "dim must be a scalar, but received tensor of shape: {}",
                dim.shape()
            )));
        }
        let d = match dim.dtype() {
            DType::Int16 => dim.scalar_value::<i16>()? as i64,
            _ => dim.to_i64_vec()?[0],
        };
        let rank = x.rank() as i64;
        if d < -rank || d >= rank {
            return Err(Error::invalid_argument(format!(
                "Expected dimension in the range [{}, {rank}), but got {d}",
                -rank
            )));
        }
        let axis = if d < 0 { d + rank } else { d } as usize;
        if x.dims()[axis] == 0 {
            return Err(Error::invalid_argument(format!("Reduction axis {axis} is empty in shape {}", x.shape())));
        }
        let out = (self.f)(x, self.dtype, axis, self.out_type)?;
        ctx.set_output(0, out);
        Ok(())
    }
}

fn pick<O: IndexOut, const MAX: bool>(dtype: DType) -> Option<ArgFn> {
    match dtype {
        DType::Bool => Some(run::<u8, O, MAX>),
        _ => dispatch!(real, dtype, T => Some(run::<T, O, MAX> as ArgFn), None),
    }
}

const INPUT_TYPES: &[DType] = &[
    DType::Float,
    DType::Double,
    DType::Int32,
    DType::UInt8,
    DType::Int16,
    DType::Int8,
    DType::Int64,
    DType::UInt16,
    DType::UInt32,
    DType::UInt64,
    DType::Bool,
];

fn factory<const MAX: bool>(init: &KernelInit<'_>) -> Result<Kernel> {
    init.expect_inputs(2)?;
    let dtype = init.attrs.get_type_in("T", INPUT_TYPES)?;
    let (tidx, outs): (&[DType], &[DType]) = if MAX {
        (&[DType::Int16, DType::Int32, DType::Int64], &[DType::Int16, DType::UInt16, DType::Int32, DType::Int64])
    } else {
        (&[DType::Int32, DType::Int64], &[DType::Int32, DType::Int64])
    };
    check_tidx(init, tidx)?;
    let out_type =
        if init.attrs.has("output_type") { init.attrs.get_type_in("output_type", outs)? } else { DType::Int64 };
    let f = match out_type {
        DType::Int16 => pick::<i16, MAX>(dtype),
        DType::UInt16 => pick::<u16, MAX>(dtype),
        DType::Int32 => pick::<i32, MAX>(dtype),
        _ => pick::<i64, MAX>(dtype),
    };
    let f = f.ok_or_else(|| Error::internal(format!("no arg reduction kernel for {dtype}")))?;
    Ok(Kernel::sync(ArgKernel { dtype, out_type, f }, 1))
}

pub(super) fn register(reg: &mut OpRegistry) {
    reg.op("ArgMax")
        .input("input: T")
        .input("dimension: Tidx")
        .output("output: output_type")
        .attr("T: {float, double, int32, uint8, int16, int8, int64, bfloat16, uint16, half, uint32, uint64, qint8, quint8, qint32, qint16, quint16, bool}")
        .attr("Tidx: {int16, int32, int64} = DT_INT32")
        .attr("output_type: {int16, uint16, int32, int64} = DT_INT64")
        .cost(Cost::InputElements)
        .kernel(factory::<true>);
    reg.op("ArgMin")
        .input("input: T")
        .input("dimension: Tidx")
        .output("output: output_type")
        .attr("T: {float, double, int32, uint8, int16, int8, int64, bfloat16, uint16, half, uint32, uint64, qint8, quint8, qint32, qint16, quint16, bool}")
        .attr("Tidx: {int32, int64} = DT_INT32")
        .attr("output_type: {int32, int64} = DT_INT64")
        .cost(Cost::InputElements)
        .kernel(factory::<false>);
}
