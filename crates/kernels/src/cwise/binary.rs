//! Binary element-wise ops with broadcasting: arithmetic, comparisons, logical and/or, and the
//! activation gradients (which take two same-sized operands, no broadcasting).
//!
//! Each op is a zero-sized type implementing [`BinaryFn`] for the element types it supports; the
//! factory picks `run::<T, Op>` for the node's dtype once. Integer division by zero is rejected
//! before computing (INVALID_ARGUMENT "Integer division by zero", as TF's `FloorDiv`/`FloorMod`;
//! `TruncateDiv` gives TF's INTERNAL error), and so are negative integer exponents of `Pow`.
//! Stateless kernels, `Send + Sync`.

use super::num::{Float, Num};
use super::{ALL_TYPES, FLOATS, REAL_BOOL_STRING, dt_name, no_kernel, pod_tensor, pod_values, type_attr};
use crate::broadcast::BroadcastPlan;
use ferroflow_framework::{Cost, 
    DType, Error, Kernel, KernelInit, OpRegistry, OpKernel, OpKernelContext, Result, Tensor, dispatch,
};

use DType::{Double as F64, Float as F32, Int8 as I8, Int16 as I16, Int32 as I32, Int64 as I64};
use DType::{UInt8 as U8, UInt16 as U16, UInt32 as U32, UInt64 as U64};

/// An element-wise binary function over element type `T`.
pub(crate) trait BinaryFn<T>: 'static {
    /// Output storage type (`u8` for bool outputs).
    type Out: bytemuck::Pod + Default + Send + Sync;
    /// True when the output is bool.
    const BOOL_OUT: bool = false;
    fn call(a: T, b: T) -> Self::Out;
    /// Validates the right operand of a non-empty computation (zero divisors, negative exponents).
    fn check(_y: &[T]) -> Result<()> {
        Ok(())
    }
}

/// Implemented by ops defined for every real element type.
trait RealBinary:
    BinaryFn<f32>
    + BinaryFn<f64>
    + BinaryFn<i8>
    + BinaryFn<i16>
    + BinaryFn<i32>
    + BinaryFn<i64>
    + BinaryFn<u8>
    + BinaryFn<u16>
    + BinaryFn<u32>
    + BinaryFn<u64>
{
}
impl<F> RealBinary for F where
    F: BinaryFn<f32>
        + BinaryFn<f64>
        + BinaryFn<i8>
        + BinaryFn<i16>
        + BinaryFn<i32>
        + BinaryFn<i64>
        + BinaryFn<u8>
        + BinaryFn<u16>
        + BinaryFn<u32>
        + BinaryFn<u64>
{
}

/// Implemented by ops defined for the float types.
pub(super) trait FloatBinary: BinaryFn<f32> + BinaryFn<f64> {}
impl<F> FloatBinary for F where F: BinaryFn<f32> + BinaryFn<f64> {}

macro_rules! num_op {
    ($name:ident, |$a:ident, $b:ident| $body:expr) => {
        struct $name;
        impl<T: Num> BinaryFn<T> for $name {
            type Out = T;
            #[inline(always)]
            fn call($a: T, $b: T) -> T {
                $body
            }
        }
    };
}

macro_rules! float_op {
    ($name:ident, |$a:ident, $b:ident| $body:expr) => {
        struct $name;
        impl<T: Float> BinaryFn<T> for $name {
            type Out = T;
            #[inline(always)]
            fn call($a: T, $b: T) -> T {
                $body
            }
        }
    };
}

macro_rules! compare_op {
    ($name:ident, |$a:ident, $b:ident| $body:expr) => {
        struct $name;
        impl<T: Num> BinaryFn<T> for $name {
            type Out = u8;
            const BOOL_OUT: bool = true;
            #[inline(always)]
            fn call($a: T, $b: T) -> u8 {
                ($body) as u8
            }
        }
    };
}

