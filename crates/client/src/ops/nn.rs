//! Neural-network ops as TF's `nn_ops` makes them: bias_add, activations, softmax and the two
//! softmax cross-entropy losses (with TF's flattening graph for the dense one), plus the
//! gradient kernels their gradients use.

use super::array::{constant, int_vector, rank, reshape, shape};
use super::{Input, convert, convert_pair, unary};
use crate::graph::Output;
use crate::scope::{OpBuilder, Scope};
use crate::shape::Shape;
use ferroflow_framework::{DType, Error, Result, Tensor};

/// `tf.nn.bias_add(value, bias)` (data_format NHWC).
pub fn bias_add(scope: &Scope, value: impl Into<Input>, bias: impl Into<Input>) -> Result<Output> {
    let s = scope.op_scope("BiasAdd")?;
    let (value, bias) = convert_pair(&s, value.into(), bias.into(), ("input", "bias"))?;
    OpBuilder::new(&s, "BiasAdd").named_as_scope().input(&value).input(&bias).build_output()
}

/// `tf.nn.relu(x)`.
pub fn relu(scope: &Scope, x: impl Into<Input>) -> Result<Output> {
    unary(scope, "Relu", x)
}

/// `tf.sigmoid(x)`.
pub fn sigmoid(scope: &Scope, x: impl Into<Input>) -> Result<Output> {
    unary(scope, "Sigmoid", x)
}

/// `tf.tanh(x)`.
pub fn tanh(scope: &Scope, x: impl Into<Input>) -> Result<Output> {
    unary(scope, "Tanh", x)
}

/// `tf.nn.softmax(logits)` over the last axis.
pub fn softmax(scope: &Scope, logits: impl Into<Input>) -> Result<Output> {
    unary(scope, "Softmax", logits)
}

/// `tf.nn.log_softmax(logits)` over the last axis.
pub fn log_softmax(scope: &Scope, logits: impl Into<Input>) -> Result<Output> {
    unary(scope, "LogSoftmax", logits)
}

fn grad_op(scope: &Scope, op_type: &str, a: &Output, b: &Output) -> Result<Output> {
    let s = scope.op_scope(op_type)?;
    OpBuilder::new(&s, op_type).named_as_scope().input(a).input(b).build_output()
}

/// `gen_nn_ops.relu_grad(gradients, features)`.
pub fn relu_grad(scope: &Scope, grad: &Output, features: &Output) -> Result<Output> {
    grad_op(scope, "ReluGrad", grad, features)
}

/// `gen_math_ops.sigmoid_grad(y, dy)`.
pub fn sigmoid_grad(scope: &Scope, y: &Output, dy: &Output) -> Result<Output> {
    grad_op(scope, "SigmoidGrad", y, dy)
}

/// `gen_math_ops.tanh_grad(y, dy)`.
pub fn tanh_grad(scope: &Scope, y: &Output, dy: &Output) -> Result<Output> {
    grad_op(scope, "TanhGrad", y, dy)
}

/// `gen_nn_ops.bias_add_grad(out_backprop)` (data_format NHWC).
pub fn bias_add_grad(scope: &Scope, grad: &Output) -> Result<Output> {
    let s = scope.op_scope("BiasAddGrad")?;
    OpBuilder::new(&s, "BiasAddGrad").named_as_scope().input(grad).build_output()
}

/// `tf.nn.sparse_softmax_cross_entropy_with_logits(labels, logits)`: the per-example loss, for
/// logits of rank 2 (TF's reshaping path for other ranks needs `Assert`, which ferroflow lacks).
pub fn sparse_softmax_cross_entropy_with_logits(scope: &Scope, labels: impl Into<Input>, logits: impl Into<Input>) -> Result<Output> {
    let s = scope.op_scope("SparseSoftmaxCrossEntropyWithLogits")?;
    let labels = convert(&s, labels, "labels", None)?;
    let logits = convert(&s, logits, "logits", None)?;
    let (ls, gs) = (labels.shape(), logits.shape());
    if gs.rank() == Some(0) {
        return Err(Error::invalid_argument(format!("`logits` cannot be a scalar. Received logits={logits:?}`")));
    }
    if let (Some(lr), Some(gr)) = (ls.rank(), gs.rank())
        && lr + 1 != gr
    {
        return Err(Error::invalid_argument(format!(
            "`labels.shape.rank` must equal `logits.shape.rank - 1`. Received: labels.shape={ls} of rank {lr} and logits.shape={gs} of rank {gr}"
        )));
    }
    if gs.rank() != Some(2) {
        return Err(Error::unimplemented(format!("sparse_softmax_cross_entropy_with_logits supports logits of rank 2 (got {gs})")));
    }
    let batch = gs.prefix(1);
    if ls.is_fully_defined() && batch.is_fully_defined() && ls != batch {
        return Err(Error::invalid_argument(format!(
            "`labels.shape` must equal `logits.shape` except for the last dimension. Received: labels.shape={ls} and logits.shape={gs}"
        )));
    }
    shape(&s, &labels, DType::Int32)?;
    let op = OpBuilder::new(&s, "SparseSoftmaxCrossEntropyWithLogits").input(&logits).input(&labels).build()?;
    Ok(op.output(0))
}

