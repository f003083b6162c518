//! Array ops as TF's `array_ops` makes them: placeholders, constants, shape queries (constants
//! when the static shape is known, as TF's `optimize=True`), reshape, concat, gather, cast, fills,
//! tiling and stacking.

use super::{Input, convert, fill_tensor_proto, make_tensor_proto, scalar_tensor};
use crate::graph::{Operation, Output};
use crate::scope::{OpBuilder, Scope};
use crate::shape::Shape;
use ferroflow_framework::{DType, Error, Result, Tensor};
use ferroflow_proto::attr_value::Value;

/// `tf.compat.v1.placeholder(dtype, shape)` (`Shape::unknown()` for no shape).
pub fn placeholder(scope: &Scope, dtype: DType, shape: impl Into<Shape>) -> Result<Output> {
    let shape = shape.into();
    let b = OpBuilder::new(scope, "Placeholder").name(scope.requested_name().unwrap_or("Placeholder")).attr_type("dtype", dtype);
    b.attr_shape("shape", &shape).build_output()
}

/// `tf.constant(value)`.
pub fn constant(scope: &Scope, value: &Tensor) -> Result<Output> {
    let proto = make_tensor_proto(value)?;
    OpBuilder::new(scope, "Const")
        .name(scope.requested_name().unwrap_or("Const"))
        .attr("value", Value::Tensor(proto))
        .attr_type("dtype", value.dtype())
        .build_output()
}

/// `tf.constant(values, shape=dims)` from a slice.
pub fn constant_from_slice<T: ferroflow_framework::TensorElement>(scope: &Scope, dims: &[i64], values: &[T]) -> Result<Output> {
    constant(scope, &Tensor::from_vec(dims.to_vec(), values.to_vec())?)
}

/// `tf.constant(scalar, shape=dims)`: one value repeated (how TF writes small fills).
pub(crate) fn constant_fill(scope: &Scope, name: Option<&str>, scalar: &Tensor, dims: &[i64]) -> Result<Output> {
    let mut b = OpBuilder::new(scope, "Const");
    b = match name {
        Some(n) => b.name(n),
        None => b.named_as_scope(),
    };
    b.attr("value", Value::Tensor(fill_tensor_proto(scalar, dims)?)).attr_type("dtype", scalar.dtype()).build_output()
}

/// An int32 vector constant named `name` in `scope` (how TF converts Python lists of ints).
pub(crate) fn int_vector(scope: &Scope, name: &str, values: &[i64]) -> Result<Output> {
    constant(&scope.named(name), &Tensor::from_vec(vec![values.len() as i64], values.iter().map(|&v| v as i32).collect::<Vec<_>>())?)
}

pub(crate) fn int_scalar(scope: &Scope, name: &str, value: i64) -> Result<Output> {
    constant(&scope.named(name), &Tensor::scalar(value as i32))
}

/// `tf.identity(x)`.
pub fn identity(scope: &Scope, x: impl Into<Input>) -> Result<Output> {
    super::unary(scope, "Identity", x)
}

/// `tf.stop_gradient(x)`.
pub fn stop_gradient(scope: &Scope, x: impl Into<Input>) -> Result<Output> {
    super::unary(scope, "StopGradient", x)
}

/// `tf.reshape(x, shape)`.
pub fn reshape(scope: &Scope, x: impl Into<Input>, shape: impl Into<Input>) -> Result<Output> {
    let s = scope.op_scope("Reshape")?;
    let x = convert(&s, x, "tensor", None)?;
    let shape = convert(&s, shape, "shape", None)?;
    OpBuilder::new(&s, "Reshape").named_as_scope().input(&x).input(&shape).build_output()
}

/// `tf.reshape(x, [d0, d1, ...])` with a constant shape (`-1` for the inferred dimension).
pub fn reshape_to(scope: &Scope, x: impl Into<Input>, dims: &[i64]) -> Result<Output> {
    let s = scope.op_scope("Reshape")?;
    let x = convert(&s, x, "tensor", None)?;
    let shape = int_vector(&s, "shape", dims)?;
    OpBuilder::new(&s, "Reshape").named_as_scope().input(&x).input(&shape).build_output()
}

