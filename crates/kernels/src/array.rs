//! Array ops: constants, identities and placeholders, shape queries and reshapes, gathers and
//! tiling, concatenation and stacking, slicing, transposition, padding and ranges.
//!
//! Concurrency: every kernel here is stateless — built once per graph from its attributes, then
//! run concurrently by any number of steps (`Send + Sync`, no interior mutability). Ops whose output
//! holds the input's elements in the same order (Identity, Reshape, ExpandDims, Squeeze, Unpack
//! along a leading axis, ...) share the input buffer instead of copying it. Data-movement ops work
//! on every dtype through [`elems`], which views fixed-size elements as machine words of their
//! width, so one copy loop serves float, int64 and bool alike.

mod basic;
mod concat;
pub(crate) mod elems;
mod gather;
#[cfg(test)]
pub(crate) mod oracle;
mod pad;
mod reshape;
mod slice;
mod strided;
mod transpose;

use ferroflow_framework::{Error, Kernel, KernelRegistry, OpKernel, OpKernelContext, Result, Tensor, TensorShape};

pub(crate) fn register(reg: &mut KernelRegistry) {
    basic::register(reg);
    reshape::register(reg);
    gather::register(reg);
    concat::register(reg);
    slice::register(reg);
    transpose::register(reg);
    pad::register(reg);
}

/// A kernel whose compute step is a closure (captured state is the kernel's, immutable).
pub(crate) struct FnKernel<F>(pub F);

impl<F> OpKernel for FnKernel<F>
where
    F: Fn(&mut OpKernelContext<'_>) -> Result<()> + Send + Sync,
{
    fn compute(&self, ctx: &mut OpKernelContext<'_>) -> Result<()> {
        (self.0)(ctx)
    }
}

/// A synchronous kernel with `num_outputs` outputs computed by `f`.
pub(crate) fn kernel<F>(num_outputs: usize, f: F) -> Kernel
where
    F: Fn(&mut OpKernelContext<'_>) -> Result<()> + Send + Sync + 'static,
{
    Kernel::sync(FnKernel(f), num_outputs)
}

/// Largest element count a tensor may have (TF's shapes hold at most 2^63 - 1 elements).
const MAX_ELEMENTS: i128 = i64::MAX as i128;

/// A shape from dimension sizes computed from op inputs: negative sizes and element counts that
/// overflow are INVALID_ARGUMENT instead of wrapping.
pub(crate) fn checked_shape(dims: &[i64]) -> Result<TensorShape> {
    let shape = TensorShape::from_dims(dims)?;
    let mut n: i128 = 1;
    for &d in dims {
        n *= d as i128;
        if n > MAX_ELEMENTS {
            return Err(Error::invalid_argument(format!("Encountered overflow when multiplying shape {shape}")));
        }
    }
    if usize::try_from(n).is_err() {
        return Err(Error::resource_exhausted(format!("Shape {shape} has more elements than this host can address")));
    }
    Ok(shape)
}

/// Product of dimension sizes as `usize` (dims of existing tensors, so it cannot overflow).
pub(crate) fn prod(dims: &[i64]) -> usize {
    dims.iter().map(|&d| d as usize).product()
}

/// The values of a scalar or one-element vector integer input (TF's "legacy scalar").
pub(crate) fn legacy_scalar(t: &Tensor) -> Option<i64> {
    if t.rank() <= 1 && t.num_elements() == 1 { t.to_i64_vec().ok().map(|v| v[0]) } else { None }
}

/// Strides (in elements) of a row-major shape.
pub(crate) fn strides_of(dims: &[usize]) -> Vec<usize> {
    let mut s = vec![1usize; dims.len()];
    for i in (0..dims.len().saturating_sub(1)).rev() {
        s[i] = s[i + 1] * dims[i + 1];
    }
    s
}
