//! Array ops: constants, identities and placeholders, shape queries and reshapes, gathers and
//! tiling, concatenation and stacking, slicing, transposition, padding and ranges; n-d gathers and
//! scatters, splits, reversals and rolls, one-hot encoding, bin counts, sorted searches, top-k and `Where`.
//!
//! Concurrency: every kernel here is stateless — built once per graph from its attributes, then
//! run concurrently by any number of steps (`Send + Sync`, no interior mutability). Ops whose output
//! holds the input's elements in the same order (Identity, Reshape, ExpandDims, Squeeze, Unpack
//! along a leading axis, ...) share the input buffer instead of copying it. Data-movement ops work
//! on every dtype through [`elems`], which views fixed-size elements as machine words of their
//! width, so one copy loop serves float, int64 and bool alike.

mod basic;
mod bincount;
mod broadcast_to;
mod concat_offset;
mod concat;
mod diag;
pub(crate) mod elems;
mod gather;
pub(crate) use gather::gather as gather_along;
mod gather_nd;
mod misc;
mod one_hot;
#[cfg(test)]
pub(crate) mod oracle;
mod pad;
mod reshape;
mod reverse;
mod scatter_nd;
mod slice;
mod split;
mod strided;
mod topk;
mod transpose;
mod unique;
mod where_true;

use ferroflow_framework::{Error, Kernel, OpRegistry, OpKernel, OpKernelContext, Result, Tensor, TensorShape};

