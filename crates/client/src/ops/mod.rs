//! Ops as typed functions, each making the nodes TF's Python API makes for the same call (names,
//! name scopes, attrs, the constants it converts arguments into).
//!
//! - [`array`]: placeholders, constants, shapes, reshape, concat, gather, cast, fills.
//! - [`math`]: arithmetic, matmul, reductions, comparisons, argmax.
//! - [`nn`]: bias_add, activations, softmax and the cross-entropy losses.
//! - [`random`]: random tensors with TF's seed derivation.
//! - [`control`]: no_op, group, tuple, with_dependencies.
//!
//! Arguments are anything [`Into<Input>`]: an `Output`, a `Tensor` or Rust scalar (made a `Const`
//! named after the argument inside the op's scope, as TF converts Python values), or a `Variable`
//! (read with a `ReadVariableOp` inside the op's scope, as TF reads resource variables).
//!
//! Pure functions that add nodes to the scope's graph.

pub mod array;
pub mod control;
pub mod math;
pub mod nn;
pub mod random;

use crate::graph::Output;
use crate::scope::{OpBuilder, Scope};
use crate::shape::Shape;
use crate::variables::Variable;
use bytes::Bytes;
use ferroflow_framework::{DType, Error, Result, Tensor};
use ferroflow_proto::TensorProto;

/// An op argument before conversion to a tensor of the graph.
#[derive(Clone, Debug)]
pub enum Input {
    Tensor(Output),
    Value(Tensor),
    /// A Rust number, converted to the dtype the op wants (`float` when nothing says).
    Scalar(f64, DType),
    Variable(Variable),
}

impl From<Output> for Input {
    fn from(o: Output) -> Input {
        Input::Tensor(o)
    }
}
impl From<&Output> for Input {
    fn from(o: &Output) -> Input {
        Input::Tensor(o.clone())
    }
}
impl From<Tensor> for Input {
    fn from(t: Tensor) -> Input {
        Input::Value(t)
    }
}
impl From<&Tensor> for Input {
    fn from(t: &Tensor) -> Input {
        Input::Value(t.clone())
    }
}
impl From<&Variable> for Input {
    fn from(v: &Variable) -> Input {
        Input::Variable(v.clone())
    }
}
impl From<f32> for Input {
    fn from(v: f32) -> Input {
        Input::Scalar(v as f64, DType::Float)
    }
}
impl From<f64> for Input {
    fn from(v: f64) -> Input {
        Input::Scalar(v, DType::Float)
    }
}
impl From<i32> for Input {
    fn from(v: i32) -> Input {
        Input::Scalar(v as f64, DType::Int32)
    }
}
impl From<i64> for Input {
    fn from(v: i64) -> Input {
        Input::Scalar(v as f64, DType::Int32)
    }
}

impl Input {
    /// The dtype this argument has before any conversion, if it is already typed.
    pub fn dtype(&self) -> Option<DType> {
        match self {
            Input::Tensor(o) => Some(o.dtype()),
            Input::Value(t) => Some(t.dtype()),
            Input::Variable(v) => Some(v.dtype()),
            Input::Scalar(..) => None,
        }
    }
}

/// A scalar tensor of `dtype` holding `v`.
pub fn scalar_tensor(v: f64, dtype: DType) -> Result<Tensor> {
    Ok(match dtype {
        DType::Float => Tensor::scalar(v as f32),
        DType::Double => Tensor::scalar(v),
        DType::Int32 => Tensor::scalar(v as i32),
        DType::Int64 => Tensor::scalar(v as i64),
        DType::Int16 => Tensor::scalar(v as i16),
        DType::Int8 => Tensor::scalar(v as i8),
        DType::UInt8 => Tensor::scalar(v as u8),
        DType::UInt16 => Tensor::scalar(v as u16),
        DType::UInt32 => Tensor::scalar(v as u32),
        DType::UInt64 => Tensor::scalar(v as u64),
        DType::Bool => Tensor::from_bools(Vec::<i64>::new(), vec![v != 0.0])?,
        other => return Err(Error::invalid_argument(format!("Cannot convert {v} to a {other} tensor"))),
    })
}

/// Converts `input` to a tensor of the graph in `scope` (the op's own scope): constants are
/// named `arg`, variable reads `ReadVariableOp`. `want` is the dtype the op requires, if known.
pub fn convert(scope: &Scope, input: impl Into<Input>, arg: &str, want: Option<DType>) -> Result<Output> {
    let input = input.into();
    let out = match input {
        Input::Tensor(o) => o,
        Input::Value(t) => array::constant(&scope.named(arg), &t)?,
        Input::Scalar(v, default) => array::constant(&scope.named(arg), &scalar_tensor(v, want.unwrap_or(default))?)?,
        Input::Variable(v) => v.read_in(scope)?,
    };
    if let Some(want) = want
        && out.dtype() != want
    {
        return Err(Error::invalid_argument(format!(
            "Tensor conversion requested dtype {want} for Tensor with dtype {}: {}",
            out.dtype(),
            out.name()
        )));
    }
    Ok(out)
}

