//! ScatterNd and the functional scatters TensorScatterUpdate, TensorScatterAdd, TensorScatterSub,
//! TensorScatterMax and TensorScatterMin, with TF's shape checks and messages. Stateless kernels.
//! ScatterNd's output size comes from an input's values, so it is allocated through the context;
//! duplicate indices accumulate (sum for numbers, logical or for bool, concatenation for strings),
//! as in TF. The tensor scatters start from a copy of their input (last update wins for Update).

use super::elems::{Elem, Filler, budgeted_vec, fill_elements};
use super::gather_nd::{BadIndices, IndexRows, bad_indices_policy, index_dtype, index_values, resolve_rows, row_string, slice_debug_string};
use super::kernel;
use crate::cwise::no_kernel;
use bytes::{Bytes, BytesMut};
use ferroflow_framework::{
    Cost, DType, Error, Kernel, KernelInit, OpKernelContext, OpRegistry, Result, Tensor, TensorElement, TensorShape, dispatch,
};

pub(super) fn register(reg: &mut OpRegistry) {
    reg.op("ScatterNd")
        .input("indices: Tindices")
        .input("updates: T")
        .input("shape: Tindices")
        .output("output: T")
        .attr("T: type")
        .attr("Tindices: {int16, int32, int64}")
        .attr("bad_indices_policy: string = ''")
        .kernel(scatter_nd);
    reg.op("TensorScatterUpdate")
        .input("tensor: T")
        .input("indices: Tindices")
        .input("updates: T")
        .output("output: T")
        .attr("T: type")
        .attr("Tindices: {int16, int32, int64, uint16}")
        .attr("bad_indices_policy: string = ''")
        .cost(Cost::InputElements)
        .kernel(|init| tensor_scatter(init, Combine::Assign));
    reg.op("TensorScatterAdd")
        .input("tensor: T")
        .input("indices: Tindices")
        .input("updates: T")
        .output("output: T")
        .attr("T: type")
        .attr("Tindices: {int32, int64}")
        .attr("bad_indices_policy: string = ''")
        .cost(Cost::InputElements)
        .kernel(|init| tensor_scatter(init, Combine::Add));
    reg.op("TensorScatterSub")
        .input("tensor: T")
        .input("indices: Tindices")
        .input("updates: T")
        .output("output: T")
        .attr("T: type")
        .attr("Tindices: {int32, int64}")
        .attr("bad_indices_policy: string = ''")
        .cost(Cost::InputElements)
        .kernel(|init| tensor_scatter(init, Combine::Sub));
    reg.op("TensorScatterMax")
        .input("tensor: T")
        .input("indices: Tindices")
        .input("updates: T")
        .output("output: T")
        .attr("T: type")
        .attr("Tindices: {int32, int64}")
        .attr("bad_indices_policy: string = ''")
        .cost(Cost::InputElements)
        .kernel(|init| tensor_scatter(init, Combine::Max));
    reg.op("TensorScatterMin")
        .input("tensor: T")
        .input("indices: Tindices")
        .input("updates: T")
        .output("output: T")
        .attr("T: type")
        .attr("Tindices: {int32, int64}")
        .attr("bad_indices_policy: string = ''")
        .cost(Cost::InputElements)
        .kernel(|init| tensor_scatter(init, Combine::Min));
}

/// How an update meets the element already there.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Combine {
    Assign,
    Add,
    Sub,
    Max,
    Min,
}

/// Element arithmetic of the scatters, as TF's CPU functors compute it (integers wrap; max and
/// min keep the old value unless the update is strictly greater or smaller).
trait ScatterArith: Copy {
    fn combine(self, u: Self, how: Combine) -> Self;
}

macro_rules! scatter_arith {
    ($($t:ty => $add:ident, $sub:ident);*) => {$(
        impl ScatterArith for $t {
            fn combine(self, u: Self, how: Combine) -> Self {
                match how {
                    Combine::Assign => u,
                    Combine::Add => self.$add(u),
                    Combine::Sub => self.$sub(u),
                    Combine::Max => if self < u { u } else { self },
                    Combine::Min => if u < self { u } else { self },
                }
            }
        }
    )*};
}

trait FloatAdd {
    fn fadd(self, o: Self) -> Self;
    fn fsub(self, o: Self) -> Self;
}
impl FloatAdd for f32 {
    fn fadd(self, o: Self) -> Self { self + o }
    fn fsub(self, o: Self) -> Self { self - o }
}
impl FloatAdd for f64 {
    fn fadd(self, o: Self) -> Self { self + o }
    fn fsub(self, o: Self) -> Self { self - o }
}

