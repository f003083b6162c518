//! `Cast` between any two of the real types and bool (strings only to strings), with TensorFlow's
//! CPU conversion results.
//!
//! - integer -> integer wraps (two's complement truncation or extension); integer -> float rounds
//!   to nearest; anything -> bool is `x != 0` (NaN is true, subnormal floats are false as under
//!   TF's denormals-are-zero CPU mode); bool -> anything is 0 or 1.
//! - float -> float rounds to nearest; with `Truncate=true`, double -> float first clears the
//!   mantissa bits float cannot hold (rounding toward zero), as TF does.
//! - float -> integer truncates toward zero. Out-of-range values and NaN follow what TF's x86-64
//!   build produces: int32/int64 give the type's minimum (the "integer indefinite" value); uint32
//!   and uint64 are converted as `x < 2^(n-1) ? signed(x) : signed(x - 2^(n-1)) | 2^(n-1)`; 8- and
//!   16-bit targets saturate the int32 conversion to the target range. (TF's own results for
//!   out-of-range narrow targets depend on tensor size and vectorization; ferroflow gives the
//!   saturating results TF gives for large tensors.)
//!
//! The conversion function for the (SrcT, DstT) pair is chosen when the kernel is built.
//! Stateless kernels, `Send + Sync`.

use super::{pod_tensor, pod_values};
use crate::broadcast;
use ferroflow_framework::{Cost, 
    DType, Error, Kernel, KernelInit, OpRegistry, OpKernel, OpKernelContext, Result, Tensor, dispatch,
};

/// A type elements can be converted to.
trait CastTarget: bytemuck::Pod + Default + Send + Sync {
    fn from_i64(v: i64) -> Self;
    fn from_u64(v: u64) -> Self;
    fn from_f64(v: f64) -> Self;
}

/// A type elements can be converted from.
trait CastSource: bytemuck::Pod + Sync {
    fn cast<D: CastTarget>(self) -> D;
    fn nonzero(self) -> bool;
}

/// x86-64's truncating float -> int32 conversion: the integer part, or `i32::MIN` when it does not fit.
#[inline(always)]
fn cvt_i32(x: f64) -> i32 {
    let fits = x > -2147483649.0 && x < 2147483648.0;
    let v = if fits { x } else { 0.0 };
    // SAFETY: `v` is finite and its integer part is within i32's range. (The unchecked conversion
    // vectorizes; the saturating `as` does not.)
    let v = unsafe { v.to_int_unchecked::<i32>() };
    if fits { v } else { i32::MIN }
}

/// x86-64's truncating float -> int64 conversion: the integer part, or `i64::MIN` when it does not fit.
#[inline(always)]
fn cvt_i64(x: f64) -> i64 {
    let fits = (-9223372036854775808.0..9223372036854775808.0).contains(&x);
    let v = if fits { x } else { 0.0 };
    // SAFETY: `v` is finite and its integer part is within i64's range.
    let v = unsafe { v.to_int_unchecked::<i64>() };
    if fits { v } else { i64::MIN }
}

macro_rules! signed_target {
    ($($t:ty => |$x:ident| $from_f64:expr),*) => {$(
        impl CastTarget for $t {
            #[inline(always)]
            fn from_i64(v: i64) -> Self { v as $t }
            #[inline(always)]
            fn from_u64(v: u64) -> Self { v as $t }
            #[inline(always)]
            fn from_f64($x: f64) -> Self { $from_f64 }
        }
    )*};
}

signed_target!(
    i8 => |x| cvt_i32(x).clamp(i8::MIN as i32, i8::MAX as i32) as i8,
    i16 => |x| cvt_i32(x).clamp(i16::MIN as i32, i16::MAX as i32) as i16,
    i32 => |x| cvt_i32(x),
    i64 => |x| cvt_i64(x),
    u8 => |x| cvt_i32(x).clamp(0, u8::MAX as i32) as u8,
    u16 => |x| cvt_i32(x).clamp(0, u16::MAX as i32) as u16,
    u32 => |x| if x < 2147483648.0 { cvt_i32(x) as u32 } else { (cvt_i32(x - 2147483648.0) as u32) | 0x8000_0000 },
    u64 => |x| if x < 9223372036854775808.0 {
        cvt_i64(x) as u64
    } else {
        (cvt_i64(x - 9223372036854775808.0) as u64) | 0x8000_0000_0000_0000
    },
    f32 => |x| x as f32,
    f64 => |x| x
);

macro_rules! int_source {
    ($($t:ty => $via:ident),*) => {$(
        impl CastSource for $t {
            #[inline(always)]
            fn cast<D: CastTarget>(self) -> D { D::$via(self as _) }
            #[inline(always)]
            fn nonzero(self) -> bool { self != 0 }
        }
    )*};
}
int_source!(i8 => from_i64, i16 => from_i64, i32 => from_i64, i64 => from_i64,
    u8 => from_u64, u16 => from_u64, u32 => from_u64, u64 => from_u64);

impl CastSource for f32 {
    #[inline(always)]
    fn cast<D: CastTarget>(self) -> D {
        D::from_f64(self as f64)
    }
    #[inline(always)]
    fn nonzero(self) -> bool {
        // TF's CPU threads treat subnormal inputs as zero (DAZ).
        self != 0.0 && !self.is_subnormal()
    }
}