/// `tf.concat(values, axis)`.
pub fn concat(scope: &Scope, values: Vec<Input>, axis: i64) -> Result<Output> {
    let s = scope.op_scope("concat")?;
    if values.len() == 1 {
        int_scalar(&s, "concat_dim", axis)?;
        let v = convert(&s, values.into_iter().next().unwrap_or(Input::Scalar(0.0, DType::Float)), "values", None)?;
        return OpBuilder::new(&s, "Identity").named_as_scope().input(&v).build_output();
    }
    let mut outs = Vec::with_capacity(values.len());
    let mut want = None;
    for (i, v) in values.into_iter().enumerate() {
        let o = convert(&s, v, &format!("values_{i}"), want)?;
        want = Some(o.dtype());
        outs.push(o);
    }
    let axis = int_scalar(&s, "axis", axis)?;
    OpBuilder::new(&s, "ConcatV2").named_as_scope().input_list(&outs).input(&axis).build_output()
}

/// `tf.gather(params, indices, axis=axis)` (batch_dims 0). A variable is read first (TF would use
/// `ResourceGather`, which ferroflow does not implement; the values are the same).
pub fn gather(scope: &Scope, params: impl Into<Input>, indices: impl Into<Input>, axis: i64) -> Result<Output> {
    let s = scope.op_scope("GatherV2")?;
    let params = convert(&s, params, "params", None)?;
    let indices = convert(&s, indices, "indices", None)?;
    let axis = int_scalar(&s, "axis", axis)?;
    OpBuilder::new(&s, "GatherV2").named_as_scope().input(&params).input(&indices).input(&axis).attr_int("batch_dims", 0).build_output()
}

/// `tf.cast(x, dtype)`; `x` itself when it already has that dtype.
pub fn cast(scope: &Scope, x: impl Into<Input>, dtype: DType) -> Result<Output> {
    let x = x.into();
    if let Input::Tensor(o) = &x
        && o.dtype() == dtype
    {
        return Ok(o.clone());
    }
    let s = scope.op_scope("Cast")?;
    let x = convert(&s, x, "x", None)?;
    if x.dtype() == dtype {
        return Ok(x);
    }
    OpBuilder::new(&s, "Cast").named_as_scope().input(&x).attr_type("DstT", dtype).build_output()
}

/// `tf.shape(x)`: a constant when the static shape is fully known, else a `Shape` op.
pub fn shape(scope: &Scope, x: &Output, out_type: DType) -> Result<Output> {
    let s = scope.op_scope("Shape")?;
    if let Some(dims) = x.shape().to_vec() {
        return shape_constant(&s, &dims, out_type);
    }
    OpBuilder::new(&s, "Shape").named_as_scope().input(x).attr_type("out_type", out_type).build_output()
}

/// A `Shape` op even when the shape is known (TF's `optimize=False`).
pub fn shape_op(scope: &Scope, x: &Output) -> Result<Output> {
    let s = scope.op_scope("Shape")?;
    OpBuilder::new(&s, "Shape").named_as_scope().input(x).attr_type("out_type", DType::Int32).build_output()
}

fn shape_constant(s: &Scope, dims: &[i64], out_type: DType) -> Result<Output> {
    let t = match out_type {
        DType::Int64 => Tensor::from_vec(vec![dims.len() as i64], dims.to_vec())?,
        _ => Tensor::from_vec(vec![dims.len() as i64], dims.iter().map(|&d| d as i32).collect::<Vec<_>>())?,
    };
    OpBuilder::new(s, "Const").named_as_scope().attr("value", Value::Tensor(make_tensor_proto(&t)?)).attr_type("dtype", out_type).build_output()
}

/// `tf.size(x)`: a constant when the element count is known.
pub fn size(scope: &Scope, x: &Output) -> Result<Output> {
    let s = scope.op_scope("Size")?;
    if let Some(n) = x.shape().num_elements() {
        return constant_fill(&s, None, &Tensor::scalar(n as i32), &[]);
    }
    OpBuilder::new(&s, "Size").named_as_scope().input(x).attr_type("out_type", DType::Int32).build_output()
}

