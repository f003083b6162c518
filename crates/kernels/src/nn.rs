//! Neural-network ops: activations and their gradients, bias addition and its gradient, softmax,
//! log-softmax, the two softmax cross-entropy losses and L2Loss.
//!
//! Concurrency: kernels are stateless (`Send + Sync`; attributes such as an activation's alpha are
//! fixed at build time) and may run concurrently. Large element-wise or row-wise work is split
//! over rayon's global pool; small tensors stay on the calling thread for latency.
//! Numerics follow TF: softmax and the cross-entropies subtract each row's maximum first.

mod activation;
mod batch_norm;
mod bias;
mod conv;
mod pool;
mod softmax;
mod window;

pub(crate) use activation::Activation;

use ferroflow_framework::{OpRegistry, TensorElement};
use rayon::prelude::*;

pub(crate) fn register(reg: &mut OpRegistry) {
    activation::register(reg);
    batch_norm::register(reg);
    conv::register(reg);
    pool::register(reg);
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
    /// `exp` through a branch-free polynomial for float (vectorizable, about 2 ulp), `exp` itself
    /// for double.
    fn exp_fast(self) -> Self;
    fn exp_m1(self) -> Self;
    fn ln(self) -> Self;
    fn tanh(self) -> Self;
    fn from_f32(v: f32) -> Self;
    /// The nearest value of this type to `v`.
    fn from_f64(v: f64) -> Self;
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
            #[inline] fn exp_fast(self) -> Self { <$t as ExpFast>::exp_fast_impl(self) }
            #[inline] fn exp_m1(self) -> Self { <$t>::exp_m1(self) }
            #[inline] fn ln(self) -> Self { <$t>::ln(self) }
            #[inline] fn tanh(self) -> Self { <$t>::tanh(self) }
            #[inline] fn from_f32(v: f32) -> Self { v as $t }
            #[inline] fn from_f64(v: f64) -> Self { v as $t }
            #[inline] fn sub(self, o: Self) -> Self { self - o }
            #[inline] fn div(self, o: Self) -> Self { self / o }
            #[inline] fn max(self, o: Self) -> Self { if o > self { o } else { self } }
        }
    )*};
}
num_float!(f32, f64);

trait ExpFast {
    fn exp_fast_impl(self) -> Self;
}

impl ExpFast for f64 {
    #[inline]
    fn exp_fast_impl(self) -> f64 {
        self.exp()
    }
}

impl ExpFast for f32 {
    /// Range reduction by ln 2 (in two parts), Cephes' degree-6 polynomial, then scaling by 2^n
    /// through the exponent bits; the integer n is read from the bits of the rounding sum. Written
    /// with selects only, so loops over it vectorize. 0 below ln(MIN_POSITIVE), +inf above ~88.376,
    /// NaN stays NaN.
    #[inline(always)]
    #[allow(clippy::manual_clamp)] // max/min keep the loop vectorizable; NaN is restored below
    fn exp_fast_impl(self) -> f32 {
        const HI: f32 = 88.3762;
        const LO: f32 = -87.33654;
        const ROUND: f32 = 12582912.0; // 1.5 * 2^23: adding it rounds to an integer in the low bits
        let x = self.max(LO).min(HI);
        let t = x * std::f32::consts::LOG2_E + ROUND;
        let n = t - ROUND;
        let r = x - n * 0.693_359_4 - n * -2.121_944_4e-4;
        let p = ((((1.987_569_1e-4 * r + 1.398_2e-3) * r + 8.333_452e-3) * r + 4.166_579_6e-2) * r + 0.166_666_65) * r
            + 0.5;
        let y = p * (r * r) + r + 1.0;
        let scale = f32::from_bits(t.to_bits().wrapping_sub(ROUND.to_bits()).wrapping_add(127) << 23);
        let v = y * scale;
        let v = if self < LO { 0.0 } else { v };
        let v = if self > HI { f32::INFINITY } else { v };
        if self.is_nan() { self } else { v }
    }
}

