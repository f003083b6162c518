//! Cumulative scans along one axis: `Cumsum`, `Cumprod` (real types) and `CumulativeLogsumexp`
//! (float, double), with TF 2.21's semantics.
//!
//! `axis` is a scalar int32/int64 input, negative counting from the end; a non-scalar axis or one
//! out of `[-rank, rank)` is INVALID_ARGUMENT with TF's `ScanOp:` messages (the range message
//! names the axis after adding the rank to a negative one, as TF does). `exclusive` shifts the scan
//! by one (the first output is the reducer's identity: 0, 1 or -inf), `reverse` scans from the end.
//! Integer sums and products wrap. Each line is folded in order, element by element, so float
//! results are the ones of TF's sequential scan; `CumulativeLogsumexp` combines as
//! `max + log1p(exp(min - max))`, keeping -inf while both sides are -inf.
//!
//! The input is viewed as `[outer, len, inner]`: lines along `len` with stride `inner`. An inner
//! size of 1 scans contiguous runs; otherwise whole rows of `inner` accumulators advance together
//! (vectorizable). Large inputs are split across rayon's global pool by outer blocks.
//!
//! Concurrency: kernels are stateless (`Send + Sync`) and run concurrently for any number of steps.

use crate::broadcast::{PARALLEL_THRESHOLD, checked_num_elements};
use crate::cwise::num::{Float, Num};
use crate::cwise::{REAL, pod_tensor, pod_values};
use crate::reduction::check_tidx;
use ferroflow_framework::{
    Cost, DType, Error, Kernel, KernelInit, OpKernel, OpKernelContext, OpRegistry, Result, Tensor, dispatch,
};
use rayon::prelude::*;

pub(crate) fn register(reg: &mut OpRegistry) {
    reg.op("Cumsum")
        .input("x: T")
        .input("axis: Tidx")
        .output("out: T")
        .attr("exclusive: bool = false")
        .attr("reverse: bool = false")
        .attr("T: {float, double, int32, uint8, int16, int8, complex64, int64, qint8, quint8, qint32, bfloat16, qint16, quint16, uint16, complex128, half, uint32, uint64}")
        .attr("Tidx: {int32, int64} = DT_INT32")
        .cost(Cost::InputElements)
        .kernel(real::<SumScan>);
    reg.op("Cumprod")
        .input("x: T")
        .input("axis: Tidx")
        .output("out: T")
        .attr("exclusive: bool = false")
        .attr("reverse: bool = false")
        .attr("T: {float, double, int32, uint8, int16, int8, complex64, int64, qint8, quint8, qint32, bfloat16, qint16, quint16, uint16, complex128, half, uint32, uint64}")
        .attr("Tidx: {int32, int64} = DT_INT32")
        .cost(Cost::InputElements)
        .kernel(real::<ProdScan>);
    reg.op("CumulativeLogsumexp")
        .input("x: T")
        .input("axis: Tidx")
        .output("out: T")
        .attr("exclusive: bool = false")
        .attr("reverse: bool = false")
        .attr("T: {half, float, double}")
        .attr("Tidx: {int32, int64} = DT_INT32")
        .cost(Cost::InputElements)
        .kernel(log_sum_exp);
}

/// A scan's reducer: its identity and how it folds one more element in.
trait Scanner<T>: Send + Sync + 'static {
    fn identity() -> T;
    fn combine(acc: T, x: T) -> T;
}

struct SumScan;
impl<T: Num> Scanner<T> for SumScan {
    #[inline(always)]
    fn identity() -> T {
        T::ZERO
    }
    #[inline(always)]
    fn combine(acc: T, x: T) -> T {
        acc.add(x)
    }
}

struct ProdScan;
impl<T: Num> Scanner<T> for ProdScan {
    #[inline(always)]
    fn identity() -> T {
        T::ONE
    }
    #[inline(always)]
    fn combine(acc: T, x: T) -> T {
        acc.mul(x)
    }
}

