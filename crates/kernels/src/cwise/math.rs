//! The element-wise math of `tf.math` beyond arithmetic: trigonometric and hyperbolic functions,
//! `Log1p`, `Expm1`, `Erf`, `Erfc`, rounding (`Ceil`, `Rint`, `Round` with ties to even, as TF),
//! `Softplus`/`Softsign` (their gradients are with the other activations'), the float predicates `IsFinite`, `IsNan`, `IsInf`,
//! the guarded divisions and logs (`DivNoNan`, `MulNoNan`, `Xdivy`, `Xlogy`, `Xlog1py`), `Atan2`,
//! and `ClipByValue`.
//!
//! Values follow TF's CPU kernels: `Softplus` switches to `x` above `-log(eps) - 2` and to
//! `exp(x)` below `log(eps) + 2`, as TF does to stay accurate; the guarded ops give 0 exactly where
//! TF does (a zero divisor, a zero `x`), NaN elsewhere propagating. `ClipByValue` takes scalar
//! bounds or bounds of `t`'s shape (TF's rule), min then max.
//!
//! Concurrency: stateless kernels (`Send + Sync`); element loops go through the cwise helpers,
//! which split large inputs over rayon's pool.

use super::binary::{self, BinaryFn};
use super::num::{Float, Num};
use super::unary::{self, UnaryFn};
use super::{FLOATS, REAL, pod_tensor, pod_values, type_attr};
use crate::broadcast;
use ferroflow_framework::{
    Cost, DType, Error, Kernel, KernelInit, OpKernel, OpKernelContext, OpRegistry, Result, Tensor, dispatch,
};

/// The libm functions of a float type.
pub(super) trait MathFloat: Float {
    const EPSILON: Self;
    fn sin(self) -> Self;
    fn cos(self) -> Self;
    fn tan(self) -> Self;
    fn asin(self) -> Self;
    fn acos(self) -> Self;
    fn atan(self) -> Self;
    fn sinh(self) -> Self;
    fn cosh(self) -> Self;
    fn asinh(self) -> Self;
    fn acosh(self) -> Self;
    fn atanh(self) -> Self;
    fn exp_m1(self) -> Self;
    fn ceil(self) -> Self;
    fn round_even(self) -> Self;
    fn erf(self) -> Self;
    fn erfc(self) -> Self;
    fn atan2(self, x: Self) -> Self;
    fn is_finite(self) -> bool;
    fn is_nan(self) -> bool;
    fn is_infinite(self) -> bool;
}

macro_rules! math_float {
    ($t:ty, $erf:path, $erfc:path) => {
        impl MathFloat for $t {
            const EPSILON: Self = <$t>::EPSILON;
            #[inline(always)] fn sin(self) -> Self { <$t>::sin(self) }
            #[inline(always)] fn cos(self) -> Self { <$t>::cos(self) }
            #[inline(always)] fn tan(self) -> Self { <$t>::tan(self) }
            #[inline(always)] fn asin(self) -> Self { <$t>::asin(self) }
            #[inline(always)] fn acos(self) -> Self { <$t>::acos(self) }
            #[inline(always)] fn atan(self) -> Self { <$t>::atan(self) }
            #[inline(always)] fn sinh(self) -> Self { <$t>::sinh(self) }
            #[inline(always)] fn cosh(self) -> Self { <$t>::cosh(self) }
            #[inline(always)] fn asinh(self) -> Self { <$t>::asinh(self) }
            #[inline(always)] fn acosh(self) -> Self { <$t>::acosh(self) }
            #[inline(always)] fn atanh(self) -> Self { <$t>::atanh(self) }
            #[inline(always)] fn exp_m1(self) -> Self { <$t>::exp_m1(self) }
            #[inline(always)] fn ceil(self) -> Self { <$t>::ceil(self) }
            #[inline(always)] fn round_even(self) -> Self { <$t>::round_ties_even(self) }
            #[inline(always)] fn erf(self) -> Self { $erf(self) }
            #[inline(always)] fn erfc(self) -> Self { $erfc(self) }
            #[inline(always)] fn atan2(self, x: Self) -> Self { <$t>::atan2(self, x) }
            #[inline(always)] fn is_finite(self) -> bool { <$t>::is_finite(self) }
            #[inline(always)] fn is_nan(self) -> bool { <$t>::is_nan(self) }
            #[inline(always)] fn is_infinite(self) -> bool { <$t>::is_infinite(self) }
        }
    };
}
math_float!(f32, libm::erff, libm::erfcf);
math_float!(f64, erf_f64, libm::erfc);

