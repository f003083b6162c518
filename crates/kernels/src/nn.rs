//! Neural-network ops: activations and their gradients, bias addition and its gradient, softmax,
//! log-softmax, the two softmax cross-entropy losses and L2Loss.
//!
//! Concurrency: kernels are stateless (`Send + Sync`; attributes such as an activation's alpha are
//! fixed at build time) and may run concurrently. Large element-wise or row-wise work is split
//! over rayon's global pool; small tensors stay on the calling thread for latency.
//! Numerics follow TF: softmax and the cross-entropies subtract each row's maximum first.

mod activation;
mod bias;
mod softmax;

pub(crate) use activation::Activation;

use ferroflow_framework::{KernelRegistry, TensorElement};
use rayon::prelude::*;

pub(crate) fn register(reg: &mut KernelRegistry) {
    activation::register(reg);
    bias::register(reg);
    softmax::register(reg);
}

/// Arithmetic the nn kernels need on every real dtype (integers wrap like TF's kernels do).
pub(crate) trait Num: TensorElement + Copy + PartialOrd {
    const ZERO: Self;
    const SIX: Self;
    fn add(self, o: Self) -> Self;
    fn mul(self, o: Self) -> Self;
}

macro_rules! num_int {
    ($($t:ty),*) => {$(
        impl Num for $t {
            const ZERO: Self = 0;
            const SIX: Self = 6;
            #[inline] fn add(self, o: Self) -> Self { self.wrapping_add(o) }
            #[inline] fn mul(self, o: Self) -> Self { self.wrapping_mul(o) }
        }
    )*};
}
num_int!(i8, i16, i32, i64, u8, u16, u32, u64);

/// Floating-point math for float and double kernels.
pub(crate) trait Real: Num + Send + Sync {
    const ONE: Self;
    const NEG_INFINITY: Self;
    fn exp(self) -> Self;
    fn exp_m1(self) -> Self;
    fn ln(self) -> Self;
    fn tanh(self) -> Self;
    fn from_f32(v: f32) -> Self;
    fn sub(self, o: Self) -> Self;
    fn div(self, o: Self) -> Self;
    fn max(self, o: Self) -> Self;
}

macro_rules! num_float {
    ($($t:ty),*) => {$(
        impl Num for $t {
            const ZERO: Self = 0.0;
            const SIX: Self = 6.0;
            #[inline] fn add(self, o: Self) -> Self { self + o }
            #[inline] fn mul(self, o: Self) -> Self { self * o }
        }
        impl Real for $t {
            const ONE: Self = 1.0;
            const NEG_INFINITY: Self = <$t>::NEG_INFINITY;
            #[inline] fn exp(self) -> Self { <$t>::exp(self) }
            #[inline] fn exp_m1(self) -> Self { <$t>::exp_m1(self) }
            #[inline] fn ln(self) -> Self { <$t>::ln(self) }
            #[inline] fn tanh(self) -> Self { <$t>::tanh(self) }
            #[inline] fn from_f32(v: f32) -> Self { v as $t }
            #[inline] fn sub(self, o: Self) -> Self { self - o }
            #[inline] fn div(self, o: Self) -> Self { self / o }
            #[inline] fn max(self, o: Self) -> Self { if o > self { o } else { self } }
        }
    )*};
}
num_float!(f32, f64);

/// Element counts from which element-wise work is split over the thread pool.
const PAR_MIN: usize = 1 << 16;
const PAR_CHUNK: usize = 1 << 14;

/// `out[i] = f(x[i])`, in parallel for large inputs.
pub(crate) fn map1<T: Copy + Send + Sync, U: Copy + Default + Send + Sync>(x: &[T], f: impl Fn(T) -> U + Sync) -> Vec<U> {
    if x.len() < PAR_MIN {
        return x.iter().map(|&v| f(v)).collect();
    }
    let mut out = vec![U::default(); x.len()];
    out.par_chunks_mut(PAR_CHUNK).zip(x.par_chunks(PAR_CHUNK)).for_each(|(o, i)| {
        for (o, &v) in o.iter_mut().zip(i) {
            *o = f(v);
        }
    });
    out
}

/// `out[i] = f(x[i], y[i])` over equal-length slices, in parallel for large inputs.
pub(crate) fn map2<T: Copy + Send + Sync, U: Copy + Default + Send + Sync>(x: &[T], y: &[T], f: impl Fn(T, T) -> U + Sync) -> Vec<U> {
    if x.len() < PAR_MIN {
        return x.iter().zip(y).map(|(&a, &b)| f(a, b)).collect();
    }
    let mut out = vec![U::default(); x.len()];
    out.par_chunks_mut(PAR_CHUNK).zip(x.par_chunks(PAR_CHUNK).zip(y.par_chunks(PAR_CHUNK))).for_each(|(o, (a, b))| {
        for ((o, &a), &b) in o.iter_mut().zip(a).zip(b) {
            *o = f(a, b);
        }
    });
    out
}

/// Runs `f` on each row of `rows`-many rows of width `w` of `out`, in parallel when large.
pub(crate) fn for_rows<T: Send>(out: &mut [T], w: usize, f: impl Fn(usize, &mut [T]) + Sync) {
    if w == 0 {
        return;
    }
    if out.len() < PAR_MIN {
        out.chunks_mut(w).enumerate().for_each(|(r, row)| f(r, row));
    } else {
        out.par_chunks_mut(w).enumerate().for_each(|(r, row)| f(r, row));
    }
}