scatter_arith!(f32 => fadd, fsub; f64 => fadd, fsub; i8 => wrapping_add, wrapping_sub; i16 => wrapping_add, wrapping_sub;
    i32 => wrapping_add, wrapping_sub; i64 => wrapping_add, wrapping_sub; u8 => wrapping_add, wrapping_sub;
    u16 => wrapping_add, wrapping_sub; u32 => wrapping_add, wrapping_sub; u64 => wrapping_add, wrapping_sub);

/// TF's `ValidateScatterNdUpdateShape`: updates must be indices' batch shape followed by the
/// shape's dimensions after the indexed ones.
fn validate_update_shape(params: &[i64], indices: &[i64], updates: &[i64]) -> Result<()> {
    let slice_dim = if indices.len() > 1 { indices[indices.len() - 1] } else { 1 };
    let batch_dim = if indices.len() > 1 { indices.len() - 1 } else { 1 };
    let (ps, is, us) = (TensorShape::new(params.to_vec()), TensorShape::new(indices.to_vec()), TensorShape::new(updates.to_vec()));
    let prefix = || {
        Error::invalid_argument(format!(
            "Dimensions [0,{batch_dim}) of indices[shape={is}] must match dimensions [0,{batch_dim}) of updates[shape={us}]"
        ))
    };
    let suffix = || {
        Error::invalid_argument(format!(
            "Dimensions [{slice_dim},{}) of input[shape={ps}] must match dimensions [{batch_dim},{}) of updates[shape={us}]",
            params.len(),
            updates.len()
        ))
    };
    if updates.len() < batch_dim {
        return Err(prefix());
    }
    let inner = (updates.len() - batch_dim) as i64;
    if (params.len() as i64) < slice_dim + inner || updates.len() as i64 != batch_dim as i64 + params.len() as i64 - slice_dim {
        return Err(suffix());
    }
    if (0..batch_dim).any(|d| updates[d] != indices[d]) {
        return Err(prefix());
    }
    if (0..inner as usize).any(|d| updates[d + batch_dim] != params[d + slice_dim as usize]) {
        return Err(suffix());
    }
    Ok(())
}

/// TF's `PrepareAndValidateInputs` and index check: the update slots of `indices` in `shape`.
fn prepare(shape: &TensorShape, indices: &Tensor, updates: &Tensor, policy: BadIndices) -> Result<IndexRows> {
    if shape.rank() == 0 {
        return Err(Error::invalid_argument(format!("Output must be at least 1-D, got shape: {shape}")));
    }
    let empty_ok = indices.num_elements() == 0 && updates.num_elements() == 0;
    if shape.num_elements() == 0 && !empty_ok {
        return Err(Error::invalid_argument(format!(
            "Indices and updates specified for empty output.  indices shape: {}",
            indices.shape()
        )));
    }
    validate_update_shape(shape.dims(), indices.dims(), updates.dims())?;
    let id = indices.dims();
    let depth = if id.len() > 1 { id[id.len() - 1] as usize } else { 1 };
    let idx = index_values(indices)?;
    let batch = if id.len() > 1 { &id[..id.len() - 1] } else { &id[..0] };
    resolve_rows(&idx, depth.max(1), shape.dims(), policy).map_err(|r| {
        Error::invalid_argument(format!(
            "indices{} = {} does not index into shape {shape}",
            slice_debug_string(batch, r),
            row_string(&idx, depth.max(1), r)
        ))
    })
}

/// Applies every update slice of `upd` to `out` at its slot.
fn apply<T: Copy>(rows: &IndexRows, upd: &[T], out: &mut [T], f: impl Fn(T, T) -> T) {
    let s = rows.slice;
    for (r, slot) in rows.slots.iter().enumerate() {
        let Some(k) = slot else { continue };
        for (o, &u) in out[k * s..(k + 1) * s].iter_mut().zip(&upd[r * s..(r + 1) * s]) {
            *o = f(*o, u);
        }
    }
}