impl CastSource for f64 {
    #[inline(always)]
    fn cast<D: CastTarget>(self) -> D {
        D::from_f64(self)
    }
    #[inline(always)]
    fn nonzero(self) -> bool {
        // TF's CPU threads treat subnormal inputs as zero (DAZ).
        self != 0.0 && !self.is_subnormal()
    }
}

type CastFn = fn(&Tensor, DType, DType) -> Result<Tensor>;

fn convert<S: CastSource, D: CastTarget>(x: &Tensor, src: DType, dst: DType) -> Result<Tensor> {
    let v = pod_values::<S>(x, src)?;
    pod_tensor(dst, x.shape().clone(), broadcast::map(&v, |&e| e.cast::<D>()))
}

fn to_bool<S: CastSource>(x: &Tensor, src: DType, _: DType) -> Result<Tensor> {
    let v = pod_values::<S>(x, src)?;
    pod_tensor(DType::Bool, x.shape().clone(), broadcast::map(&v, |&e| e.nonzero() as u8))
}

fn from_bool<D: CastTarget>(x: &Tensor, _: DType, dst: DType) -> Result<Tensor> {
    let v = pod_values::<u8>(x, DType::Bool)?;
    pod_tensor(dst, x.shape().clone(), broadcast::map(&v, |&e| D::from_u64((e != 0) as u64)))
}

/// double -> float with `Truncate`: drop the 29 mantissa bits float lacks, then convert.
fn f64_to_f32_truncated(x: &Tensor, src: DType, dst: DType) -> Result<Tensor> {
    let v = pod_values::<f64>(x, src)?;
    let out = broadcast::map(&v, |&e| {
        if e.is_nan() { e as f32 } else { f64::from_bits(e.to_bits() & !((1u64 << 29) - 1)) as f32 }
    });
    pod_tensor(dst, x.shape().clone(), out)
}

fn identity(x: &Tensor, src: DType, _: DType) -> Result<Tensor> {
    if x.dtype() != src {
        return Err(Error::invalid_argument(format!(
            "Expected a {src} tensor, got {} with shape {}",
            x.dtype(),
            x.shape()
        )));
    }
    Ok(x.clone())
}

fn pick(src: DType, dst: DType, truncate: bool) -> Option<CastFn> {
    fn from<S: CastSource>(dst: DType) -> Option<CastFn> {
        match dst {
            DType::Bool => Some(to_bool::<S>),
            _ => dispatch!(real, dst, D => Some(convert::<S, D> as CastFn), None),
        }
    }
    match (src, dst) {
        (s, d) if s == d && s != DType::Resource => Some(identity),
        (DType::Double, DType::Float) if truncate => Some(f64_to_f32_truncated),
        (DType::Bool, d) => dispatch!(real, d, D => Some(from_bool::<D> as CastFn), None),
        (s, d) => dispatch!(real, s, S => from::<S>(d), None),
    }
}

struct CastKernel {
    src: DType,
    dst: DType,
    f: CastFn,
}

impl OpKernel for CastKernel {
    fn compute(&self, ctx: &mut OpKernelContext<'_>) -> Result<()> {
        let out = (self.f)(ctx.input(0), self.src, self.dst)?;
        ctx.set_output(0, out);
        Ok(())
    }
}

fn factory(init: &KernelInit<'_>) -> Result<Kernel> {
    init.expect_inputs(1)?;
    let src = init.attrs.get_type("SrcT")?;
    let dst = init.attrs.get_type("DstT")?;
    let truncate = init.attrs.get_bool_or("Truncate", false)?;
    let f = pick(src, dst, truncate)
        .ok_or_else(|| Error::unimplemented(format!("Cast {} to {} is not supported", src.name(), dst.name())))?;
    Ok(Kernel::sync(CastKernel { src, dst, f }, 1))
}

pub(super) fn register(reg: &mut OpRegistry) {
    reg.op("Cast")
        .input("x: SrcT")
        .output("y: DstT")
        .attr("SrcT: type")
        .attr("DstT: type")
        .attr("Truncate: bool = false")
        .cost(Cost::Elementwise)
        .kernel(factory);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn float_to_int_conversions_match_tensorflow_on_x86() {
        let vals = [f64::NAN, f64::INFINITY, -1e10, 2.7, -2.7, 3e9, 4294967296.0, 2147483648.0, -129.5, 300.5];
        let i32s: Vec<i32> = vals.iter().map(|&v| i32::from_f64(v)).collect();
        assert_eq!(i32s, [i32::MIN, i32::MIN, i32::MIN, 2, -2, i32::MIN, i32::MIN, i32::MIN, -129, 300]);
        let u32s: Vec<u32> = vals.iter().map(|&v| u32::from_f64(v)).collect();
        assert_eq!(u32s, [1 << 31, 1 << 31, 1 << 31, 2, 4294967294, 3000000000, 1 << 31, 1 << 31, 4294967167, 300]);
        let u64s: Vec<u64> = [-1e10, 9.3e18, 1e20].iter().map(|&v| u64::from_f64(v)).collect();
        assert_eq!(u64s, [18446744063709551616, 9300000000000000000, 1 << 63]);
        let i8s: Vec<i8> = vals.iter().map(|&v| i8::from_f64(v)).collect();
        assert_eq!(i8s, [-128, -128, -128, 2, -2, -128, -128, -128, -128, 127]);
        assert_eq!((u8::from_f64(-2.7), u8::from_f64(255.9), u16::from_f64(70000.0)), (0, 255, 65535));
    }
}