num_op!(Add, |a, b| a.add(b));
num_op!(Sub, |a, b| a.sub(b));
num_op!(Mul, |a, b| a.mul(b));
num_op!(Maximum, |a, b| a.max_nan(b));
num_op!(Minimum, |a, b| a.min_nan(b));
num_op!(SquaredDifference, |a, b| {
    let d = a.sub(b);
    d.mul(d)
});
float_op!(RealDiv, |a, b| a.div(b));
float_op!(TanhGrad, |y, dy| dy.mul(T::ONE.sub(y.mul(y))));
float_op!(SigmoidGrad, |y, dy| dy.mul(y.mul(T::ONE.sub(y))));
float_op!(RsqrtGrad, |y, dy| y.mul(y).mul(y).mul(dy).mul(T::HALF.neg()));
float_op!(SqrtGrad, |y, dy| T::HALF.mul(dy).div(y));
compare_op!(Equal, |a, b| a == b);
compare_op!(NotEqual, |a, b| a != b);
compare_op!(Less, |a, b| a < b);
compare_op!(LessEqual, |a, b| a <= b);
compare_op!(Greater, |a, b| a > b);
compare_op!(GreaterEqual, |a, b| a >= b);

fn division_by_zero<T: Num>(y: &[T]) -> bool {
    !T::IS_FLOAT && y.contains(&T::ZERO)
}

struct FloorDiv;
impl<T: Num> BinaryFn<T> for FloorDiv {
    type Out = T;
    #[inline(always)]
    fn call(a: T, b: T) -> T {
        a.floor_div(b)
    }
    fn check(y: &[T]) -> Result<()> {
        if division_by_zero(y) {
            return Err(Error::invalid_argument("Integer division by zero"));
        }
        Ok(())
    }
}

struct FloorMod;
impl<T: Num> BinaryFn<T> for FloorMod {
    type Out = T;
    #[inline(always)]
    fn call(a: T, b: T) -> T {
        a.floor_mod(b)
    }
    fn check(y: &[T]) -> Result<()> {
        <FloorDiv as BinaryFn<T>>::check(y)
    }
}

struct TruncateDiv;
impl<T: Num> BinaryFn<T> for TruncateDiv {
    type Out = T;
    #[inline(always)]
    fn call(a: T, b: T) -> T {
        a.trunc_div(b)
    }
    fn check(y: &[T]) -> Result<()> {
        if division_by_zero(y) {
            // TF's TruncateDiv reports integer division by zero through this generic error.
            return Err(Error::internal(
                "Unexpected error in binary operator (only integer div and mod should have errors)",
            ));
        }
        Ok(())
    }
}

struct Pow;
impl<T: Num> BinaryFn<T> for Pow {
    type Out = T;
    #[inline(always)]
    fn call(a: T, b: T) -> T {
        a.power(b)
    }
    fn check(y: &[T]) -> Result<()> {
        if !T::IS_FLOAT && y.iter().any(|v| v.is_negative()) {
            return Err(Error::invalid_argument("Integers to negative integer powers are not allowed"));
        }
        Ok(())
    }
}

struct LogicalAnd;
impl BinaryFn<u8> for LogicalAnd {
    type Out = u8;
    const BOOL_OUT: bool = true;
    #[inline(always)]
    fn call(a: u8, b: u8) -> u8 {
        ((a != 0) & (b != 0)) as u8
    }
}

struct LogicalOr;
impl BinaryFn<u8> for LogicalOr {
    type Out = u8;
    const BOOL_OUT: bool = true;
    #[inline(always)]
    fn call(a: u8, b: u8) -> u8 {
        ((a != 0) | (b != 0)) as u8
    }
}

/// Computes one binary op for one dtype over a broadcast plan of its inputs.
type BinFn = fn(&BroadcastPlan<2>, &Tensor, &Tensor, DType) -> Result<Tensor>;

fn run<T: bytemuck::Pod + Sync, F: BinaryFn<T>>(
    plan: &BroadcastPlan<2>,
    x: &Tensor,
    y: &Tensor,
    dtype: DType,
) -> Result<Tensor> {
    let a = pod_values::<T>(x, dtype)?;
    let b = pod_values::<T>(y, dtype)?;
    if plan.num_elements() > 0 {
        F::check(&b)?;
    }
    let out = plan.apply(&a, &b, |&p, &q| F::call(p, q))?;
    pod_tensor(if F::BOOL_OUT { DType::Bool } else { dtype }, plan.out_shape().clone(), out)
}

