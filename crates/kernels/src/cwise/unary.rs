//! Unary element-wise ops: `Neg`, `Square`, `Abs`, `Sign` (real types), `Exp`, `Log`, `Sqrt`,
//! `Rsqrt`, `Tanh`, `Sigmoid`, `Floor`, `Reciprocal` (float types) and `LogicalNot` (bool).
//!
//! Each op is a zero-sized type implementing [`UnaryFn`]; the factory picks `run::<T, Op>` for the
//! node's dtype once. Output shape and dtype are the input's. Stateless kernels, `Send + Sync`.

use super::num::{Float, Num};
use super::{FLOATS, dt_name, no_kernel, pod_tensor, pod_values, type_attr};
use crate::broadcast;
use ferroflow_framework::{Cost, 
    DType, Kernel, KernelInit, OpRegistry, OpKernel, OpKernelContext, Result, Tensor, dispatch,
};

use DType::{Double as F64, Float as F32, Int8 as I8, Int16 as I16, Int32 as I32, Int64 as I64};
use DType::{UInt8 as U8, UInt16 as U16, UInt32 as U32, UInt64 as U64};

/// An element-wise unary function over element type `T` (same output type).
pub(super) trait UnaryFn<T>: 'static {
    fn call(x: T) -> T;
}

pub(super) trait RealUnary:
    UnaryFn<f32>
    + UnaryFn<f64>
    + UnaryFn<i8>
    + UnaryFn<i16>
    + UnaryFn<i32>
    + UnaryFn<i64>
    + UnaryFn<u8>
    + UnaryFn<u16>
    + UnaryFn<u32>
    + UnaryFn<u64>
{
}
impl<F> RealUnary for F where
    F: UnaryFn<f32>
        + UnaryFn<f64>
        + UnaryFn<i8>
        + UnaryFn<i16>
        + UnaryFn<i32>
        + UnaryFn<i64>
        + UnaryFn<u8>
        + UnaryFn<u16>
        + UnaryFn<u32>
        + UnaryFn<u64>
{
}

pub(super) trait FloatUnary: UnaryFn<f32> + UnaryFn<f64> {}
impl<F> FloatUnary for F where F: UnaryFn<f32> + UnaryFn<f64> {}

macro_rules! unary_op {
    ($name:ident, $bound:ident, |$x:ident| $body:expr) => {
        struct $name;
        impl<T: $bound> UnaryFn<T> for $name {
            #[inline(always)]
            fn call($x: T) -> T {
                $body
            }
        }
    };
}

unary_op!(Neg, Num, |x| x.neg());
unary_op!(Square, Num, |x| x.mul(x));
unary_op!(Abs, Num, |x| x.abs());
unary_op!(Sign, Num, |x| x.sign());
unary_op!(Exp, Float, |x| x.exp());
unary_op!(Log, Float, |x| x.ln());
unary_op!(Sqrt, Float, |x| x.sqrt());
unary_op!(Rsqrt, Float, |x| T::ONE.div(x.sqrt()));
unary_op!(Tanh, Float, |x| x.tanh());
unary_op!(Sigmoid, Float, |x| T::ONE.div(T::ONE.add(x.neg().exp())));
unary_op!(Floor, Float, |x| x.floor());
unary_op!(Reciprocal, Float, |x| T::ONE.div(x));

struct LogicalNot;
impl UnaryFn<u8> for LogicalNot {
    #[inline(always)]
    fn call(x: u8) -> u8 {
        (x == 0) as u8
    }
}

type UnFn = fn(&Tensor, DType) -> Result<Tensor>;

fn run<T: bytemuck::Pod + Default + Send + Sync, F: UnaryFn<T>>(x: &Tensor, dtype: DType) -> Result<Tensor> {
    let a = pod_values::<T>(x, dtype)?;
    let out = broadcast::map(&a, |&v| F::call(v));
    pod_tensor(dtype, x.shape().clone(), out)
}

struct UnaryKernel {
    dtype: DType,
    f: UnFn,
}

impl OpKernel for UnaryKernel {
    fn compute(&self, ctx: &mut OpKernelContext<'_>) -> Result<()> {
        let out = (self.f)(ctx.input(0), self.dtype)?;
        ctx.set_output(0, out);
        Ok(())
    }
}

fn build(init: &KernelInit<'_>, dtype: DType, f: Option<UnFn>) -> Result<Kernel> {
    init.expect_inputs(1)?;
    let f = f.ok_or_else(|| no_kernel(init, &format!("T={}", dt_name(dtype))))?;
    Ok(Kernel::sync(UnaryKernel { dtype, f }, 1))
}