fn scatter_nd(init: &KernelInit<'_>) -> Result<Kernel> {
    let dtype = init.attrs.get_type("T")?;
    index_dtype(init, "Tindices", false)?;
    if !(DType::REAL.contains(&dtype) || dtype == DType::Bool || dtype == DType::String) {
        return Err(no_kernel(init, &format!("T={}", crate::cwise::dt_name(dtype))));
    }
    let policy = bad_indices_policy(init)?;
    Ok(kernel(1, move |ctx| {
        let (indices, updates, shape_t) = (ctx.input(0), ctx.input(1), ctx.input(2));
        if indices.rank() == 0 {
            return Err(Error::invalid_argument(format!("Indices shape must have rank at least one. Found:{}", indices.shape())));
        }
        if updates.rank() == 0 {
            return Err(Error::invalid_argument(format!("Updates shape must have rank at least one. Found:{}", updates.shape())));
        }
        if shape_t.rank() != 1 {
            return Err(Error::invalid_argument("Shape must be a vector"));
        }
        let dims = index_values(shape_t)?;
        if let Some(&d) = dims.iter().find(|&&d| d < 0) {
            return Err(Error::invalid_argument(format!("Dimension {d} must be >= 0")));
        }
        let shape = super::checked_shape(&dims)?;
        let rows = prepare(&shape, indices, updates, policy)?;
        let out = match dtype {
            DType::String => scatter_strings(ctx, &rows, updates, shape)?,
            DType::Bool => {
                let mut buf = ctx.allocate::<u8>(shape.clone())?;
                apply(&rows, &crate::cwise::pod_values::<u8>(updates, DType::Bool)?, &mut buf, |a, b| a | b);
                let bytes = buf.into_tensor().raw_bytes().cloned().ok_or_else(|| Error::internal("no flat buffer"))?;
                Tensor::from_bytes(DType::Bool, shape, bytes)?
            }
            _ => dispatch!(real, dtype, T => {
                let mut buf = ctx.allocate::<T>(shape)?;
                apply(&rows, &updates.values::<T>()?, &mut buf, |a, b| a.combine(b, Combine::Add));
                buf.into_tensor()
            }, unreachable!("checked at build time")),
        };
        ctx.set_output(0, out);
        Ok(())
    }))
}

/// ScatterNd on strings: each slot holds the concatenation of its updates, in order.
fn scatter_strings(ctx: &OpKernelContext<'_>, rows: &IndexRows, updates: &Tensor, shape: TensorShape) -> Result<Tensor> {
    let src = updates.strings()?;
    let mut out = budgeted_vec::<Bytes>(ctx, DType::String, &shape)?;
    let s = rows.slice;
    for (r, slot) in rows.slots.iter().enumerate() {
        let Some(k) = slot else { continue };
        for (o, u) in out[k * s..(k + 1) * s].iter_mut().zip(&src[r * s..(r + 1) * s]) {
            if o.is_empty() {
                *o = u.clone();
            } else {
                let mut joined = BytesMut::with_capacity(o.len() + u.len());
                joined.extend_from_slice(o);
                joined.extend_from_slice(u);
                *o = joined.freeze();
            }
        }
    }
    Tensor::from_strings(shape, out)
}

fn tensor_scatter(init: &KernelInit<'_>, how: Combine) -> Result<Kernel> {
    let dtype = init.attrs.get_type("T")?;
    index_dtype(init, "Tindices", false)?;
    if how != Combine::Assign && !DType::REAL.contains(&dtype) {
        return Err(no_kernel(init, &format!("T={}", crate::cwise::dt_name(dtype))));
    }
    let policy = bad_indices_policy(init)?;
    Ok(kernel(1, move |ctx| {
        let out = tensor_scatter_compute(ctx, how, policy)?;
        ctx.set_output(0, out);
        Ok(())
    }))
}

/// TF's `TensorScatterOp` checks, before the scatter's own.
fn check_tensor_scatter(shape: &TensorShape, indices: &Tensor, updates: &Tensor) -> Result<()> {
    if indices.rank() == 0 {
        return Err(Error::invalid_argument(format!("Indices shape must have rank at least one. Found:{}", indices.shape())));
    }
    if updates.rank() == 0 {
        return Err(Error::invalid_argument(format!("Updates shape must have rank at least one. Found:{}", updates.shape())));
    }
    let empty_ok = indices.num_elements() == 0 && updates.num_elements() == 0;
    if shape.num_elements() == 0 && !empty_ok {
        return Err(Error::invalid_argument("Indices and updates specified for empty output shape"));
    }
    let outer = indices.rank() - 1;
    if (0..outer).any(|i| indices.dims()[i] != updates.dims().get(i).copied().unwrap_or(-1)) {
        return Err(Error::invalid_argument(format!(
            "Outer dimensions of indices and update must match. Indices shape: {}, updates shape:{}",
            indices.shape(),
            updates.shape()
        )));
    }
    let ix = indices.dims()[outer];
    let (ur, sr) = (updates.rank() as i64, shape.rank() as i64);
    if ur - outer as i64 != sr - ix {
        return Err(Error::invalid_argument(format!(
            "Inner dimensions of output shape must match inner dimensions of updates shape. Output: {shape} updates: {}",
            updates.shape()
        )));
    }
    for i in 0..(ur as usize).saturating_sub(outer) {
        if updates.dims()[i + outer] != shape.dims()[ix as usize + i] {
            return Err(Error::invalid_argument(format!(
                "The inner {} dimensions of output.shape={shape} must match the inner {} dimensions of updates.shape={}",
                sr - ix,
                ur - outer as i64,
                updates.shape()
            )));
        }
    }
    Ok(())
}