struct LogSumExpScan;
impl<T: Float> Scanner<T> for LogSumExpScan {
    #[inline(always)]
    fn identity() -> T {
        T::MAX_IDENTITY
    }
    #[inline(always)]
    fn combine(acc: T, x: T) -> T {
        // Eigen's min/max: the second operand when the comparison fails (NaN).
        let (lo, hi) = if x < acc { (x, acc) } else { (acc, x) };
        if hi < T::LOWEST { hi } else { lo.sub(hi).exp().ln_1p().add(hi) }
    }
}

/// The options every scan shares.
#[derive(Clone, Copy)]
struct ScanOptions {
    exclusive: bool,
    reverse: bool,
}

/// Scans one `[len, inner]` block of `input` into `out`.
fn scan_block<T: Copy, S: Scanner<T>>(input: &[T], out: &mut [T], len: usize, inner: usize, o: ScanOptions) {
    let order = |i: usize| if o.reverse { len - 1 - i } else { i };
    if inner == 1 {
        let mut acc = S::identity();
        for i in 0..len {
            let at = order(i);
            if o.exclusive {
                out[at] = acc;
                acc = S::combine(acc, input[at]);
            } else {
                acc = S::combine(acc, input[at]);
                out[at] = acc;
            }
        }
        return;
    }
    let mut acc = vec![S::identity(); inner];
    for i in 0..len {
        let at = order(i) * inner;
        let (row, dst) = (&input[at..at + inner], &mut out[at..at + inner]);
        if o.exclusive {
            dst.copy_from_slice(&acc);
            acc.iter_mut().zip(row).for_each(|(a, &x)| *a = S::combine(*a, x));
        } else {
            acc.iter_mut().zip(row).for_each(|(a, &x)| *a = S::combine(*a, x));
            dst.copy_from_slice(&acc);
        }
    }
}

/// Scans `input` viewed as `[outer, len, inner]` along `len`.
fn scan<T: Num, S: Scanner<T>>(input: &[T], outer: usize, len: usize, inner: usize, o: ScanOptions) -> Vec<T> {
    let mut out = vec![T::ZERO; input.len()];
    let block = len * inner;
    if block == 0 {
        return out;
    }
    if input.len() >= PARALLEL_THRESHOLD && outer > 1 {
        let per = outer.div_ceil(rayon::current_num_threads() * 4) * block;
        out.par_chunks_mut(per).zip(input.par_chunks(per)).for_each(|(dst, src)| {
            dst.chunks_exact_mut(block)
                .zip(src.chunks_exact(block))
                .for_each(|(d, s)| scan_block::<T, S>(s, d, len, inner, o))
        });
    } else {
        out.chunks_exact_mut(block)
            .zip(input.chunks_exact(block))
            .for_each(|(d, s)| scan_block::<T, S>(s, d, len, inner, o));
    }
    out
}

type ScanFn = fn(&Tensor, DType, usize, ScanOptions) -> Result<Tensor>;

fn run<T: Num, S: Scanner<T>>(x: &Tensor, dtype: DType, axis: usize, o: ScanOptions) -> Result<Tensor> {
    let v = pod_values::<T>(x, dtype)?;
    let dims = x.dims();
    let too_big = || Error::invalid_argument(format!("Shape {} has too many elements", x.shape()));
    let outer = checked_num_elements(&dims[..axis]).ok_or_else(too_big)?;
    let inner = checked_num_elements(&dims[axis + 1..]).ok_or_else(too_big)?;
    let out = scan::<T, S>(&v, outer, dims[axis] as usize, inner, o);
    pod_tensor(dtype, x.shape().clone(), out)
}

struct ScanKernel {
    dtype: DType,
    options: ScanOptions,
    f: ScanFn,
}

impl OpKernel for ScanKernel {
    fn compute(&self, ctx: &mut OpKernelContext<'_>) -> Result<()> {
        let (x, axis) = (ctx.input(0), ctx.input(1));
        if axis.rank() != 0 {
            return Err(Error::invalid_argument(format!("ScanOp: axis must be a scalar, not {}", axis.shape())));
        }
        let rank = x.rank() as i64;
        let given = axis.to_i64_vec()?[0];
        let adjusted = if given < 0 { given + rank } else { given };
        if adjusted < 0 || adjusted >= rank {
            return Err(Error::invalid_argument(format!(
                "ScanOp: Expected scan axis in the range [{}, {rank}), but got {adjusted}",
                -rank
            )));
        }
        let out = (self.f)(x, self.dtype, adjusted as usize, self.options)?;
        ctx.set_output(0, out);
        Ok(())
    }
}

