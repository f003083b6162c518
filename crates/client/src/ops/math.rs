//! Math ops as TF's `math_ops` makes them. The `tf.math` functions (`add`, `subtract`, ...) and
//! the Python operators (`op_add` for `x + y`, ...) name their nodes differently in TF (`Add` vs
//! `add`); both are here so graphs (and gradient graphs) match TF's node for node.

use super::array::{constant, int_scalar, int_vector, range, rank};
use super::{Input, binary, convert, convert_pair, unary};
use crate::graph::Output;
use crate::scope::{OpBuilder, Scope};
use ferroflow_framework::{DType, Result, Tensor};

/// Reduction axes: all of them, one (a scalar constant), or a list (a vector constant).
#[derive(Debug, Clone)]
pub enum Axes {
    All,
    One(i64),
    Many(Vec<i64>),
}

impl From<i64> for Axes {
    fn from(a: i64) -> Axes {
        Axes::One(a)
    }
}
impl From<i32> for Axes {
    fn from(a: i32) -> Axes {
        Axes::One(a as i64)
    }
}
impl From<&[i64]> for Axes {
    fn from(a: &[i64]) -> Axes {
        Axes::Many(a.to_vec())
    }
}
impl From<Vec<i64>> for Axes {
    fn from(a: Vec<i64>) -> Axes {
        Axes::Many(a)
    }
}
impl<const N: usize> From<[i64; N]> for Axes {
    fn from(a: [i64; N]) -> Axes {
        Axes::Many(a.to_vec())
    }
}

/// `tf.math.add(x, y)` (node `Add`, op `AddV2`).
pub fn add(scope: &Scope, x: impl Into<Input>, y: impl Into<Input>) -> Result<Output> {
    binary(scope, "AddV2", "Add", x, y)
}

/// `tf.math.subtract(x, y)`.
pub fn sub(scope: &Scope, x: impl Into<Input>, y: impl Into<Input>) -> Result<Output> {
    binary(scope, "Sub", "Sub", x, y)
}

/// `tf.math.multiply(x, y)` (also `gen_math_ops.mul`).
pub fn mul(scope: &Scope, x: impl Into<Input>, y: impl Into<Input>) -> Result<Output> {
    binary(scope, "Mul", "Mul", x, y)
}

/// `tf.math.divide(x, y)`: true division (`truediv`, op `RealDiv`; integers are cast to float
/// first: int8/16/uint8/16 to float32, int32/64 to float64, as TF does).
pub fn div(scope: &Scope, x: impl Into<Input>, y: impl Into<Input>) -> Result<Output> {
    truediv(scope, "truediv", x.into(), y.into())
}

fn truediv(scope: &Scope, default: &str, x: Input, y: Input) -> Result<Output> {
    let s = scope.op_scope(default)?;
    let (mut x, mut y) = convert_pair(&s, x, y, ("x", "y"))?;
    let float = match x.dtype() {
        DType::Int8 | DType::Int16 | DType::UInt8 | DType::UInt16 => Some(DType::Float),
        DType::Int32 | DType::Int64 | DType::UInt32 | DType::UInt64 => Some(DType::Double),
        _ => None,
    };
    if let Some(f) = float {
        x = super::array::cast(&s, &x, f)?;
        y = super::array::cast(&s, &y, f)?;
    }
    OpBuilder::new(&s, "RealDiv").named_as_scope().input(&x).input(&y).build_output()
}

/// `math_ops.realdiv(x, y)` (node `RealDiv`).
pub fn realdiv(scope: &Scope, x: impl Into<Input>, y: impl Into<Input>) -> Result<Output> {
    binary(scope, "RealDiv", "RealDiv", x, y)
}

/// `x + y` in Python (node `add`).
pub fn op_add(scope: &Scope, x: impl Into<Input>, y: impl Into<Input>) -> Result<Output> {
    binary(scope, "AddV2", "add", x, y)
}

/// `x - y` in Python (node `sub`).
pub fn op_sub(scope: &Scope, x: impl Into<Input>, y: impl Into<Input>) -> Result<Output> {
    binary(scope, "Sub", "sub", x, y)
}

/// `x * y` in Python (node `mul`).
pub fn op_mul(scope: &Scope, x: impl Into<Input>, y: impl Into<Input>) -> Result<Output> {
    binary(scope, "Mul", "mul", x, y)
}

/// `x / y` in Python (node `truediv`).
pub fn op_div(scope: &Scope, x: impl Into<Input>, y: impl Into<Input>) -> Result<Output> {
    truediv(scope, "truediv", x.into(), y.into())
}

/// `x % y` in Python (node `mod`, op `FloorMod`).
pub fn op_mod(scope: &Scope, x: impl Into<Input>, y: impl Into<Input>) -> Result<Output> {
    binary(scope, "FloorMod", "mod", x, y)
}

/// `x // y` in Python (node `floordiv`, op `FloorDiv`).
pub fn op_floordiv(scope: &Scope, x: impl Into<Input>, y: impl Into<Input>) -> Result<Output> {
    binary(scope, "FloorDiv", "floordiv", x, y)
}

/// `-x` in Python and `tf.math.negative` (node `Neg`).
pub fn neg(scope: &Scope, x: impl Into<Input>) -> Result<Output> {
    unary(scope, "Neg", x)
}

/// `tf.math.maximum(x, y)`.
pub fn maximum(scope: &Scope, x: impl Into<Input>, y: impl Into<Input>) -> Result<Output> {
    binary(scope, "Maximum", "Maximum", x, y)
}

/// `tf.math.square(x)`.
pub fn square(scope: &Scope, x: impl Into<Input>) -> Result<Output> {
    unary(scope, "Square", x)
}