fn tensor_scatter_compute(ctx: &OpKernelContext<'_>, how: Combine, policy: BadIndices) -> Result<Tensor> {
    let (input, indices, updates) = (ctx.input(0), ctx.input(1), ctx.input(2));
    let shape = input.shape().clone();
    check_tensor_scatter(&shape, indices, updates)?;
    let rows = prepare(&shape, indices, updates, policy)?;
    if how == Combine::Assign {
        return fill_elements(ctx, input.dtype(), &[input, updates], shape, &AssignSlots(&rows));
    }
    dispatch!(real, input.dtype(), T => scatter_numeric::<T>(ctx, input, updates, &rows, how),
        Err(Error::internal(format!("{how:?} scatter of {}", input.dtype()))))
}

fn scatter_numeric<T: TensorElement + ScatterArith>(
    ctx: &OpKernelContext<'_>,
    input: &Tensor,
    updates: &Tensor,
    rows: &IndexRows,
    how: Combine,
) -> Result<Tensor> {
    let src = input.values::<T>()?;
    let mut buf = ctx.allocate_with::<T>(input.shape().clone(), |i| src[i])?;
    apply(rows, &updates.values::<T>()?, &mut buf, |a, b| a.combine(b, how));
    Ok(buf.into_tensor())
}

/// TensorScatterUpdate: a copy of input 0 with each update slice (input 1) written at its slot.
struct AssignSlots<'a>(&'a IndexRows);

impl Filler for AssignSlots<'_> {
    fn fill<E: Elem>(&self, srcs: &[&[E]], out: &mut [E]) -> Result<()> {
        out.clone_from_slice(srcs[0]);
        let s = self.0.slice;
        for (r, slot) in self.0.slots.iter().enumerate() {
            let Some(k) = slot else { continue };
            out[k * s..(k + 1) * s].clone_from_slice(&srcs[1][r * s..(r + 1) * s]);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::testutil::{node, run};
    use bytes::Bytes;
    use ferroflow_framework::{Code, DType, Tensor};

    #[test]
    fn oracle_cases() {
        crate::array::oracle::run_cases(
            "array2.json",
            &["ScatterNd", "TensorScatterUpdate", "TensorScatterAdd", "TensorScatterSub", "TensorScatterMax", "TensorScatterMin"],
            1e-6,
        );
    }

    #[test]
    fn duplicates_concatenate_strings_and_or_bools() {
        let idx = Tensor::from_vec(vec![3, 1], vec![1i32, 1, 0]).unwrap();
        let shape = Tensor::from_vec(vec![1], vec![3i32]).unwrap();
        let s = Tensor::from_strings(vec![3], vec![Bytes::from("a"), Bytes::from("b"), Bytes::from("c")]).unwrap();
        let n = node("ScatterNd").attr_type("T", DType::String).attr_type("Tindices", DType::Int32);
        let out = run(n, vec![idx.clone(), s, shape.clone()]).unwrap();
        assert_eq!(out[0].strings().unwrap(), &[Bytes::from("c"), Bytes::from("ab"), Bytes::new()]);
        let b = Tensor::from_bools(vec![3], vec![true, true, false]).unwrap();
        let n = node("ScatterNd").attr_type("T", DType::Bool).attr_type("Tindices", DType::Int32);
        let out = run(n, vec![idx, b, shape]).unwrap();
        assert_eq!(out[0].bools().unwrap(), vec![false, true, false]);
    }

    #[test]
    fn huge_shapes_are_out_of_memory_and_unsupported_types_have_no_kernel() {
        let n = node("ScatterNd").attr_type("T", DType::Float).attr_type("Tindices", DType::Int64);
        let e = run(
            n,
            vec![
                Tensor::from_vec(vec![1, 1], vec![0i64]).unwrap(),
                Tensor::from_vec(vec![1, 1 << 20], vec![0f32; 1 << 20]).unwrap(),
                Tensor::from_vec(vec![2], vec![1i64 << 30, 1 << 20]).unwrap(),
            ],
        )
        .unwrap_err();
        assert_eq!(e.code, Code::ResourceExhausted, "{e}");
        let n = node("ScatterNd").attr_type("T", DType::Float).attr_type("Tindices", DType::Int16);
        let e = run(n, vec![Tensor::from_vec(vec![1, 1], vec![0i16]).unwrap(), Tensor::from_vec(vec![1], vec![1f32]).unwrap(), Tensor::from_vec(vec![1], vec![2i16]).unwrap()]).unwrap_err();
        assert_eq!(e.code, Code::NotFound, "{e}");
        let n = node("TensorScatterAdd").attr_type("T", DType::Bool).attr_type("Tindices", DType::Int32);
        let e = run(n, vec![Tensor::from_bools(vec![1], vec![true]).unwrap(), Tensor::from_vec(vec![1, 1], vec![0i32]).unwrap(), Tensor::from_bools(vec![1], vec![true]).unwrap()]).unwrap_err();
        assert_eq!(e.code, Code::NotFound, "{e}");
    }
}