/// TF's double `Erf` (Eigen's rational approximation) is NaN at both infinities.
fn erf_f64(x: f64) -> f64 {
    if x.is_infinite() { f64::NAN } else { libm::erf(x) }
}

macro_rules! float_unary {
    ($($name:ident => |$x:ident| $body:expr;)*) => {$(
        struct $name;
        impl<T: MathFloat> UnaryFn<T> for $name {
            #[inline(always)]
            fn call($x: T) -> T {
                $body
            }
        }
    )*};
}

/// `log(1 + exp(x))` with TF's thresholds: `x` itself when large, `exp(x)` when very negative.
#[inline(always)]
fn softplus<T: MathFloat>(x: T) -> T {
    let threshold = T::EPSILON.ln().add(T::from_f64(2.0));
    if x > threshold.neg() {
        x
    } else if x < threshold {
        x.exp()
    } else {
        x.exp().ln_1p()
    }
}

float_unary! {
    Sin => |x| x.sin();
    Cos => |x| x.cos();
    Tan => |x| x.tan();
    Asin => |x| x.asin();
    Acos => |x| x.acos();
    Atan => |x| x.atan();
    Sinh => |x| x.sinh();
    Cosh => |x| x.cosh();
    Asinh => |x| x.asinh();
    Acosh => |x| x.acosh();
    Atanh => |x| x.atanh();
    Log1p => |x| x.ln_1p();
    Expm1 => |x| x.exp_m1();
    Ceil => |x| x.ceil();
    Rint => |x| x.round_even();
    Erf => |x| x.erf();
    Erfc => |x| x.erfc();
    Softplus => |x| softplus(x);
    Softsign => |x| x.div(T::ONE.add(x.abs()));
}

/// `Round`: ties to even for floats, the value itself for integers.
struct Round;
macro_rules! round_int {
    ($($t:ty),*) => {$(
        impl UnaryFn<$t> for Round {
            #[inline(always)]
            fn call(x: $t) -> $t { x }
        }
    )*};
}
round_int!(i8, i16, i32, i64, u8, u16, u32, u64);
impl UnaryFn<f32> for Round {
    #[inline(always)]
    fn call(x: f32) -> f32 {
        x.round_ties_even()
    }
}
impl UnaryFn<f64> for Round {
    #[inline(always)]
    fn call(x: f64) -> f64 {
        x.round_ties_even()
    }
}

macro_rules! float_binary {
    ($($name:ident => |$a:ident, $b:ident| $body:expr;)*) => {$(
        struct $name;
        impl<T: MathFloat> BinaryFn<T> for $name {
            type Out = T;
            #[inline(always)]
            fn call($a: T, $b: T) -> T {
                $body
            }
        }
    )*};
}

float_binary! {
    DivNoNan => |x, y| if y == T::ZERO { T::ZERO } else { x.div(y) };
    MulNoNan => |x, y| if y == T::ZERO { T::ZERO } else { x.mul(y) };
    Xdivy => |x, y| if x == T::ZERO { T::ZERO } else { x.div(y) };
    Xlogy => |x, y| if x == T::ZERO { T::ZERO } else { x.mul(y.ln()) };
    Xlog1py => |x, y| if x == T::ZERO { T::ZERO } else { x.mul(y.ln_1p()) };
    Atan2 => |y, x| y.atan2(x);
}

/// `IsFinite`, `IsNan`, `IsInf`: a float predicate per element, as a bool tensor.
struct PredicateKernel {
    dtype: DType,
    f: fn(&Tensor, DType) -> Result<Tensor>,
}

fn predicate<T: MathFloat + bytemuck::Pod + Send + Sync, const WHICH: u8>(x: &Tensor, dtype: DType) -> Result<Tensor> {
    let v = pod_values::<T>(x, dtype)?;
    let out = broadcast::map(&v, |&e| match WHICH {
        0 => e.is_finite() as u8,
        1 => e.is_nan() as u8,
        _ => e.is_infinite() as u8,
    });
    pod_tensor(DType::Bool, x.shape().clone(), out)
}

impl OpKernel for PredicateKernel {
    fn compute(&self, ctx: &mut OpKernelContext<'_>) -> Result<()> {
        let out = (self.f)(ctx.input(0), self.dtype)?;
        ctx.set_output(0, out);
        Ok(())
    }
}