/// `Equal`/`NotEqual` of string tensors.
fn run_strings<const EQ: bool>(plan: &BroadcastPlan<2>, x: &Tensor, y: &Tensor, _: DType) -> Result<Tensor> {
    let out = plan.apply(x.strings()?, y.strings()?, |p, q| ((p == q) == EQ) as u8)?;
    pod_tensor(DType::Bool, plan.out_shape().clone(), out)
}

fn pick_real<F: RealBinary>(dtype: DType) -> Option<BinFn> {
    dispatch!(real, dtype, T => Some(run::<T, F> as BinFn), None)
}

fn pick_float<F: FloatBinary>(dtype: DType) -> Option<BinFn> {
    dispatch!(float, dtype, T => Some(run::<T, F> as BinFn), None)
}

struct BinaryKernel {
    dtype: DType,
    f: BinFn,
    /// For `Equal`/`NotEqual` with `incompatible_shape_error=false`: the scalar given for shapes
    /// that do not broadcast.
    incompatible_result: Option<bool>,
    /// Gradient ops: operands of equal element count, no broadcasting, output shaped like input 0.
    same_size: bool,
}

impl OpKernel for BinaryKernel {
    fn compute(&self, ctx: &mut OpKernelContext<'_>) -> Result<()> {
        let (x, y) = (ctx.input(0), ctx.input(1));
        let reshaped;
        let y = if self.same_size {
            if x.num_elements() != y.num_elements() {
                return Err(Error::invalid_argument(format!(
                    "The two arguments to a cwise op must have same number of elements, got {} and {}",
                    x.num_elements(),
                    y.num_elements()
                )));
            }
            reshaped = y.reshaped(x.shape().clone())?;
            &reshaped
        } else {
            y
        };
        let plan = match BroadcastPlan::binary(x.shape(), y.shape()) {
            Ok(p) => p,
            Err(e) => match self.incompatible_result {
                Some(v) => {
                    ctx.set_output(0, Tensor::from_bools(Vec::<i64>::new(), vec![v])?);
                    return Ok(());
                }
                None => return Err(e),
            },
        };
        let out = (self.f)(&plan, x, y, self.dtype)?;
        ctx.set_output(0, out);
        Ok(())
    }
}

fn build(init: &KernelInit<'_>, dtype: DType, f: Option<BinFn>) -> Result<Kernel> {
    build_with(init, dtype, f, None, false)
}

fn build_with(
    init: &KernelInit<'_>,
    dtype: DType,
    f: Option<BinFn>,
    incompatible_result: Option<bool>,
    same_size: bool,
) -> Result<Kernel> {
    init.expect_inputs(2)?;
    let f = f.ok_or_else(|| no_kernel(init, &format!("T={}", dt_name(dtype))))?;
    Ok(Kernel::sync(BinaryKernel { dtype, f, incompatible_result, same_size }, 1))
}

fn real<F: RealBinary>(init: &KernelInit<'_>, op_def: &[DType], cpu: &[DType]) -> Result<Kernel> {
    let dtype = type_attr(init, "T", op_def, cpu)?;
    build(init, dtype, pick_real::<F>(dtype))
}

pub(super) fn float<F: FloatBinary>(init: &KernelInit<'_>, op_def: &[DType]) -> Result<Kernel> {
    let dtype = type_attr(init, "T", op_def, FLOATS)?;
    build(init, dtype, pick_float::<F>(dtype))
}

pub(super) fn grad<F: FloatBinary>(init: &KernelInit<'_>) -> Result<Kernel> {
    let dtype = type_attr(init, "T", FLOATS, FLOATS)?;
    build_with(init, dtype, pick_float::<F>(dtype), None, true)
}

/// `Equal` / `NotEqual`: any real type, bool or string; `incompatible_shape_error` (default true)
/// false makes shapes that do not broadcast give a scalar (false for `Equal`, true for `NotEqual`).
fn equality<F: RealBinary, const EQ: bool>(init: &KernelInit<'_>) -> Result<Kernel> {
    let dtype = type_attr(init, "T", ALL_TYPES, REAL_BOOL_STRING)?;
    let f = match dtype {
        DType::Bool => Some(run::<u8, F> as BinFn),
        DType::String => Some(run_strings::<EQ> as BinFn),
        _ => pick_real::<F>(dtype),
    };
    let lenient = !init.attrs.get_bool_or("incompatible_shape_error", true)?;
    build_with(init, dtype, f, lenient.then_some(!EQ), false)
}

