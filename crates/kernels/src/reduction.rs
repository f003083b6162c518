//! Reductions over axes: `Sum`, `Mean`, `Prod`, `Max`, `Min` (real types), `All`, `Any` (bool),
//! and the index reductions `ArgMax`, `ArgMin` (submodule `argmax`), with TF's semantics.
//!
//! Axes come from the `reduction_indices` input (int32 or int64, scalar or any shape, negative
//! values counting from the end; out-of-range or repeated axes are INVALID_ARGUMENT with TF's
//! messages); `keep_dims` keeps reduced axes as size 1. Reducing nothing gives each reducer's
//! identity (0, 1, -inf/min, +inf/max, NaN for a float `Mean`, 0 for an integer `Mean`). Integer
//! sums and products wrap; `Mean` of 8-32-bit integers accumulates in 64 bits and divides with
//! truncation, like TF.
//!
//! The input is viewed as alternating groups of kept and reduced dimensions (size-1 dimensions
//! dropped, neighbours of the same kind merged), and reduced with contiguous inner loops: a reduced
//! innermost group is folded with several independent accumulators (vectorizable), a kept innermost
//! group is accumulated element-wise into the output row. Large inputs are split across rayon's
//! global pool by output rows, output columns, or input chunks for full reductions.
//!
//! Concurrency: kernels are stateless (`Send + Sync`) and run concurrently for any number of steps.

mod argmax;

#[cfg(test)]
mod tests;

use crate::broadcast::{PARALLEL_THRESHOLD, checked_num_elements};
use crate::cwise::num::Num;
use crate::cwise::{REAL, pod_tensor, pod_values};
use ferroflow_framework::{Cost, 
    DType, Error, Kernel, KernelInit, OpRegistry, OpKernel, OpKernelContext, Result, Tensor, TensorShape, dispatch,
};
use rayon::prelude::*;

pub(crate) fn register(reg: &mut OpRegistry) {
    reg.op("Sum")
        .input("input: T")
        .input("reduction_indices: Tidx")
        .output("output: T")
        .attr("keep_dims: bool = false")
        .attr("T: {float, double, int32, uint8, int16, int8, complex64, int64, qint8, quint8, qint32, bfloat16, qint16, quint16, uint16, complex128, half, uint32, uint64}")
        .attr("Tidx: {int32, int64} = DT_INT32")
        .cost(Cost::InputElements)
        .kernel(real::<Sum>);
    reg.op("Prod")
        .input("input: T")
        .input("reduction_indices: Tidx")
        .output("output: T")
        .attr("keep_dims: bool = false")
        .attr("T: {float, double, int32, uint8, int16, int8, complex64, int64, qint8, quint8, qint32, bfloat16, qint16, quint16, uint16, complex128, half, uint32, uint64}")
        .attr("Tidx: {int32, int64} = DT_INT32")
        .cost(Cost::InputElements)
        .kernel(real::<Prod>);
    reg.op("Mean")
        .input("input: T")
        .input("reduction_indices: Tidx")
        .output("output: T")
        .attr("keep_dims: bool = false")
        .attr("T: {float, double, int32, uint8, int16, int8, complex64, int64, qint8, quint8, qint32, bfloat16, qint16, quint16, uint16, complex128, half, uint32, uint64}")
        .attr("Tidx: {int32, int64} = DT_INT32")
        .cost(Cost::InputElements)
        .kernel(real::<Mean>);
    reg.op("Max")
        .input("input: T")
        .input("reduction_indices: Tidx")
        .output("output: T")
        .attr("keep_dims: bool = false")
        .attr("T: {float, double, int32, uint8, int16, int8, int64, bfloat16, uint16, half, uint32, uint64, qint8, quint8, qint32, qint16, quint16}")
        .attr("Tidx: {int32, int64} = DT_INT32")
        .cost(Cost::InputElements)
        .kernel(real::<Max>);
    reg.op("Min")
        .input("input: T")
        .input("reduction_indices: Tidx")
        .output("output: T")
        .attr("keep_dims: bool = false")
        .attr("T: {float, double, int32, uint8, int16, int8, int64, bfloat16, uint16, half, uint32, uint64, qint8, quint8, qint32, qint16, quint16}")
        .attr("Tidx: {int32, int64} = DT_INT32")
        .cost(Cost::InputElements)
        .kernel(real::<Min>);
    reg.op("All")
        .input("input: bool")
        .input("reduction_indices: Tidx")
        .output("output: bool")
        .attr("keep_dims: bool = false")
        .attr("Tidx: {int32, int64} = DT_INT32")
        .cost(Cost::InputElements)
        .kernel(logical::<All>);
    reg.op("Any")
        .input("input: bool")
        .input("reduction_indices: Tidx")
        .output("output: bool")
        .attr("keep_dims: bool = false")
        .attr("Tidx: {int32, int64} = DT_INT32")
        .cost(Cost::InputElements)
        .kernel(logical::<Any>);
    argmax::register(reg);
}