pub(super) fn real<F: RealUnary>(init: &KernelInit<'_>, types: &[DType]) -> Result<Kernel> {
    let dtype = type_attr(init, "T", types, types)?;
    build(init, dtype, dispatch!(real, dtype, T => Some(run::<T, F> as UnFn), None))
}

pub(super) fn float<F: FloatUnary>(init: &KernelInit<'_>, op_def: &[DType]) -> Result<Kernel> {
    let dtype = type_attr(init, "T", op_def, FLOATS)?;
    build(init, dtype, dispatch!(float, dtype, T => Some(run::<T, F> as UnFn), None))
}

pub(super) const SIGNED: &[DType] = &[F32, F64, I8, I16, I32, I64];
const SQUARE: &[DType] = &[F32, F64, I8, I16, I32, I64, U8, U16, U32, U64];

pub(super) fn register(reg: &mut OpRegistry) {
    reg.op("Neg")
        .input("x: T")
        .output("y: T")
        .attr("T: {bfloat16, half, float, double, int8, int16, int32, int64, complex64, complex128}")
        .cost(Cost::Elementwise)
        .kernel(|i| real::<Neg>(i, SIGNED));
    reg.op("Square")
        .input("x: T")
        .output("y: T")
        .attr("T: {bfloat16, half, float, double, int8, int16, int32, int64, uint8, uint16, uint32, uint64, complex64, complex128}")
        .cost(Cost::Elementwise)
        .kernel(|i| real::<Square>(i, SQUARE));
    reg.op("Abs")
        .input("x: T")
        .output("y: T")
        .attr("T: {bfloat16, half, float, double, int8, int16, int32, int64}")
        .cost(Cost::Elementwise)
        .kernel(|i| real::<Abs>(i, SIGNED));
    reg.op("Sign")
        .input("x: T")
        .output("y: T")
        .attr("T: {bfloat16, half, float, double, int8, int16, int32, int64, complex64, complex128}")
        .cost(Cost::Elementwise)
        .kernel(|i| real::<Sign>(i, SIGNED));
    reg.op("Exp")
        .input("x: T")
        .output("y: T")
        .attr("T: {bfloat16, half, float, double, complex64, complex128}")
        .cost(Cost::Elementwise)
        .kernel(|i| float::<Exp>(i, FLOATS));
    reg.op("Log")
        .input("x: T")
        .output("y: T")
        .attr("T: {bfloat16, half, float, double, complex64, complex128}")
        .cost(Cost::Elementwise)
        .kernel(|i| float::<Log>(i, FLOATS));
    reg.op("Sqrt")
        .input("x: T")
        .output("y: T")
        .attr("T: {bfloat16, half, float, double, complex64, complex128}")
        .cost(Cost::Elementwise)
        .kernel(|i| float::<Sqrt>(i, FLOATS));
    reg.op("Rsqrt")
        .input("x: T")
        .output("y: T")
        .attr("T: {bfloat16, half, float, double, complex64, complex128}")
        .cost(Cost::Elementwise)
        .kernel(|i| float::<Rsqrt>(i, FLOATS));
    reg.op("Tanh")
        .input("x: T")
        .output("y: T")
        .attr("T: {bfloat16, half, float, double, complex64, complex128}")
        .cost(Cost::Elementwise)
        .kernel(|i| float::<Tanh>(i, FLOATS));
    reg.op("Sigmoid")
        .input("x: T")
        .output("y: T")
        .attr("T: {bfloat16, half, float, double, complex64, complex128}")
        .cost(Cost::Elementwise)
        .kernel(|i| float::<Sigmoid>(i, FLOATS));
    reg.op("Floor")
        .input("x: T")
        .output("y: T")
        .attr("T: {bfloat16, half, float, double}")
        .cost(Cost::Elementwise)
        .kernel(|i| float::<Floor>(i, FLOATS));
    reg.op("Reciprocal")
        .input("x: T")
        .output("y: T")
        .attr("T: {bfloat16, half, float, double, int8, int16, int32, int64, complex64, complex128}")
        .cost(Cost::Elementwise)
        .kernel(|i| float::<Reciprocal>(i, SIGNED));
    reg.op("LogicalNot")
        .input("x: bool")
        .output("y: bool")
        .cost(Cost::Elementwise)
        .kernel(|i| build(i, DType::Bool, Some(run::<u8, LogicalNot> as UnFn)));
}