/// `row[i] = exp(row[i] - m)`; returns the sum of the new values.
pub(crate) fn exp_shift_in_place<T: Real>(row: &mut [T], m: T) -> T {
    let mut acc = [T::ZERO; 8];
    let mut chunks = row.chunks_exact_mut(8);
    for ch in &mut chunks {
        for (a, v) in acc.iter_mut().zip(ch.iter_mut()) {
            *v = v.sub(m).exp_fast();
            *a = a.add(*v);
        }
    }
    let mut sum = acc.iter().fold(T::ZERO, |s, &a| s.add(a));
    for v in chunks.into_remainder() {
        *v = v.sub(m).exp_fast();
        sum = sum.add(*v);
    }
    sum
}

/// `sum(exp(row[i] - m))`.
pub(crate) fn sum_exp_shift<T: Real>(row: &[T], m: T) -> T {
    let mut acc = [T::ZERO; 8];
    let chunks = row.chunks_exact(8);
    let rest = chunks.remainder();
    for ch in chunks {
        for (a, &v) in acc.iter_mut().zip(ch) {
            *a = a.add(v.sub(m).exp_fast());
        }
    }
    rest.iter().fold(acc.iter().fold(T::ZERO, |s, &a| s.add(a)), |s, &v| s.add(v.sub(m).exp_fast()))
}

/// The largest element (NaN elements are skipped; -inf for an empty row).
pub(crate) fn row_max<T: Real>(row: &[T]) -> T {
    let mut acc = [T::NEG_INFINITY; 8];
    let chunks = row.chunks_exact(8);
    let rest = chunks.remainder();
    for ch in chunks {
        for (a, &v) in acc.iter_mut().zip(ch) {
            *a = a.max(v);
        }
    }
    rest.iter().fold(acc.iter().fold(T::NEG_INFINITY, |m, &a| m.max(a)), |m, &v| m.max(v))
}

/// Element counts from which element-wise work is split over the thread pool.
const PAR_MIN: usize = 1 << 16;
const PAR_CHUNK: usize = 1 << 14;

/// `out[i] = f(x[i])`, in parallel for large inputs.
pub(crate) fn map1<T: Copy + Send + Sync, U: Copy + Default + Send + Sync>(
    x: &[T],
    f: impl Fn(T) -> U + Sync,
) -> Vec<U> {
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
pub(crate) fn map2<T: Copy + Send + Sync, U: Copy + Default + Send + Sync>(
    x: &[T],
    y: &[T],
    f: impl Fn(T, T) -> U + Sync,
) -> Vec<U> {
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

#[cfg(test)]
mod tests {
    use super::Real;

    #[test]
    fn fast_exp_is_accurate_and_handles_special_values() {
        let mut worst = 0.0f64;
        let mut x = -87.0f32;
        while x < 88.0 {
            let (got, want) = (x.exp_fast() as f64, (x as f64).exp());
            worst = worst.max(((got - want) / want).abs());
            x += 0.0137;
        }
        assert!(worst < 5e-7, "worst relative error {worst}");
        assert_eq!(0.0f32.exp_fast(), 1.0);
        assert_eq!(f32::NEG_INFINITY.exp_fast(), 0.0);
        assert_eq!((-100.0f32).exp_fast(), 0.0);
        assert_eq!(f32::INFINITY.exp_fast(), f32::INFINITY);
        assert!(f32::NAN.exp_fast().is_nan());
    }
}

#[cfg(test)]
mod cnn_oracle {
    #[test]
    fn tf_oracle_cases() {
        let ops = [
            "Conv2D",
            "Conv2DBackpropInput",
            "Conv2DBackpropFilter",
            "MaxPool",
            "MaxPoolV2",
            "MaxPoolGrad",
            "AvgPool",
            "AvgPoolGrad",
            "FusedBatchNorm",
            "FusedBatchNormV3",
            "FusedBatchNormGrad",
            "FusedBatchNormGradV3",
            "ShapeN",
        ];
        assert!(crate::array::oracle::run_cases("cnn.json", &ops, 1e-4) >= 180);
    }
}