/// Which dimensions of a rank-`rank` input the `reduction_indices` tensor reduces, with TF's errors
/// for out-of-range (`Invalid reduction dimension (3 for input with 2 dimension(s)`) and repeated
/// axes, checked in order.
pub(crate) fn reduced_axes(indices: &Tensor, rank: usize) -> Result<Vec<bool>> {
    let mut mask = vec![false; rank];
    let r = rank as i64;
    for i in indices.to_i64_vec()? {
        if i < -r || i >= r {
            return Err(Error::invalid_argument(format!(
                "Invalid reduction dimension ({i} for input with {rank} dimension(s)"
            )));
        }
        let d = if i < 0 { i + r } else { i } as usize;
        if mask[d] {
            return Err(Error::invalid_argument(format!(
                "Invalid reduction arguments: Axes contains duplicate dimension: {d}"
            )));
        }
        mask[d] = true;
    }
    Ok(mask)
}

/// The output shape of reducing `dims` over `mask`.
pub(crate) fn reduced_shape(dims: &[i64], mask: &[bool], keep_dims: bool) -> TensorShape {
    let out: Vec<i64> = dims
        .iter()
        .zip(mask)
        .filter_map(|(&d, &m)| match (m, keep_dims) {
            (false, _) => Some(d),
            (true, true) => Some(1),
            (true, false) => None,
        })
        .collect();
    TensorShape::new(out)
}

/// A reduction of elements `T` through an accumulator.
pub(crate) trait Reducer<T: Copy>: 'static {
    type Acc: Copy + Send + Sync;
    fn init() -> Self::Acc;
    fn step(acc: Self::Acc, x: T) -> Self::Acc;
    fn merge(a: Self::Acc, b: Self::Acc) -> Self::Acc;
    /// The result from the accumulator of `count` elements.
    fn finish(acc: Self::Acc, count: usize) -> T;
}

macro_rules! simple_reducer {
    ($name:ident, $init:expr, |$a:ident, $x:ident| $step:expr) => {
        pub(crate) struct $name;
        impl<T: Num> Reducer<T> for $name {
            type Acc = T;
            #[inline(always)]
            fn init() -> T {
                $init
            }
            #[inline(always)]
            fn step($a: T, $x: T) -> T {
                $step
            }
            #[inline(always)]
            fn merge($a: T, $x: T) -> T {
                $step
            }
            #[inline(always)]
            fn finish(acc: T, _: usize) -> T {
                acc
            }
        }
    };
}

simple_reducer!(Sum, T::ZERO, |a, x| a.add(x));
simple_reducer!(Prod, T::ONE, |a, x| a.mul(x));
simple_reducer!(Max, T::MAX_IDENTITY, |a, x| a.max_nan(x));
simple_reducer!(Min, T::MIN_IDENTITY, |a, x| a.min_nan(x));

