//! Element-wise ops (`cwise`): arithmetic, comparisons, logical ops, selects, unary math, their
//! gradient helpers and `Cast`, with TensorFlow's semantics, allowed dtypes and error messages.
//!
//! Each op's function is written once, generically over the element type ([`num::Num`],
//! [`num::Float`]); the kernel factory checks the `T` attr against the op's allowed types (TF's
//! "not in the list of allowed values", or NOT_FOUND when the op allows a type that has no CPU
//! kernel) and picks the monomorphized function for that dtype once, at build time. Binary ops
//! broadcast through [`crate::broadcast`]. Bool tensors are handled as bytes (0 or 1).
//!
//! Concurrency: kernels are stateless (`Send + Sync`), built once per graph and run concurrently by
//! any number of steps; large outputs are computed on rayon's global pool.
//!
//! Submodules: [`num`] (element arithmetic), `fastmath` (vectorizable f32 exp/tanh), `binary`,
//! `unary`, `select`, `cast`.

pub(crate) mod num;

mod binary;
mod cast;
mod composition;
mod fastmath;
mod math;
mod select;
mod special;
mod unary;

#[cfg(test)]
pub(crate) mod tests;

use bytes::Bytes;
use ferroflow_framework::{DType, Error, KernelInit, OpRegistry, Result, Tensor, TensorShape};
use std::borrow::Cow;

pub(crate) fn register(reg: &mut OpRegistry) {
    binary::register(reg);
    unary::register(reg);
    math::register(reg);
    special::register(reg);
    composition::register(reg);
    select::register(reg);
    cast::register(reg);
}

/// Reads type attr `name`: INVALID_ARGUMENT (TF's "not in the list of allowed values") unless it is
/// one of `op_def` (the op's allowed types, in its definition's order), NOT_FOUND (TF's "No
/// registered kernel") when it is allowed but not in `cpu`, the types with a CPU kernel.
pub(crate) fn type_attr(init: &KernelInit<'_>, name: &str, op_def: &[DType], cpu: &[DType]) -> Result<DType> {
    let t = init.attrs.get_type_in(name, op_def)?;
    if !cpu.contains(&t) {
        return Err(no_kernel(init, &format!("{name}={}", dt_name(t))));
    }
    Ok(t)
}

/// TF's NOT_FOUND for a node whose attributes match no CPU kernel of its op.
pub(crate) fn no_kernel(init: &KernelInit<'_>, requested: &str) -> Error {
    Error::not_found(format!(
        "No registered '{}' OpKernel for 'CPU' devices compatible with node {{{{node {}}}}}\n\t (OpKernel was found, but attributes didn't match) Requested Attributes: {requested}",
        init.node.op, init.node.name
    ))
}

/// The `DT_FLOAT` spelling of a dtype.
pub(crate) fn dt_name(t: DType) -> String {
    ferroflow_proto::DataType::try_from(t.to_proto())
        .map(|d| d.as_str_name().to_string())
        .unwrap_or_else(|_| t.name().into())
}

/// The elements of a fixed-size tensor of dtype `dtype` as its storage type `T` (`u8` for bool):
/// borrowed when aligned, else copied. INVALID_ARGUMENT when the tensor has another dtype.
pub(crate) fn pod_values<T: bytemuck::Pod>(t: &Tensor, dtype: DType) -> Result<Cow<'_, [T]>> {
    let bytes = match t.raw_bytes() {
        Some(b) if t.dtype() == dtype && dtype.size() == Some(std::mem::size_of::<T>()) => b,
        _ => {
            return Err(Error::invalid_argument(format!(
                "Expected a {dtype} tensor, got {} with shape {}",
                t.dtype(),
                t.shape()
            )));
        }
    };
    Ok(match bytemuck::try_cast_slice::<u8, T>(bytes) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => Cow::Owned(bytemuck::pod_collect_to_vec(bytes)),
    })
}

/// Owns a vector of plain elements and shows it as bytes, so a tensor can wrap it uncopied.
struct PodOwner<T>(Vec<T>);

impl<T: bytemuck::Pod> AsRef<[u8]> for PodOwner<T> {
    fn as_ref(&self) -> &[u8] {
        bytemuck::cast_slice(&self.0)
    }
}

/// A tensor of dtype `dtype` over `values` of its storage type (`u8` for bool), without copying.
pub(crate) fn pod_tensor<T: bytemuck::Pod + Send + Sync>(
    dtype: DType,
    shape: TensorShape,
    values: Vec<T>,
) -> Result<Tensor> {
    Tensor::from_bytes(dtype, shape, Bytes::from_owner(PodOwner(values)))
}

/// The real (numeric) dtypes ferroflow knows, used where an op accepts any of them.
pub(crate) const REAL: &[DType] = DType::REAL;

/// Every dtype ferroflow knows, for ops whose type attr is unrestricted.
pub(crate) const ALL_TYPES: &[DType] = &[
    DType::Float,
    DType::Double,
    DType::Int32,
    DType::UInt8,
    DType::Int16,
    DType::Int8,
    DType::String,
    DType::Int64,
    DType::Bool,
    DType::UInt16,
    DType::Resource,
    DType::UInt32,
    DType::UInt64,
];

/// Real types plus bool and string: what TF's CPU comparison and select kernels accept.
pub(crate) const REAL_BOOL_STRING: &[DType] = &[
    DType::Float,
    DType::Double,
    DType::Int32,
    DType::UInt8,
    DType::Int16,
    DType::Int8,
    DType::String,
    DType::Int64,
    DType::Bool,
    DType::UInt16,
    DType::UInt32,
    DType::UInt64,
];

pub(crate) const FLOATS: &[DType] = &[DType::Float, DType::Double];