/// `tf.math.equal(x, y)`.
pub fn equal(scope: &Scope, x: impl Into<Input>, y: impl Into<Input>) -> Result<Output> {
    binary(scope, "Equal", "Equal", x, y)
}

/// `tf.linalg.matmul(a, b, transpose_a, transpose_b)`.
pub fn matmul(scope: &Scope, a: impl Into<Input>, b: impl Into<Input>, transpose_a: bool, transpose_b: bool) -> Result<Output> {
    let s = scope.op_scope("MatMul")?;
    let (a, b) = convert_pair(&s, a.into(), b.into(), ("a", "b"))?;
    mat_mul_op(&s, &a, &b, transpose_a, transpose_b, false, false)
}

/// `gen_math_ops.mat_mul` with all of its flags (the gradient uses `grad_a`/`grad_b`).
pub(crate) fn mat_mul_op(s: &Scope, a: &Output, b: &Output, ta: bool, tb: bool, grad_a: bool, grad_b: bool) -> Result<Output> {
    OpBuilder::new(s, "MatMul")
        .named_as_scope()
        .input(a)
        .input(b)
        .attr_bool("transpose_a", ta)
        .attr_bool("transpose_b", tb)
        .attr_bool("grad_a", grad_a)
        .attr_bool("grad_b", grad_b)
        .build_output()
}

/// `gen_math_ops.mat_mul(...)` called directly (a new `MatMul` scope), as gradient code does.
pub(crate) fn gen_mat_mul(scope: &Scope, a: &Output, b: &Output, ta: bool, tb: bool, grad_a: bool, grad_b: bool) -> Result<Output> {
    let s = scope.op_scope("MatMul")?;
    mat_mul_op(&s, a, b, ta, tb, grad_a, grad_b)
}

/// `tf.math.add_n(inputs)`: the one input itself, else `AddN`.
pub fn add_n(scope: &Scope, inputs: &[Output]) -> Result<Output> {
    if inputs.len() == 1 {
        return Ok(inputs[0].clone());
    }
    let s = scope.op_scope("AddN")?;
    OpBuilder::new(&s, "AddN").named_as_scope().input_list(inputs).build_output()
}

/// TF's `_ReductionDims`: the axes tensor for a reduction, made in the caller's scope.
fn reduction_dims(scope: &Scope, x: &Output, axes: &Axes) -> Result<Option<Output>> {
    match axes {
        Axes::All => match x.shape().rank() {
            Some(r) => Ok(Some(constant(scope, &Tensor::from_vec(vec![r as i64], (0..r as i32).collect::<Vec<_>>())?)?)),
            None => {
                let r = rank(scope, x)?;
                Ok(Some(range(scope, 0i32, &r, 1i32)?))
            }
        },
        _ => Ok(None),
    }
}

fn reduce(scope: &Scope, op_type: &str, x: impl Into<Input>, axes: Axes, keep_dims: bool) -> Result<Output> {
    let x = match x.into() {
        Input::Tensor(o) => o,
        other => convert(scope, other, "input", None)?,
    };
    let dims = reduction_dims(scope, &x, &axes)?;
    let s = scope.op_scope(op_type)?;
    let axis = match (dims, &axes) {
        (Some(d), _) => d,
        (None, Axes::One(a)) => int_scalar(&s, "reduction_indices", *a)?,
        (None, Axes::Many(v)) => int_vector(&s, "reduction_indices", v)?,
        (None, Axes::All) => unreachable!("reduction_dims covers all axes"),
    };
    OpBuilder::new(&s, op_type).named_as_scope().input(&x).input(&axis).attr_bool("keep_dims", keep_dims).build_output()
}

/// `tf.reduce_sum(x, axis, keepdims)`.
pub fn reduce_sum(scope: &Scope, x: impl Into<Input>, axes: impl Into<Axes>, keep_dims: bool) -> Result<Output> {
    reduce(scope, "Sum", x, axes.into(), keep_dims)
}

/// `tf.reduce_mean(x, axis, keepdims)`.
pub fn reduce_mean(scope: &Scope, x: impl Into<Input>, axes: impl Into<Axes>, keep_dims: bool) -> Result<Output> {
    reduce(scope, "Mean", x, axes.into(), keep_dims)
}

/// `tf.reduce_max(x, axis, keepdims)`.
pub fn reduce_max(scope: &Scope, x: impl Into<Input>, axes: impl Into<Axes>, keep_dims: bool) -> Result<Output> {
    reduce(scope, "Max", x, axes.into(), keep_dims)
}

/// `tf.reduce_prod(x, axis, keepdims)`.
pub fn reduce_prod(scope: &Scope, x: impl Into<Input>, axes: impl Into<Axes>, keep_dims: bool) -> Result<Output> {
    reduce(scope, "Prod", x, axes.into(), keep_dims)
}

/// `gen_math_ops._sum(x, axes_tensor, keep_dims)` with the axes already a tensor.
pub(crate) fn sum_over(scope: &Scope, x: &Output, axes: &Output, keep_dims: bool) -> Result<Output> {
    let s = scope.op_scope("Sum")?;
    OpBuilder::new(&s, "Sum").named_as_scope().input(x).input(axes).attr_bool("keep_dims", keep_dims).build_output()
}

/// `tf.math.argmax(x, axis, output_type=int64)`.
pub fn argmax(scope: &Scope, x: impl Into<Input>, axis: i64) -> Result<Output> {
    let s = scope.op_scope("ArgMax")?;
    let x = convert(&s, x, "input", None)?;
    let dim = int_scalar(&s, "dimension", axis)?;
    OpBuilder::new(&s, "ArgMax").named_as_scope().input(&x).input(&dim).attr_type("output_type", DType::Int64).build_output()
}