/// `begin`/`size` of a slice: a constant list, or one scalar tensor packed into a vector.
enum SliceArg<'a> {
    Ints(&'a [i64]),
    Packed(&'a Output),
}

fn slice_with(scope: &Scope, x: &Output, begin: SliceArg, size: SliceArg) -> Result<Output> {
    let s = scope.op_scope("Slice")?;
    let arg = |a: SliceArg, name: &str| -> Result<Output> {
        match a {
            SliceArg::Ints(v) => int_vector(&s, name, v),
            SliceArg::Packed(t) => {
                let p = s.name_scope(name)?;
                OpBuilder::new(&p, "Pack").named_as_scope().input_list(std::slice::from_ref(t)).build_output()
            }
        }
    };
    let b = arg(begin, "begin")?;
    let z = arg(size, "size")?;
    OpBuilder::new(&s, "Slice").named_as_scope().input(x).input(&b).input(&z).build_output()
}

/// TF's `_flatten_outer_dims`: `x` reshaped to `[-1, last_dim]`.
fn flatten_outer_dims(s: &Scope, x: &Output) -> Result<Output> {
    let r = rank(s, x)?;
    let sh = shape(s, x, DType::Int32)?;
    let last = op_sub_int(s, &r)?;
    let last_dim = slice_with(s, &sh, SliceArg::Packed(&last), SliceArg::Ints(&[1]))?;
    let new_shape = super::array::concat(s, vec![Input::Value(Tensor::from_vec(vec![1], vec![-1i32])?), Input::Tensor(last_dim)], 0)?;
    let out = reshape(s, x, &new_shape)?;
    if let Some(d) = x.shape().dims()
        && let Some(last) = d.last()
    {
        let outer: Option<i64> = d[..d.len() - 1].iter().copied().product();
        s.graph().set_shape(&out, &Shape::from_partial(vec![outer, *last]))?;
    }
    Ok(out)
}

/// `math_ops.subtract(t, 1)` on an int32 scalar (node `Sub`).
fn op_sub_int(s: &Scope, t: &Output) -> Result<Output> {
    super::math::sub(s, t, 1i32)
}

/// `tf.nn.softmax_cross_entropy_with_logits(labels, logits)` over the last axis, with TF's graph:
/// both flattened to 2-D, the loss op, the loss reshaped to the logits' outer shape.
pub fn softmax_cross_entropy_with_logits(scope: &Scope, labels: impl Into<Input>, logits: impl Into<Input>) -> Result<Output> {
    let s = scope.op_scope("softmax_cross_entropy_with_logits")?;
    let logits = convert(&s, logits, "logits", None)?;
    let labels = convert(&s, labels, "labels", None)?;
    let labels = super::array::cast(&s, &labels, logits.dtype())?;
    let input_rank = rank(&s, &logits)?;
    let static_shape = logits.shape();
    let input_shape = shape(&s, &logits, DType::Int32)?;
    let flat_logits = flatten_outer_dims(&s, &logits)?;
    let flat_labels = flatten_outer_dims(&s, &labels)?;
    let op = OpBuilder::new(&s, "SoftmaxCrossEntropyWithLogits").named_as_scope().input(&flat_logits).input(&flat_labels).build()?;
    let cost = op.output(0);
    let outer = op_sub_int(&s, &input_rank)?;
    let output_shape = slice_with(&s, &input_shape, SliceArg::Ints(&[0]), SliceArg::Packed(&outer))?;
    let cost = reshape(&s, &cost, &output_shape)?;
    if let Some(d) = static_shape.dims()
        && !d.is_empty()
    {
        s.graph().set_shape(&cost, &Shape::from_partial(d[..d.len() - 1].to_vec()))?;
    }
    Ok(cost)
}

/// `gen_nn_ops.softmax_cross_entropy_with_logits(features, labels)`: (loss, backprop).
pub fn softmax_cross_entropy_op(scope: &Scope, logits: &Output, labels: &Output) -> Result<(Output, Output)> {
    let s = scope.op_scope("SoftmaxCrossEntropyWithLogits")?;
    let op = OpBuilder::new(&s, "SoftmaxCrossEntropyWithLogits").named_as_scope().input(logits).input(labels).build()?;
    Ok((op.output(0), op.output(1)))
}

/// A float scalar constant named `name` (helpers for optimizers and initializers).
pub(crate) fn float_scalar(scope: &Scope, name: &str, value: f64, dtype: DType) -> Result<Output> {
    constant(&scope.named(name), &super::scalar_tensor(value, dtype)?)
}