/// How `Mean` accumulates and divides one element type.
pub(crate) trait MeanOf: Num {
    type Acc: Copy + Send + Sync;
    const ACC_ZERO: Self::Acc;
    fn widen(self) -> Self::Acc;
    fn acc_add(a: Self::Acc, b: Self::Acc) -> Self::Acc;
    fn mean(acc: Self::Acc, count: usize) -> Self;
}

macro_rules! int_mean {
    ($($t:ty => $acc:ty),*) => {$(
        impl MeanOf for $t {
            type Acc = $acc;
            const ACC_ZERO: $acc = 0;
            #[inline(always)]
            fn widen(self) -> $acc {
                self as $acc
            }
            #[inline(always)]
            fn acc_add(a: $acc, b: $acc) -> $acc {
                a.wrapping_add(b)
            }
            #[inline(always)]
            fn mean(acc: $acc, count: usize) -> $t {
                if count == 0 { 0 } else { acc.wrapping_div(count as $acc) as $t }
            }
        }
    )*};
}
int_mean!(i8 => i64, i16 => i64, i32 => i64, i64 => i64, u8 => u64, u16 => u64, u32 => u64, u64 => u64);

macro_rules! float_mean {
    ($($t:ty),*) => {$(
        impl MeanOf for $t {
            type Acc = $t;
            const ACC_ZERO: $t = 0.0;
            #[inline(always)]
            fn widen(self) -> $t {
                self
            }
            #[inline(always)]
            fn acc_add(a: $t, b: $t) -> $t {
                a + b
            }
            #[inline(always)]
            fn mean(acc: $t, count: usize) -> $t {
                acc / count as $t
            }
        }
    )*};
}
float_mean!(f32, f64);

pub(crate) struct Mean;
impl<T: MeanOf> Reducer<T> for Mean {
    type Acc = T::Acc;
    #[inline(always)]
    fn init() -> T::Acc {
        T::ACC_ZERO
    }
    #[inline(always)]
    fn step(a: T::Acc, x: T) -> T::Acc {
        T::acc_add(a, x.widen())
    }
    #[inline(always)]
    fn merge(a: T::Acc, b: T::Acc) -> T::Acc {
        T::acc_add(a, b)
    }
    #[inline(always)]
    fn finish(acc: T::Acc, count: usize) -> T {
        T::mean(acc, count)
    }
}

/// `All` over bools stored as bytes.
pub(crate) struct All;
impl Reducer<u8> for All {
    type Acc = u8;
    #[inline(always)]
    fn init() -> u8 {
        1
    }
    #[inline(always)]
    fn step(a: u8, x: u8) -> u8 {
        a & (x != 0) as u8
    }
    #[inline(always)]
    fn merge(a: u8, b: u8) -> u8 {
        a & b
    }
    #[inline(always)]
    fn finish(acc: u8, _: usize) -> u8 {
        acc
    }
}

/// `Any` over bools stored as bytes.
pub(crate) struct Any;
impl Reducer<u8> for Any {
    type Acc = u8;
    #[inline(always)]
    fn init() -> u8 {
        0
    }
    #[inline(always)]
    fn step(a: u8, x: u8) -> u8 {
        a | (x != 0) as u8
    }
    #[inline(always)]
    fn merge(a: u8, b: u8) -> u8 {
        a | b
    }
    #[inline(always)]
    fn finish(acc: u8, _: usize) -> u8 {
        acc
    }
}

/// One run of adjacent input dimensions that are all kept or all reduced.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Group {
    size: usize,
    reduced: bool,
    /// Input elements per step of this group (product of the inner groups' sizes).
    in_stride: usize,
    /// Output elements per step of this group (product of the inner kept groups' sizes).
    out_stride: usize,
}