fn build(init: &KernelInit<'_>, dtype: DType, f: ScanFn) -> Result<Kernel> {
    init.expect_inputs(2)?;
    check_tidx(init, &[DType::Int32, DType::Int64])?;
    let options = ScanOptions {
        exclusive: init.attrs.get_bool_or("exclusive", false)?,
        reverse: init.attrs.get_bool_or("reverse", false)?,
    };
    Ok(Kernel::sync(ScanKernel { dtype, options, f }, 1))
}

fn real<S>(init: &KernelInit<'_>) -> Result<Kernel>
where
    S: Scanner<f32> + Scanner<f64> + Scanner<i32> + Scanner<i64> + Scanner<u8>,
    S: Scanner<i8> + Scanner<i16> + Scanner<u16> + Scanner<u32> + Scanner<u64>,
{
    let dtype = init.attrs.get_type_in("T", REAL)?;
    let f = dispatch!(real, dtype, T => run::<T, S> as ScanFn, return Err(Error::internal("unreachable dtype")));
    build(init, dtype, f)
}

fn log_sum_exp(init: &KernelInit<'_>) -> Result<Kernel> {
    let dtype = init.attrs.get_type_in("T", &[DType::Float, DType::Double])?;
    let f = dispatch!(float, dtype, T => run::<T, LogSumExpScan> as ScanFn, return Err(Error::internal("unreachable dtype")));
    build(init, dtype, f)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PLAIN: ScanOptions = ScanOptions { exclusive: false, reverse: false };

    #[test]
    fn tf_oracle_cases() {
        let ops = ["Cumsum", "Cumprod", "CumulativeLogsumexp"];
        assert!(crate::array::oracle::run_cases("scan.json", &ops, 1e-5) >= 320);
    }

    #[test]
    fn inner_and_outer_lines_scan_alike() {
        // [2, 3] scanned along axis 0 (inner 3) and along axis 1 (inner 1).
        let x = [1i32, 2, 3, 4, 5, 6];
        assert_eq!(scan::<i32, SumScan>(&x, 1, 2, 3, PLAIN), vec![1, 2, 3, 5, 7, 9]);
        assert_eq!(scan::<i32, SumScan>(&x, 2, 3, 1, PLAIN), vec![1, 3, 6, 4, 9, 15]);
        let both = ScanOptions { exclusive: true, reverse: true };
        assert_eq!(scan::<i32, ProdScan>(&x, 2, 3, 1, both), vec![6, 3, 1, 30, 6, 1]);
        assert_eq!(scan::<i32, ProdScan>(&x, 1, 2, 3, both), vec![4, 5, 6, 1, 1, 1]);
    }

    #[test]
    fn parallel_blocks_match_the_sequential_scan() {
        let (outer, len) = (PARALLEL_THRESHOLD / 7 + 3, 7);
        let x: Vec<i64> = (0..(outer * len) as i64).map(|v| v % 11 - 5).collect();
        let got = scan::<i64, SumScan>(&x, outer, len, 1, PLAIN);
        for (b, line) in got.chunks_exact(len).enumerate() {
            let mut acc = 0;
            for (i, &v) in line.iter().enumerate() {
                acc += x[b * len + i];
                assert_eq!(v, acc);
            }
        }
    }

    #[test]
    fn log_sum_exp_keeps_minus_infinity_until_a_finite_value() {
        let x = [f32::NEG_INFINITY, f32::NEG_INFINITY, 0.0, 0.0];
        let got = scan::<f32, LogSumExpScan>(&x, 1, 4, 1, PLAIN);
        assert_eq!(&got[..3], &[f32::NEG_INFINITY, f32::NEG_INFINITY, 0.0]);
        assert!((got[3] - 2f32.ln()).abs() < 1e-6);
    }
}