/// `tf.rank(x)`: a constant when the rank is known.
pub fn rank(scope: &Scope, x: &Output) -> Result<Output> {
    let s = scope.op_scope("Rank")?;
    if let Some(r) = x.shape().rank() {
        return constant_fill(&s, None, &Tensor::scalar(r as i32), &[]);
    }
    OpBuilder::new(&s, "Rank").named_as_scope().input(x).build_output()
}

/// `tf.fill(dims, value)`.
pub fn fill(scope: &Scope, dims: &Output, value: impl Into<Input>) -> Result<Output> {
    let s = scope.op_scope("Fill")?;
    let value = convert(&s, value, "value", None)?;
    OpBuilder::new(&s, "Fill").named_as_scope().input(dims).input(&value).build_output()
}

fn filled(scope: &Scope, default: &str, value: f64, dims: &[i64], dtype: DType) -> Result<Output> {
    let s = scope.op_scope(default)?;
    let scalar = scalar_tensor(value, dtype)?;
    let count: i64 = dims.iter().product();
    if count < 1000 {
        return constant_fill(&s, None, &scalar, dims);
    }
    let shape = int_vector(&s, "shape_as_tensor", dims)?;
    let v = constant(&s, &scalar)?;
    OpBuilder::new(&s, "Fill").named_as_scope().input(&shape).input(&v).build_output()
}

fn filled_dynamic(scope: &Scope, default: &str, value: f64, shape: &Output, dtype: DType) -> Result<Output> {
    let s = scope.op_scope(default)?;
    let v = constant(&s, &scalar_tensor(value, dtype)?)?;
    OpBuilder::new(&s, "Fill").named_as_scope().input(shape).input(&v).build_output()
}

/// `tf.zeros(dims, dtype)`.
pub fn zeros(scope: &Scope, dims: &[i64], dtype: DType) -> Result<Output> {
    filled(scope, "zeros", 0.0, dims, dtype)
}

/// `tf.ones(dims, dtype)`.
pub fn ones(scope: &Scope, dims: &[i64], dtype: DType) -> Result<Output> {
    filled(scope, "ones", 1.0, dims, dtype)
}

/// `tf.zeros(shape_tensor, dtype)`.
pub fn zeros_dynamic(scope: &Scope, shape: &Output, dtype: DType) -> Result<Output> {
    filled_dynamic(scope, "zeros", 0.0, shape, dtype)
}

/// `tf.ones(shape_tensor, dtype)`.
pub fn ones_dynamic(scope: &Scope, shape: &Output, dtype: DType) -> Result<Output> {
    filled_dynamic(scope, "ones", 1.0, shape, dtype)
}

/// `tf.zeros_like(x)`: a constant when the shape is known and `optimize`, else `ZerosLike`.
pub fn zeros_like(scope: &Scope, x: &Output, optimize: bool) -> Result<Output> {
    let s = scope.op_scope("zeros_like")?;
    if optimize && let Some(dims) = x.shape().to_vec() {
        return zeros(&s.named(&format!("{}/", s.name_stack())), &dims, x.dtype());
    }
    OpBuilder::new(&s, "ZerosLike").named_as_scope().input(x).build_output()
}

/// `tf.tile(x, multiples)`.
pub fn tile(scope: &Scope, x: &Output, multiples: impl Into<Input>) -> Result<Output> {
    let s = scope.op_scope("Tile")?;
    let m = convert(&s, multiples, "multiples", None)?;
    OpBuilder::new(&s, "Tile").named_as_scope().input(x).input(&m).build_output()
}

/// `tf.expand_dims(x, axis)`.
pub fn expand_dims(scope: &Scope, x: &Output, axis: i64) -> Result<Output> {
    let s = scope.op_scope("ExpandDims")?;
    let dim = int_scalar(&s, "dim", axis)?;
    OpBuilder::new(&s, "ExpandDims").named_as_scope().input(x).input(&dim).build_output()
}