/// Collapses `dims` under `mask` into alternating groups, outermost first. Size-1 dimensions are
/// dropped; a one-element input gives a single kept group of size 1.
fn groups(dims: &[i64], mask: &[bool]) -> Vec<Group> {
    let mut g: Vec<Group> = Vec::new();
    for (&d, &reduced) in dims.iter().zip(mask) {
        if d == 1 {
            continue;
        }
        match g.last_mut() {
            Some(last) if last.reduced == reduced => last.size *= d as usize,
            _ => g.push(Group { size: d as usize, reduced, in_stride: 0, out_stride: 0 }),
        }
    }
    if g.is_empty() {
        g.push(Group { size: 1, reduced: false, in_stride: 0, out_stride: 0 });
    }
    let (mut in_stride, mut out_stride) = (1usize, 1usize);
    for grp in g.iter_mut().rev() {
        grp.in_stride = in_stride;
        grp.out_stride = out_stride;
        in_stride *= grp.size;
        if !grp.reduced {
            out_stride *= grp.size;
        }
    }
    g
}

/// Number of independent accumulators folding one contiguous run.
const LANES: usize = 8;

/// Folds a contiguous slice into one accumulator, with independent lanes so loops vectorize.
#[inline]
fn fold_slice<T: Copy, R: Reducer<T>>(s: &[T]) -> R::Acc {
    let mut lanes = [R::init(); LANES];
    let chunks = s.chunks_exact(LANES);
    let rest = chunks.remainder();
    for c in chunks {
        for (l, &x) in lanes.iter_mut().zip(c) {
            *l = R::step(*l, x);
        }
    }
    let mut acc = lanes[0];
    for &l in &lanes[1..] {
        acc = R::merge(acc, l);
    }
    for &x in rest {
        acc = R::step(acc, x);
    }
    acc
}

/// Accumulates `input` (laid out as `groups`) into `acc` (laid out as the kept groups).
fn reduce_into<T: Copy, R: Reducer<T>>(input: &[T], groups: &[Group], acc: &mut [R::Acc]) {
    let Some((g, rest)) = groups.split_first() else { return };
    if rest.is_empty() {
        if g.reduced {
            acc[0] = R::merge(acc[0], fold_slice::<T, R>(&input[..g.size]));
        } else {
            for (a, &x) in acc[..g.size].iter_mut().zip(&input[..g.size]) {
                *a = R::step(*a, x);
            }
        }
        return;
    }
    for k in 0..g.size {
        let inp = &input[k * g.in_stride..(k + 1) * g.in_stride];
        let out = if g.reduced { &mut acc[..] } else { &mut acc[k * g.out_stride..(k + 1) * g.out_stride] };
        reduce_into::<T, R>(inp, rest, out);
    }
}

/// Reduces `input` (shape `dims`) over `mask`; returns the row-major output elements.
/// INVALID_ARGUMENT when the output's element count does not fit a `usize`.
pub(crate) fn reduce<T: Copy + Send + Sync, R: Reducer<T>>(input: &[T], dims: &[i64], mask: &[bool]) -> Result<Vec<T>> {
    let kept: Vec<i64> = dims.iter().zip(mask).filter(|(_, m)| !**m).map(|(&d, _)| d).collect();
    let out_n = checked_num_elements(&kept)
        .ok_or_else(|| Error::invalid_argument(format!("Reduction output shape {kept:?} has too many elements")))?;
    if out_n == 0 {
        return Ok(Vec::new());
    }
    let count = input.len() / out_n;
    let mut acc = vec![R::init(); out_n];
    if count > 0 {
        let g = groups(dims, mask);
        let n = input.len();
        if n < PARALLEL_THRESHOLD {
            reduce_into::<T, R>(input, &g, &mut acc);
        } else if g.len() == 1 && g[0].reduced {
            acc[0] = input.par_chunks(PARALLEL_THRESHOLD / 4).map(fold_slice::<T, R>).reduce(R::init, R::merge);
        } else if !g[0].reduced {
            // Split the outermost kept group: each task owns whole output rows.
            let per = (g[0].size / (rayon::current_num_threads() * 4)).max(1);
            let (in_block, out_block) = (g[0].in_stride * per, g[0].out_stride * per);
            acc.par_chunks_mut(out_block).zip(input.par_chunks(in_block)).for_each(|(a, inp)| {
                let mut sub = g.clone();
                sub[0].size = a.len() / g[0].out_stride;
                reduce_into::<T, R>(inp, &sub, a);
            });
        } else if g.len() == 2 {
            // [reduced rows, kept columns]: each task owns a range of columns.
            let (rows, cols) = (g[0].size, g[1].size);
            let per = cols.div_ceil(rayon::current_num_threads() * 4).max(256);
            acc.par_chunks_mut(per).enumerate().for_each(|(i, a)| {
                let c0 = i * per;
                for r in 0..rows {
                    let row = &input[r * cols + c0..r * cols + c0 + a.len()];
                    for (x, &v) in a.iter_mut().zip(row) {
                        *x = R::step(*x, v);
                    }
                }
            });
        } else {
            reduce_into::<T, R>(input, &g, &mut acc);
        }
    }
    Ok(acc.into_iter().map(|a| R::finish(a, count)).collect())
}