/// Converts the two arguments of a binary op: typed ones first, so a Rust scalar takes the
/// other argument's dtype (TF converts `x + 1.0` with `x`'s dtype).
pub fn convert_pair(scope: &Scope, x: Input, y: Input, names: (&str, &str)) -> Result<(Output, Output)> {
    match (x.dtype(), y.dtype()) {
        (None, Some(t)) => {
            let x = convert(scope, x, names.0, Some(t))?;
            let y = convert(scope, y, names.1, Some(t))?;
            Ok((x, y))
        }
        _ => {
            let x = convert(scope, x, names.0, None)?;
            let want = x.dtype();
            let y = convert(scope, y, names.1, Some(want))?;
            Ok((x, y))
        }
    }
}

/// A `TensorProto` as TF's `make_tensor_proto` writes a full array: `tensor_content` for more than
/// one fixed-size element (bool excepted), typed values otherwise.
pub fn make_tensor_proto(t: &Tensor) -> Result<TensorProto> {
    let mut p = TensorProto { dtype: t.dtype().to_proto(), tensor_shape: Some(Shape::from_dims(t.dims()).to_proto()), ..Default::default() };
    let n = t.num_elements();
    match t.dtype() {
        DType::Bool => p.bool_val = t.bools()?,
        DType::String => p.string_val = t.strings()?.to_vec(),
        DType::Resource => return Err(Error::invalid_argument("Cannot make a constant of resource handles")),
        _ if n > 1 => p.tensor_content = t.raw_bytes().cloned().unwrap_or_else(Bytes::new),
        _ => put_typed_values(&mut p, t)?,
    }
    Ok(p)
}

/// A `TensorProto` of `shape` whose every element is the one value of `scalar` (TF's
/// `constant(value, shape=...)`: one typed value repeated by the reader).
pub fn fill_tensor_proto(scalar: &Tensor, shape: &[i64]) -> Result<TensorProto> {
    let mut p = make_tensor_proto(scalar)?;
    p.tensor_shape = Some(Shape::from_dims(shape).to_proto());
    Ok(p)
}

fn put_typed_values(p: &mut TensorProto, t: &Tensor) -> Result<()> {
    match t.dtype() {
        DType::Float => p.float_val = t.to_vec::<f32>()?,
        DType::Double => p.double_val = t.to_vec::<f64>()?,
        DType::Int32 => p.int_val = t.to_vec::<i32>()?,
        DType::Int16 => p.int_val = t.to_vec::<i16>()?.into_iter().map(i32::from).collect(),
        DType::Int8 => p.int_val = t.to_vec::<i8>()?.into_iter().map(i32::from).collect(),
        DType::UInt8 => p.int_val = t.to_vec::<u8>()?.into_iter().map(i32::from).collect(),
        DType::UInt16 => p.int_val = t.to_vec::<u16>()?.into_iter().map(i32::from).collect(),
        DType::Int64 => p.int64_val = t.to_vec::<i64>()?,
        DType::UInt32 => p.uint32_val = t.to_vec::<u32>()?,
        DType::UInt64 => p.uint64_val = t.to_vec::<u64>()?,
        other => return Err(Error::invalid_argument(format!("no typed values for {other}"))),
    }
    Ok(())
}

/// An op of one input and one output of the same type, named after its type (`tf.nn.relu` ...).
pub(crate) fn unary(scope: &Scope, op_type: &str, x: impl Into<Input>) -> Result<Output> {
    let s = scope.op_scope(op_type)?;
    let x = convert(&s, x, "x", None)?;
    OpBuilder::new(&s, op_type).named_as_scope().input(&x).build_output()
}

/// A binary op made by its generated wrapper (`tf.math.maximum` ...): scope `default`, inputs
/// `x`, `y`.
pub(crate) fn binary(scope: &Scope, op_type: &str, default: &str, x: impl Into<Input>, y: impl Into<Input>) -> Result<Output> {
    let s = scope.op_scope(default)?;
    let (x, y) = convert_pair(&s, x.into(), y.into(), ("x", "y"))?;
    OpBuilder::new(&s, op_type).named_as_scope().input(&x).input(&y).build_output()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constants_are_encoded_as_make_tensor_proto_does() {
        let many = make_tensor_proto(&Tensor::from_vec(vec![2], vec![1.0f32, 2.0]).unwrap()).unwrap();
        assert_eq!(many.tensor_content.len(), 8);
        assert!(many.float_val.is_empty());
        let one = make_tensor_proto(&Tensor::from_vec(vec![1], vec![7i32]).unwrap()).unwrap();
        assert_eq!(one.int_val, vec![7]);
        let bools = make_tensor_proto(&Tensor::from_bools(vec![2], vec![true, false]).unwrap()).unwrap();
        assert_eq!(bools.bool_val, vec![true, false]);
        let fill = fill_tensor_proto(&Tensor::scalar(0.0f32), &[4, 3]).unwrap();
        assert_eq!(fill.float_val, vec![0.0]);
        assert_eq!(fill.tensor_shape.unwrap().dim.len(), 2);
    }
}