pub(crate) fn register(reg: &mut OpRegistry) {
    basic::register(reg);
    broadcast_to::register(reg);
    concat_offset::register(reg);
    reshape::register(reg);
    gather::register(reg);
    concat::register(reg);
    slice::register(reg);
    transpose::register(reg);
    pad::register(reg);
    misc::register(reg);
    bincount::register(reg);
    gather_nd::register(reg);
    scatter_nd::register(reg);
    one_hot::register(reg);
    reverse::register(reg);
    split::register(reg);
    topk::register(reg);
    where_true::register(reg);
    unique::register(reg);
    diag::register(reg);
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

/// A type attr that must be one of `allowed`, or `default` when the node leaves it out (TF fills
/// defaults in, but GraphDefs may omit attrs at their default value).
pub(crate) fn type_attr_or(
    init: &ferroflow_framework::KernelInit<'_>,
    name: &str,
    default: ferroflow_framework::DType,
    allowed: &[ferroflow_framework::DType],
) -> Result<ferroflow_framework::DType> {
    if init.attrs.has(name) { init.attrs.get_type_in(name, allowed) } else { Ok(default) }
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

/// The elements of `values` one after another, as one tensor of `shape` (their dtype).
pub(crate) fn concat_rows(values: &[Tensor], shape: TensorShape) -> Result<Tensor> {
    struct Append;
    impl elems::Mover for Append {
        fn fill<E: elems::Elem>(&self, srcs: &[&[E]], out: &mut Vec<E>) -> Result<()> {
            for s in srcs {
                out.extend_from_slice(s);
            }
            Ok(())
        }
    }
    let first = values.first().ok_or_else(|| Error::invalid_argument("no tensors to join"))?;
    let srcs: Vec<&Tensor> = values.iter().collect();
    elems::move_elements(first.dtype(), &srcs, shape, &Append)
}

/// Strides (in elements) of a row-major shape.
pub(crate) fn strides_of(dims: &[usize]) -> Vec<usize> {
    let mut s = vec![1usize; dims.len()];
    for i in (0..dims.len().saturating_sub(1)).rev() {
        s[i] = s[i + 1] * dims[i + 1];
    }
    s
}

#[cfg(test)]
mod tests {
    use crate::testutil::{Lcg, node, run};
    use ferroflow_framework::{DType, Tensor};


    const HOSTILE: [i64; 10] = [i64::MIN, -(1 << 40), -3, -1, 0, 1, 2, 3, 1 << 40, i64::MAX];

    fn int_tensor(g: &mut Lcg) -> Tensor {
        let rank = g.pick(&[0usize, 1, 1, 1, 2]);
        let dims: Vec<i64> = (0..rank).map(|_| g.pick(&[0i64, 1, 2, 3])).collect();
        let n: i64 = dims.iter().product();
        let vals: Vec<i64> = (0..n)
            .map(|_| if g.next().is_multiple_of(3) { g.pick(&HOSTILE) } else { g.pick(&[0, 1, 2, -1]) })
            .collect();
        Tensor::from_vec(dims, vals).unwrap()
    }

    fn float_tensor(g: &mut Lcg) -> Tensor {
        let rank = g.pick(&[0usize, 1, 2, 3]);
        let dims: Vec<i64> = (0..rank).map(|_| g.pick(&[0i64, 1, 2, 3])).collect();
        let n: i64 = dims.iter().product();
        Tensor::from_vec(dims, (0..n).map(|i| i as f32 - 1.5).collect::<Vec<_>>()).unwrap()
    }

    /// Every kernel here must answer arbitrary inputs with outputs or errors, never a panic.
    #[test]
    fn hostile_inputs_never_panic() {
        // (op, number of inputs, which inputs are integer "index" tensors)
        let ops: &[(&str, usize, &[usize])] = &[
            ("Reshape", 2, &[1]),
            ("ExpandDims", 2, &[1]),
            ("Squeeze", 1, &[]),
            ("Tile", 2, &[1]),
            ("Fill", 2, &[0]),
            ("GatherV2", 3, &[1, 2]),
            ("Slice", 3, &[1, 2]),
            ("StridedSlice", 4, &[1, 2, 3]),
            ("StridedSliceGrad", 5, &[0, 1, 2, 3]),
            ("Transpose", 2, &[1]),
            ("Range", 3, &[0, 1, 2]),
            ("Pad", 2, &[1]),
            ("PadV2", 3, &[1]),
            ("ConcatV2", 3, &[2]),
            ("Pack", 2, &[]),
            ("Unpack", 1, &[]),
            ("BroadcastGradientArgs", 2, &[0, 1]),
            ("InvertPermutation", 1, &[0]),
            ("Shape", 1, &[]),
            ("Size", 1, &[]),
            ("MatMul", 2, &[]),
            ("_FusedMatMul", 3, &[]),
            ("BiasAdd", 2, &[]),
            ("BiasAddGrad", 1, &[]),
            ("Softmax", 1, &[]),
            ("LogSoftmax", 1, &[]),
            ("SparseSoftmaxCrossEntropyWithLogits", 2, &[1]),
            ("SoftmaxCrossEntropyWithLogits", 2, &[]),
            ("Relu", 1, &[]),
            ("ReluGrad", 2, &[]),
            ("L2Loss", 1, &[]),
        ];
        let mut g = Lcg(7);
        for &(op, n_in, ints) in ops {
            for trial in 0..400 {
                let inputs: Vec<Tensor> = (0..n_in)
                    .map(|i| if ints.contains(&i) { int_tensor(&mut g) } else { float_tensor(&mut g) })
                    .collect();
                let int_type = if op == "Range" || op == "InvertPermutation" || op == "BroadcastGradientArgs" {
                    DType::Int64
                } else {
                    DType::Float
                };
                let mut nd = node(op).attr_type("T", int_type).attr_type("Tparams", DType::Float);
                for a in [
                    "Tidx",
                    "Index",
                    "Tshape",
                    "Tmultiples",
                    "Tperm",
                    "Tpaddings",
                    "Tindices",
                    "Taxis",
                    "Tdim",
                    "index_type",
                    "Tlabels",
                ] {
                    nd = nd.attr_type(a, DType::Int64);
                }
                nd = nd
                    .attr_int("N", 2)
                    .attr_int("num", g.pick(&[0, 1, 2, 3]))
                    .attr_int("axis", g.pick(&[-3, -1, 0, 1, 2]));
                nd = nd.attr_int("batch_dims", g.pick(&[-2, -1, 0, 1, 2])).attr_int("num_args", 1);
                nd = nd
                    .attr_list_str("fused_ops", &["BiasAdd", "Relu"])
                    .attr_list_int("squeeze_dims", &[g.pick(&[-2i64, 0, 1, 5])]);
                for m in ["begin_mask", "end_mask", "ellipsis_mask", "new_axis_mask", "shrink_axis_mask"] {
                    nd = nd.attr_int(m, g.pick(&[0, 1, 2, 3, 5, 7]));
                }
                let shown = format!("{op} trial {trial}: {inputs:?}");
                let result = std::panic::catch_unwind(|| run(nd, inputs));
                assert!(result.is_ok(), "panicked: {shown}");
            }
        }
    }
}