fn predicate_kernel<const WHICH: u8>(init: &KernelInit<'_>) -> Result<Kernel> {
    init.expect_inputs(1)?;
    let dtype = type_attr(init, "T", FLOATS, FLOATS)?;
    let f = dispatch!(float, dtype, T => predicate::<T, WHICH>, return Err(Error::internal("unreachable dtype")));
    Ok(Kernel::sync(PredicateKernel { dtype, f }, 1))
}

/// TF's clip of one value: `max(min(t, hi), lo)`, so `lo` wins when the bounds cross.
#[inline(always)]
fn clip_one<T: Num>(v: T, lo: T, hi: T) -> T {
    let v = if hi < v { hi } else { v };
    if v < lo { lo } else { v }
}

/// `ClipByValue(t, min, max)` with scalar bounds or bounds of `t`'s shape.
struct ClipKernel {
    dtype: DType,
    f: fn(&Tensor, &Tensor, &Tensor, DType) -> Result<Tensor>,
}

fn clip<T: Num + bytemuck::Pod + Send + Sync>(t: &Tensor, lo: &Tensor, hi: &Tensor, dtype: DType) -> Result<Tensor> {
    if [lo, hi].iter().any(|b| b.rank() != 0 && b.shape() != t.shape()) {
        return Err(Error::invalid_argument(format!(
            "clip_value_min and clip_value_max must be either of the same shape as input, or a scalar. input shape: \
             {}clip_value_min shape: {}clip_value_max shape: {}",
            t.shape(),
            lo.shape(),
            hi.shape()
        )));
    }
    let (x, lo, hi) = (pod_values::<T>(t, dtype)?, pod_values::<T>(lo, dtype)?, pod_values::<T>(hi, dtype)?);
    let at = |b: &[T], i: usize| if b.len() == 1 { b[0] } else { b[i] };
    let out: Vec<T> = if lo.len() == 1 && hi.len() == 1 {
        let (l, h) = (lo[0], hi[0]);
        broadcast::map(&x, |&v| clip_one(v, l, h))
    } else {
        x.iter()
            .enumerate()
            .map(|(i, &v)| {
                clip_one(v, at(&lo, i), at(&hi, i))
            })
            .collect()
    };
    pod_tensor(dtype, t.shape().clone(), out)
}

impl OpKernel for ClipKernel {
    fn compute(&self, ctx: &mut OpKernelContext<'_>) -> Result<()> {
        let out = (self.f)(ctx.input(0), ctx.input(1), ctx.input(2), self.dtype)?;
        ctx.set_output(0, out);
        Ok(())
    }
}

fn clip_kernel(init: &KernelInit<'_>) -> Result<Kernel> {
    init.expect_inputs(3)?;
    let dtype = type_attr(init, "T", REAL, REAL)?;
    let f = dispatch!(real, dtype, T => clip::<T> as fn(&Tensor, &Tensor, &Tensor, DType) -> Result<Tensor>,
        return Err(Error::internal("unreachable dtype")));
    Ok(Kernel::sync(ClipKernel { dtype, f }, 1))
}

/// Registers a float unary op under TF's signature.
macro_rules! register_unary {
    ($reg:ident, $($op:literal => $f:ident, $types:literal;)*) => {$(
        $reg.op($op)
            .input("x: T")
            .output("y: T")
            .attr($types)
            .cost(Cost::Elementwise)
            .kernel(|i| unary::float::<$f>(i, FLOATS));
    )*};
}