/// Implemented by reducers of every real element type.
trait RealReducer:
    Reducer<f32>
    + Reducer<f64>
    + Reducer<i8>
    + Reducer<i16>
    + Reducer<i32>
    + Reducer<i64>
    + Reducer<u8>
    + Reducer<u16>
    + Reducer<u32>
    + Reducer<u64>
{
}
impl<R> RealReducer for R where
    R: Reducer<f32>
        + Reducer<f64>
        + Reducer<i8>
        + Reducer<i16>
        + Reducer<i32>
        + Reducer<i64>
        + Reducer<u8>
        + Reducer<u16>
        + Reducer<u32>
        + Reducer<u64>
{
}

type ReduceFn = fn(&Tensor, &[bool], DType, TensorShape) -> Result<Tensor>;

fn run<T: bytemuck::Pod + Send + Sync, R: Reducer<T>>(
    x: &Tensor,
    mask: &[bool],
    dtype: DType,
    out: TensorShape,
) -> Result<Tensor> {
    let v = pod_values::<T>(x, dtype)?;
    pod_tensor(dtype, out, reduce::<T, R>(&v, x.dims(), mask)?)
}

struct ReduceKernel {
    dtype: DType,
    keep_dims: bool,
    f: ReduceFn,
}

impl OpKernel for ReduceKernel {
    fn compute(&self, ctx: &mut OpKernelContext<'_>) -> Result<()> {
        let x = ctx.input(0);
        let mask = reduced_axes(ctx.input(1), x.rank())?;
        let out_shape = reduced_shape(x.dims(), &mask, self.keep_dims);
        let out = if checked_num_elements(out_shape.dims()) == Some(x.num_elements()) && x.dtype() == self.dtype {
            // Only size-1 (or no) dimensions are reduced: every reducer gives its input back.
            x.reshaped(out_shape)?
        } else {
            (self.f)(x, &mask, self.dtype, out_shape)?
        };
        ctx.set_output(0, out);
        Ok(())
    }
}

/// Checks the `Tidx` attr (int32 or int64, default int32).
pub(crate) fn check_tidx(init: &KernelInit<'_>, allowed: &[DType]) -> Result<DType> {
    if init.attrs.has("Tidx") { init.attrs.get_type_in("Tidx", allowed) } else { Ok(DType::Int32) }
}

fn build(init: &KernelInit<'_>, dtype: DType, f: ReduceFn) -> Result<Kernel> {
    init.expect_inputs(2)?;
    check_tidx(init, &[DType::Int32, DType::Int64])?;
    let keep_dims = init.attrs.get_bool_or("keep_dims", false)?;
    Ok(Kernel::sync(ReduceKernel { dtype, keep_dims, f }, 1))
}

fn real<R: RealReducer>(init: &KernelInit<'_>) -> Result<Kernel> {
    let dtype = init.attrs.get_type_in("T", REAL)?;
    let f = dispatch!(real, dtype, T => run::<T, R> as ReduceFn, return Err(Error::internal("unreachable dtype")));
    build(init, dtype, f)
}

fn logical<R: Reducer<u8>>(init: &KernelInit<'_>) -> Result<Kernel> {
    build(init, DType::Bool, run::<u8, R>)
}