/// `tf.squeeze(x, axis)`.
pub fn squeeze(scope: &Scope, x: &Output, axes: &[i64]) -> Result<Output> {
    let s = scope.op_scope("Squeeze")?;
    let list = ferroflow_proto::attr_value::ListValue { i: axes.to_vec(), ..Default::default() };
    OpBuilder::new(&s, "Squeeze").named_as_scope().input(x).attr("squeeze_dims", Value::List(list)).build_output()
}

/// `tf.stack(values, axis)` (scope `stack`; a list converted to a tensor uses the argument's name).
pub fn stack(scope: &Scope, values: &[Output], axis: i64) -> Result<Output> {
    let s = scope.op_scope("stack")?;
    OpBuilder::new(&s, "Pack").named_as_scope().input_list(values).attr_int("axis", axis).build_output()
}

/// `tf.slice(x, begin, size)`.
pub fn slice(scope: &Scope, x: &Output, begin: impl Into<Input>, size: impl Into<Input>) -> Result<Output> {
    let s = scope.op_scope("Slice")?;
    let begin = convert(&s, begin, "begin", None)?;
    let size = convert(&s, size, "size", None)?;
    OpBuilder::new(&s, "Slice").named_as_scope().input(x).input(&begin).input(&size).build_output()
}

/// `tf.range(start, limit, delta)` with int32 bounds.
pub fn range(scope: &Scope, start: impl Into<Input>, limit: impl Into<Input>, delta: impl Into<Input>) -> Result<Output> {
    let s = scope.op_scope("range")?;
    let start = convert(&s, start, "start", Some(DType::Int32))?;
    let limit = convert(&s, limit, "limit", Some(DType::Int32))?;
    let delta = convert(&s, delta, "delta", Some(DType::Int32))?;
    OpBuilder::new(&s, "Range").named_as_scope().input(&start).input(&limit).input(&delta).build_output()
}

/// `tf.broadcast_to(x, shape)`.
pub fn broadcast_to(scope: &Scope, x: &Output, shape: &Output) -> Result<Output> {
    let s = scope.op_scope("BroadcastTo")?;
    OpBuilder::new(&s, "BroadcastTo").named_as_scope().input(x).input(shape).build_output()
}

/// `tf.dynamic_stitch(indices, data)`.
pub fn dynamic_stitch(scope: &Scope, indices: &[Output], data: &[Output]) -> Result<Output> {
    let s = scope.op_scope("DynamicStitch")?;
    OpBuilder::new(&s, "DynamicStitch").named_as_scope().input_list(indices).input_list(data).build_output()
}

/// `tf.math.unsorted_segment_sum(data, segment_ids, num_segments)`.
pub fn unsorted_segment_sum(scope: &Scope, data: &Output, ids: &Output, num_segments: &Output) -> Result<Output> {
    let s = scope.op_scope("UnsortedSegmentSum")?;
    OpBuilder::new(&s, "UnsortedSegmentSum").named_as_scope().input(data).input(ids).input(num_segments).build_output()
}

/// `gen_array_ops.concat_offset(concat_dim, shapes)`: one offset per shape.
pub fn concat_offset(scope: &Scope, dim: &Output, shapes: &[Output]) -> Result<Vec<Output>> {
    let s = scope.op_scope("ConcatOffset")?;
    let op = OpBuilder::new(&s, "ConcatOffset").named_as_scope().input(dim).input_list(shapes).build()?;
    Ok(op.outputs())
}

/// `tf.transpose(x, perm)`.
pub fn transpose(scope: &Scope, x: &Output, perm: &Output) -> Result<Output> {
    let s = scope.op_scope("transpose")?;
    OpBuilder::new(&s, "Transpose").named_as_scope().input(x).input(perm).build_output()
}

/// Output `i` of a multi-output op, checked.
pub fn output_of(op: &Operation, i: usize) -> Result<Output> {
    if i < op.num_outputs() { Ok(op.output(i)) } else { Err(Error::invalid_argument(format!("{} has no output {i}", op.name()))) }
}