pub(super) fn register(reg: &mut OpRegistry) {
    register_unary!(reg,
        "Sin" => Sin, "T: {bfloat16, half, float, double, complex64, complex128}";
        "Cos" => Cos, "T: {bfloat16, half, float, double, complex64, complex128}";
        "Tan" => Tan, "T: {bfloat16, half, float, double, int8, int16, int32, int64, complex64, complex128}";
        "Asin" => Asin, "T: {bfloat16, half, float, double, int8, int16, int32, int64, complex64, complex128}";
        "Acos" => Acos, "T: {bfloat16, half, float, double, int8, int16, int32, int64, complex64, complex128}";
        "Atan" => Atan, "T: {bfloat16, half, float, double, int8, int16, int32, int64, complex64, complex128}";
        "Sinh" => Sinh, "T: {bfloat16, half, float, double, complex64, complex128}";
        "Cosh" => Cosh, "T: {bfloat16, half, float, double, complex64, complex128}";
        "Asinh" => Asinh, "T: {bfloat16, half, float, double, complex64, complex128}";
        "Acosh" => Acosh, "T: {bfloat16, half, float, double, complex64, complex128}";
        "Atanh" => Atanh, "T: {bfloat16, half, float, double, complex64, complex128}";
        "Log1p" => Log1p, "T: {bfloat16, half, float, double, complex64, complex128}";
        "Expm1" => Expm1, "T: {bfloat16, half, float, double, complex64, complex128}";
        "Ceil" => Ceil, "T: {bfloat16, half, float, double}";
        "Rint" => Rint, "T: {bfloat16, half, float, double}";
        "Erf" => Erf, "T: {bfloat16, half, float, double}";
        "Erfc" => Erfc, "T: {bfloat16, half, float, double}";
    );
    reg.op("Softplus")
        .input("features: T")
        .output("activations: T")
        .attr("T: {half, bfloat16, float, double}")
        .cost(Cost::Elementwise)
        .kernel(|i| unary::float::<Softplus>(i, FLOATS));
    reg.op("Softsign")
        .input("features: T")
        .output("activations: T")
        .attr("T: {half, bfloat16, float, double}")
        .cost(Cost::Elementwise)
        .kernel(|i| unary::float::<Softsign>(i, FLOATS));
    reg.op("Round")
        .input("x: T")
        .output("y: T")
        .attr("T: {bfloat16, half, float, double, int8, int16, int32, int64, complex64, complex128}")
        .cost(Cost::Elementwise)
        .kernel(|i| unary::real::<Round>(i, unary::SIGNED));
    for (op, which) in [("IsFinite", 0u8), ("IsNan", 1), ("IsInf", 2)] {
        let b = reg.op(op).input("x: T").output("y: bool").attr("T: {bfloat16, half, float, double}").cost(Cost::Elementwise);
        b.kernel(match which {
            0 => predicate_kernel::<0>,
            1 => predicate_kernel::<1>,
            _ => predicate_kernel::<2>,
        });
    }
    reg.op("DivNoNan")
        .input("x: T")
        .input("y: T")
        .output("z: T")
        .attr("T: {half, float, bfloat16, double, complex64, complex128}")
        .cost(Cost::Elementwise)
        .kernel(|i| binary::float::<DivNoNan>(i, FLOATS));
    reg.op("MulNoNan")
        .input("x: T")
        .input("y: T")
        .output("z: T")
        .attr("T: {bfloat16, half, float, double, complex64, complex128}")
        .cost(Cost::Elementwise)
        .kernel(|i| binary::float::<MulNoNan>(i, FLOATS));
    reg.op("Xdivy")
        .input("x: T")
        .input("y: T")
        .output("z: T")
        .attr("T: {half, bfloat16, float, double, complex64, complex128}")
        .cost(Cost::Elementwise)
        .kernel(|i| binary::float::<Xdivy>(i, FLOATS));
    reg.op("Xlogy")
        .input("x: T")
        .input("y: T")
        .output("z: T")
        .attr("T: {half, bfloat16, float, double, complex64, complex128}")
        .cost(Cost::Elementwise)
        .kernel(|i| binary::float::<Xlogy>(i, FLOATS));
    reg.op("Xlog1py")
        .input("x: T")
        .input("y: T")
        .output("z: T")
        .attr("T: {half, bfloat16, float, double, complex64, complex128}")
        .cost(Cost::Elementwise)
        .kernel(|i| binary::float::<Xlog1py>(i, FLOATS));
    reg.op("Atan2")
        .input("y: T")
        .input("x: T")
        .output("z: T")
        .attr("T: {bfloat16, half, float, double}")
        .cost(Cost::Elementwise)
        .kernel(|i| binary::float::<Atan2>(i, FLOATS));
    reg.op("ClipByValue")
        .input("t: T")
        .input("clip_value_min: T")
        .input("clip_value_max: T")
        .output("output: T")
        .attr("T: {float, double, int32, uint8, int16, int8, complex64, int64, qint8, quint8, qint32, bfloat16, qint16, quint16, uint16, complex128, half, uint32, uint64}")
        .cost(Cost::Elementwise)
        .kernel(clip_kernel);
}

#[cfg(test)]
mod tests {
    #[test]
    fn tf_oracle_cases() {
        let ops = [
            "Sin", "Cos", "Tan", "Asin", "Acos", "Atan", "Sinh", "Cosh", "Asinh", "Acosh", "Atanh", "Log1p", "Expm1",
            "Ceil", "Rint", "Round", "Erf", "Erfc", "Softplus", "Softsign", "IsFinite", "IsNan", "IsInf", "DivNoNan",
            "MulNoNan", "Xdivy", "Xlogy", "Xlog1py", "Atan2", "ClipByValue",
        ];
        assert!(crate::array::oracle::run_cases("math.json", &ops, 1e-5) >= 65);
    }
}
