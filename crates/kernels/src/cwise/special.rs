//! Special functions of `tf.math`: `Lgamma` (the C library's, as TF's CPU kernel), `Digamma`,
//! the Hurwitz `Zeta(x, q)` and `Polygamma(n, x)`, the chain that `Lgamma`'s gradients use.
//! `Digamma` and `Zeta` are computed in double precision (reflection and recurrence into an
//! asymptotic series; Euler-Maclaurin summation) and rounded to the input's type, so float results
//! are at least as accurate as TF's. Domains follow TF (Eigen's Cephes ports): poles of `Digamma`
//! are NaN, `Zeta` is NaN for `x < 1`, at non-positive integer `q` and for negative `q` with
//! non-integer `x`, infinite at `x = 1`; `Polygamma` is NaN unless `n` is a
//! non-negative integer.
//!
//! Concurrency: stateless kernels; element loops go through the cwise helpers.

use super::binary::{self, BinaryFn};
use super::math::MathFloat;
use super::unary::{self, UnaryFn};
use super::FLOATS;
use ferroflow_framework::{Cost, OpRegistry};
use std::f64::consts::PI;

/// The special functions of a float type.
pub(super) trait Special: MathFloat {
    fn lgamma(self) -> Self;
    fn to_f64(self) -> f64;
}

impl Special for f32 {
    #[inline(always)]
    fn lgamma(self) -> f32 {
        libm::lgammaf(self)
    }
    #[inline(always)]
    fn to_f64(self) -> f64 {
        f64::from(self)
    }
}

impl Special for f64 {
    #[inline(always)]
    fn lgamma(self) -> f64 {
        libm::lgamma(self)
    }
    #[inline(always)]
    fn to_f64(self) -> f64 {
        self
    }
}

/// Bernoulli numbers `B_2 .. B_20`.
const BERNOULLI: [f64; 10] = [
    1.0 / 6.0,
    -1.0 / 30.0,
    1.0 / 42.0,
    -1.0 / 30.0,
    5.0 / 66.0,
    -691.0 / 2730.0,
    7.0 / 6.0,
    -3617.0 / 510.0,
    43867.0 / 798.0,
    -174611.0 / 330.0,
];

/// The digamma function: NaN at its poles (zero and the negative integers).
pub(super) fn digamma(x: f64) -> f64 {
    if x.is_nan() || x == f64::NEG_INFINITY {
        return f64::NAN;
    }
    if x <= 0.0 && x == x.floor() {
        return f64::NAN;
    }
    if x < 0.0 {
        // Reflection: psi(x) = psi(1 - x) - pi / tan(pi x).
        return digamma(1.0 - x) - PI / (PI * x).tan();
    }
    let (mut x, mut acc) = (x, 0.0);
    while x < 10.0 {
        acc -= 1.0 / x;
        x += 1.0;
    }
    if x.is_infinite() {
        return x;
    }
    let inv2 = 1.0 / (x * x);
    let mut series = 0.0;
    let mut power = inv2;
    for (k, b) in BERNOULLI.iter().enumerate().take(7) {
        series += b / (2.0 * (k as f64 + 1.0)) * power;
        power *= inv2;
    }
    acc + x.ln() - 0.5 / x - series
}

/// The Hurwitz zeta function `sum_{k >= 0} (k + q)^-x`.
pub(super) fn zeta(x: f64, q: f64) -> f64 {
    if x.is_nan() || q.is_nan() {
        return f64::NAN;
    }
    if x == 1.0 {
        return f64::INFINITY;
    }
    if x < 1.0 {
        return f64::NAN;
    }
    // Negative q only with an integer x (q^-x is real); a pole at non-positive integer q is NaN.
    if q <= 0.0 && (q == q.floor() || x != x.floor()) {
        return f64::NAN;
    }
    // Euler-Maclaurin: direct terms up to q + N, then the integral, the half term and the
    // Bernoulli corrections.
    const N: usize = 9;
    let mut sum = 0.0;
    let mut a = q;
    for _ in 0..N {
        let term = a.powf(-x);
        sum += term;
        if term.abs() < sum.abs() * f64::EPSILON {
            return sum;
        }
        a += 1.0;
    }
    let w = a;
    sum += w.powf(1.0 - x) / (x - 1.0);
    sum += 0.5 * w.powf(-x);
    // Terms B_2j / (2j)! * x (x+1) ... (x+2j-2) * w^(-x-2j+1).
    let mut rising = x;
    let mut factorial = 2.0;
    let mut power = w.powf(-x - 1.0);
    for (j, b) in BERNOULLI.iter().enumerate() {
        let term = b / factorial * rising * power;
        sum += term;
        if term.abs() < sum.abs() * f64::EPSILON {
            break;
        }
        let k = 2.0 * (j as f64 + 1.0);
        rising *= (x + k - 1.0) * (x + k);
        factorial *= (k + 1.0) * (k + 2.0);
        power /= w * w;
    }
    sum
}

/// `Polygamma(n, x)`: the n-th derivative of digamma, for non-negative integers `n`.
pub(super) fn polygamma(n: f64, x: f64) -> f64 {
    if n.is_nan() || x.is_nan() || n < 0.0 || n != n.floor() {
        return f64::NAN;
    }
    if n == 0.0 {
        return digamma(x);
    }
    let factorial = libm::tgamma(n + 1.0);
    let sign = if (n as u64) % 2 == 0 { -1.0 } else { 1.0 };
    sign * factorial * zeta(n + 1.0, x)
}

struct Lgamma;
impl<T: Special> UnaryFn<T> for Lgamma {
    #[inline(always)]
    fn call(x: T) -> T {
        x.lgamma()
    }
}

struct Digamma;
impl<T: Special> UnaryFn<T> for Digamma {
    #[inline(always)]
    fn call(x: T) -> T {
        T::from_f64(digamma(x.to_f64()))
    }
}

struct Zeta;
impl<T: Special> BinaryFn<T> for Zeta {
    type Out = T;
    #[inline(always)]
    fn call(x: T, q: T) -> T {
        T::from_f64(zeta(x.to_f64(), q.to_f64()))
    }
}

struct Polygamma;
impl<T: Special> BinaryFn<T> for Polygamma {
    type Out = T;
    #[inline(always)]
    fn call(n: T, x: T) -> T {
        T::from_f64(polygamma(n.to_f64(), x.to_f64()))
    }
}

pub(super) fn register(reg: &mut OpRegistry) {
    const T: &str = "T: {bfloat16, half, float, double}";
    reg.op("Lgamma").input("x: T").output("y: T").attr(T).cost(Cost::Elementwise).kernel(|i| unary::float::<Lgamma>(i, FLOATS));
    reg.op("Digamma").input("x: T").output("y: T").attr(T).cost(Cost::Elementwise).kernel(|i| unary::float::<Digamma>(i, FLOATS));
    reg.op("Zeta")
        .input("x: T")
        .input("q: T")
        .output("z: T")
        .attr("T: {float, double}")
        .cost(Cost::Elementwise)
        .kernel(|i| binary::float::<Zeta>(i, FLOATS));
    reg.op("Polygamma")
        .input("a: T")
        .input("x: T")
        .output("z: T")
        .attr("T: {float, double}")
        .cost(Cost::Elementwise)
        .kernel(|i| binary::float::<Polygamma>(i, FLOATS));
}

#[cfg(test)]
mod tests {
    #[test]
    fn oracle_cases() {
        let ops = ["Lgamma", "Digamma", "Zeta", "Polygamma", "Selu", "SeluGrad"];
        assert!(crate::array::oracle::run_cases("special.json", &ops, 2e-6) >= 16);
    }
}