fn logical<F: BinaryFn<u8>>(init: &KernelInit<'_>) -> Result<Kernel> {
    build(init, DType::Bool, Some(run::<u8, F> as BinFn))
}

// Allowed types of each op, in the order of TF's op definitions (types ferroflow has).
const ADD: &[DType] = &[F32, F64, U8, U16, U32, U64, I8, I16, I32, I64];
const SUB: &[DType] = &[F32, F64, U8, I8, U16, I16, I32, I64, U32, U64];
const MUL: &[DType] = &[F32, F64, U8, I8, U16, I16, I32, U32, U64, I64];
const FLOOR_MOD: &[DType] = &[I8, I16, I32, I64, U8, U16, U32, U64, F32, F64];
const ORDERED: &[DType] = &[F32, F64, I32, U8, I16, I8, I64, U16, U32, U64];
const MIN_MAX: &[DType] = &[F32, F64, I8, U8, I16, U16, I32, U32, I64, U64];
const POW: &[DType] = &[F32, F64, I8, I16, I32, I64];
const SQUARED_DIFFERENCE: &[DType] = &[F32, F64, I32, I64];

pub(super) fn register(reg: &mut OpRegistry) {
    reg.op("AddV2")
        .input("x: T")
        .input("y: T")
        .output("z: T")
        .attr("T: {bfloat16, half, float, double, uint8, uint16, uint32, uint64, int8, int16, int32, int64, complex64, complex128}")
        .cost(Cost::Elementwise)
        .kernel(|i| real::<Add>(i, ADD, ADD));
    reg.op("Sub")
        .input("x: T")
        .input("y: T")
        .output("z: T")
        .attr("T: {bfloat16, half, float, double, uint8, int8, uint16, int16, int32, int64, complex64, complex128, uint32, uint64}")
        .cost(Cost::Elementwise)
        .kernel(|i| real::<Sub>(i, SUB, SUB));
    reg.op("Mul")
        .input("x: T")
        .input("y: T")
        .output("z: T")
        .attr("T: {bfloat16, half, float, double, uint8, int8, uint16, int16, int32, uint32, uint64, int64, complex64, complex128}")
        .cost(Cost::Elementwise)
        .kernel(|i| real::<Mul>(i, MUL, MUL));
    reg.op("RealDiv")
        .input("x: T")
        .input("y: T")
        .output("z: T")
        .attr("T: {bfloat16, half, float, double, uint8, int8, uint16, int16, int32, uint32, uint64, int64, complex64, complex128}")
        .cost(Cost::Elementwise)
        .kernel(|i| float::<RealDiv>(i, MUL));
    reg.op("FloorDiv")
        .input("x: T")
        .input("y: T")
        .output("z: T")
        .attr("T: {bfloat16, half, float, double, uint8, int8, uint16, int16, int32, uint32, uint64, int64, complex64, complex128}")
        .cost(Cost::Elementwise)
        .kernel(|i| real::<FloorDiv>(i, MUL, MUL));
    reg.op("TruncateDiv")
        .input("x: T")
        .input("y: T")
        .output("z: T")
        .attr("T: {bfloat16, half, float, double, uint8, int8, uint16, int16, int32, uint32, uint64, int64, complex64, complex128}")
        .cost(Cost::Elementwise)
        .kernel(|i| real::<TruncateDiv>(i, MUL, MUL));
    reg.op("FloorMod")
        .input("x: T")
        .input("y: T")
        .output("z: T")
        .attr("T: {int8, int16, int32, int64, uint8, uint16, uint32, uint64, bfloat16, half, float, double}")
        .cost(Cost::Elementwise)
        .kernel(|i| real::<FloorMod>(i, FLOOR_MOD, FLOOR_MOD));
    reg.op("Pow")
        .input("x: T")
        .input("y: T")
        .output("z: T")
        .attr("T: {bfloat16, float, half, double, int8, int16, int32, int64, complex64, complex128}")
        .cost(Cost::Elementwise)
        .kernel(|i| real::<Pow>(i, POW, POW));
    reg.op("Maximum")
        .input("x: T")
        .input("y: T")
        .output("z: T")
        .attr("T: {bfloat16, half, float, double, int8, uint8, int16, uint16, int32, uint32, int64, uint64}")
        .cost(Cost::Elementwise)
        .kernel(|i| real::<Maximum>(i, MIN_MAX, MIN_MAX));
    reg.op("Minimum")
        .input("x: T")
        .input("y: T")
        .output("z: T")
        .attr("T: {bfloat16, half, float, double, int8, uint8, int16, uint16, int32, uint32, int64, uint64}")
        .cost(Cost::Elementwise)
        .kernel(|i| real::<Minimum>(i, MIN_MAX, MIN_MAX));
    reg.op("SquaredDifference")
        .input("x: T")
        .input("y: T")
        .output("z: T")
        .attr("T: {bfloat16, half, float, double, int32, int64, complex64, complex128}")
        .cost(Cost::Elementwise)
        .kernel(|i| real::<SquaredDifference>(i, SQUARED_DIFFERENCE, SQUARED_DIFFERENCE));
    reg.op("Equal")
        .input("x: T")
        .input("y: T")
        .output("z: bool")
        .attr("T: type")
        .attr("incompatible_shape_error: bool = true")
        .cost(Cost::Elementwise)
        .kernel(equality::<Equal, true>);
    reg.op("NotEqual")
        .input("x: T")
        .input("y: T")
        .output("z: bool")
        .attr("T: type")
        .attr("incompatible_shape_error: bool = true")
        .cost(Cost::Elementwise)
        .kernel(equality::<NotEqual, false>);
    reg.op("Less")
        .input("x: T")
        .input("y: T")
        .output("z: bool")
        .attr("T: {float, double, int32, uint8, int16, int8, int64, bfloat16, uint16, half, uint32, uint64}")
        .cost(Cost::Elementwise)
        .kernel(|i| real::<Less>(i, ORDERED, ORDERED));
    reg.op("LessEqual")
        .input("x: T")
        .input("y: T")
        .output("z: bool")
        .attr("T: {float, double, int32, uint8, int16, int8, int64, bfloat16, uint16, half, uint32, uint64}")
        .cost(Cost::Elementwise)
        .kernel(|i| real::<LessEqual>(i, ORDERED, ORDERED));
    reg.op("Greater")
        .input("x: T")
        .input("y: T")
        .output("z: bool")
        .attr("T: {float, double, int32, uint8, int16, int8, int64, bfloat16, uint16, half, uint32, uint64}")
        .cost(Cost::Elementwise)
        .kernel(|i| real::<Greater>(i, ORDERED, ORDERED));
    reg.op("GreaterEqual")
        .input("x: T")
        .input("y: T")
        .output("z: bool")
        .attr("T: {float, double, int32, uint8, int16, int8, int64, bfloat16, uint16, half, uint32, uint64}")
        .cost(Cost::Elementwise)
        .kernel(|i| real::<GreaterEqual>(i, ORDERED, ORDERED));
    reg.op("LogicalAnd")
        .input("x: bool")
        .input("y: bool")
        .output("z: bool")
        .cost(Cost::Elementwise)
        .kernel(logical::<LogicalAnd>);
    reg.op("LogicalOr")
        .input("x: bool")
        .input("y: bool")
        .output("z: bool")
        .cost(Cost::Elementwise)
        .kernel(logical::<LogicalOr>);
    reg.op("TanhGrad")
        .input("y: T")
        .input("dy: T")
        .output("z: T")
        .attr("T: {bfloat16, half, float, double, complex64, complex128}")
        .cost(Cost::Elementwise)
        .kernel(grad::<TanhGrad>);
    reg.op("SigmoidGrad")
        .input("y: T")
        .input("dy: T")
        .output("z: T")
        .attr("T: {bfloat16, half, float, double, complex64, complex128}")
        .cost(Cost::Elementwise)
        .kernel(grad::<SigmoidGrad>);
    reg.op("RsqrtGrad")
        .input("y: T")
        .input("dy: T")
        .output("z: T")
        .attr("T: {bfloat16, half, float, double, complex64, complex128}")
        .cost(Cost::Elementwise)
        .kernel(grad::<RsqrtGrad>);
    reg.op("SqrtGrad")
        .input("y: T")
        .input("dy: T")
        .output("z: T")
        .attr("T: {bfloat16, half, float, double, complex64, complex128}")
        .cost(Cost::Elementwise)
        .kernel(grad::<SqrtGrad>);
}
