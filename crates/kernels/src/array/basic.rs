//! Constants, identities, placeholders, shape queries, fills and ranges. Stateless kernels (a
//! `Const` holds its decoded value, immutable and shared by all steps); identities forward the
//! input tensor itself, never copying its buffer.

use super::elems::{Splat, move_elements};
use super::{checked_shape, kernel, type_attr_or};
use ferroflow_framework::{Cost, DType, Error, Kernel, KernelInit, OpRegistry, Result, Tensor, dispatch};

pub(super) fn register(reg: &mut OpRegistry) {
    reg.op("Const")
        .output("output: dtype")
        .attr("value: tensor")
        .attr("dtype: type")
        .cost(Cost::Trivial)
        .kernel(const_op);
    reg.op("Identity")
        .input("input: T")
        .output("output: T")
        .attr("T: type")
        .cost(Cost::Trivial)
        .kernel(identity);
    reg.op("Snapshot")
        .input("input: T")
        .output("output: T")
        .attr("T: type")
        .cost(Cost::Trivial)
        .kernel(identity);
    reg.op("StopGradient")
        .input("input: T")
        .output("output: T")
        .attr("T: type")
        .cost(Cost::Trivial)
        .kernel(identity);
    reg.op("PreventGradient")
        .input("input: T")
        .output("output: T")
        .attr("T: type")
        .attr("message: string = ''")
        .cost(Cost::Trivial)
        .kernel(identity);
    reg.op("PlaceholderWithDefault")
        .input("input: dtype")
        .output("output: dtype")
        .attr("dtype: type")
        .attr("shape: shape")
        .cost(Cost::Trivial)
        .kernel(identity);
    reg.op("IdentityN")
        .input("input: T")
        .output("output: T")
        .attr("T: list(type) >= 1")
        .cost(Cost::Trivial)
        .kernel(identity_n);
    reg.op("NoOp")
        .cost(Cost::Trivial)
        .kernel(|_| Ok(kernel(0, |_| Ok(()))));
    reg.op("Placeholder")
        .output("output: dtype")
        .attr("dtype: type")
        .attr("shape: shape = ?")
        .cost(Cost::Trivial)
        .kernel(placeholder);
    reg.op("Shape")
        .input("input: T")
        .output("output: out_type")
        .attr("T: type")
        .attr("out_type: {int32, int64} = DT_INT32")
        .cost(Cost::Trivial)
        .kernel(shape_op);
    reg.op("ShapeN")
        .input("input: N * T")
        .output("output: N * out_type")
        .attr("N: int >= 1")
        .attr("T: type")
        .attr("out_type: {int32, int64} = DT_INT32")
        .cost(Cost::Trivial)
        .kernel(shape_n_op);
    reg.op("Size")
        .input("input: T")
        .output("output: out_type")
        .attr("T: type")
        .attr("out_type: {int32, int64} = DT_INT32")
        .cost(Cost::Trivial)
        .kernel(size_op);
    reg.op("Rank")
        .input("input: T")
        .output("output: int32")
        .attr("T: type")
        .cost(Cost::Trivial)
        .kernel(|_| {
        Ok(kernel(1, |ctx| {
            let r = ctx.input(0).rank() as i32;
            ctx.set_output(0, Tensor::scalar(r));
            Ok(())
        }))
    });
    reg.op("Fill")
        .input("dims: index_type")
        .input("value: T")
        .output("output: T")
        .attr("T: type")
        .attr("index_type: {int32, int64} = DT_INT32")
        .kernel(fill);
    reg.op("ZerosLike")
        .input("x: T")
        .output("y: T")
        .attr("T: type")
        .cost(Cost::Elementwise)
        .kernel(zeros_like);
    reg.op("OnesLike")
        .input("x: T")
        .output("y: T")
        .attr("T: {bfloat16, half, float, double, int8, uint8, int16, uint16, int32, uint32, int64, uint64, complex64, complex128, bool}")
        .cost(Cost::Elementwise)
        .kernel(ones_like);
    reg.op("Range")
        .input("start: Tidx")
        .input("limit: Tidx")
        .input("delta: Tidx")
        .output("output: Tidx")
        .attr("Tidx: {bfloat16, half, float, double, int8, int16, int32, int64, uint16, uint32, uint64} = DT_INT32")
        .kernel(range);
}

fn const_op(init: &KernelInit<'_>) -> Result<Kernel> {
    let dtype = init.attrs.get_type("dtype")?;
    let value = init.attrs.get_tensor("value")?;
    if value.dtype() != dtype {
        return Err(Error::invalid_argument(format!(
            "Type mismatch between value ({}) and dtype ({dtype})",
            value.dtype()
        )));
    }
    Ok(kernel(1, move |ctx| {
        ctx.set_output(0, value.clone());
        Ok(())
    }))
}

/// Identity and its relatives: the output is the input tensor, buffer shared.
/// `Identity` and its kin: the executor moves the input to the output (no copy, no kernel call).
fn identity(_init: &KernelInit<'_>) -> Result<Kernel> {
    Ok(Kernel::forwarding(ferroflow_framework::Forwarding::Identity))
}

fn identity_n(init: &KernelInit<'_>) -> Result<Kernel> {
    let n = init.num_inputs;
    Ok(kernel(n, move |ctx| {
        for i in 0..ctx.num_inputs().min(ctx.num_outputs()) {
            let t = ctx.input(i).clone();
            ctx.set_output(i, t);
        }
        Ok(())
    }))
}

/// A placeholder that was not fed: always INVALID_ARGUMENT, worded as TF words it.
fn placeholder(init: &KernelInit<'_>) -> Result<Kernel> {
    let dtype = init.attrs.get_type("dtype")?;
    let shape = if init.attrs.has("shape") { init.attrs.get_shape("shape")? } else { None };
    let mut msg = format!("You must feed a value for placeholder tensor '{}' with dtype {dtype}", init.node.name);
    if let Some(dims) = shape.filter(|d| !d.is_empty()) {
        let shown: Vec<String> = dims.iter().map(|&d| if d < 0 { "?".to_string() } else { d.to_string() }).collect();
        msg.push_str(&format!(" and shape [{}]", shown.join(",")));
    }
    Ok(kernel(1, move |_| Err(Error::invalid_argument(msg.clone()))))
}

fn out_type(init: &KernelInit<'_>) -> Result<DType> {
    type_attr_or(init, "out_type", DType::Int32, &[DType::Int32, DType::Int64])
}

/// The dims of a shape as a vector tensor of `out` (int32 or int64).
fn shape_tensor(dims: &[i64], out: DType) -> Result<Tensor> {
    let n = dims.len() as i64;
    if out == DType::Int32 {
        let mut v = Vec::with_capacity(dims.len());
        for (i, &d) in dims.iter().enumerate() {
            let d32 = i32::try_from(d)
                .map_err(|_| Error::invalid_argument(format!("Shape output type is 32-bit  but dim {i} is {d}")))?;
            v.push(d32);
        }
        Tensor::from_vec(vec![n], v)
    } else {
        Tensor::from_vec(vec![n], dims.to_vec())
    }
}

fn shape_op(init: &KernelInit<'_>) -> Result<Kernel> {
    let out = out_type(init)?;
    Ok(kernel(1, move |ctx| {
        let t = shape_tensor(ctx.input(0).dims(), out)?;
        ctx.set_output(0, t);
        Ok(())
    }))
}

/// `ShapeN`: the shape of each of its N inputs.
fn shape_n_op(init: &KernelInit<'_>) -> Result<Kernel> {
    let out = out_type(init)?;
    let n = init.attrs.get_int("N")?.max(0) as usize;
    init.expect_inputs(n)?;
    Ok(kernel(n, move |ctx| {
        for i in 0..n {
            let t = shape_tensor(ctx.input(i).dims(), out)?;
            ctx.set_output(i, t);
        }
        Ok(())
    }))
}

fn size_op(init: &KernelInit<'_>) -> Result<Kernel> {
    let out = out_type(init)?;
    Ok(kernel(1, move |ctx| {
        let n = ctx.input(0).num_elements();
        let t = if out == DType::Int32 {
            let n32 = i32::try_from(n).map_err(|_| {
                Error::invalid_argument("Number of elements was larger than representable by 32-bit output type")
            })?;
            Tensor::scalar(n32)
        } else {
            Tensor::scalar(n as i64)
        };
        ctx.set_output(0, t);
        Ok(())
    }))
}

fn fill(_init: &KernelInit<'_>) -> Result<Kernel> {
    Ok(kernel(1, |ctx| {
        let dims_t = ctx.input(0);
        let value = ctx.input(1);
        if dims_t.rank() > 1 {
            return Err(Error::invalid_argument(format!("dims must represent a vector, got shape {}", dims_t.shape())));
        }
        if !(value.rank() == 0 || (value.rank() == 1 && value.num_elements() == 1)) {
            return Err(Error::invalid_argument(format!("value must represent a scalar, got shape {}", value.shape())));
        }
        let shape = checked_shape(&dims_t.to_i64_vec()?)?;
        let n = shape.num_elements();
        let out = move_elements(value.dtype(), &[value], shape, &Splat(n))?;
        ctx.set_output(0, out);
        Ok(())
    }))
}

fn zeros_like(_init: &KernelInit<'_>) -> Result<Kernel> {
    Ok(kernel(1, |ctx| {
        let x = ctx.input(0);
        let out = match x.dtype() {
            // Each value's own zero (lists, optionals), or TF's error for types with none.
            DType::Variant => crate::tensor_ops::zeros_like_tensor(x, &ctx.step.device_name)?,
            _ => Tensor::zeros(x.dtype(), x.shape().clone())?,
        };
        ctx.set_output(0, out);
        Ok(())
    }))
}

fn ones_like(init: &KernelInit<'_>) -> Result<Kernel> {
    use DType::*;
    let dtype = init
        .attrs
        .get_type_in("T", &[Float, Double, Int8, UInt8, Int16, UInt16, Int32, Int64, UInt32, UInt64, Bool])?;
    Ok(kernel(1, move |ctx| {
        let shape = ctx.input(0).shape().clone();
        let n = shape.num_elements();
        let out = dispatch!(real, dtype, T => Tensor::from_vec(shape, vec![1 as T; n])?,
            Tensor::from_bools(shape, vec![true; n])?);
        ctx.set_output(0, out);
        Ok(())
    }))
}

/// Numbers a range kernel can count in.
trait RangeNum: ferroflow_framework::TensorElement + PartialOrd + std::fmt::Display {
    const ZERO: Self;
    /// Number of elements of `[start, limit)` by `delta`, or `None` when it is not representable.
    fn count(start: Self, limit: Self, delta: Self) -> Option<u64>;
    fn add(self, other: Self) -> Self;
}

macro_rules! range_int {
    ($($t:ty),*) => {$(
        impl RangeNum for $t {
            const ZERO: Self = 0;
            fn count(start: Self, limit: Self, delta: Self) -> Option<u64> {
                let span = (limit as i128 - start as i128).abs();
                let step = (delta as i128).abs();
                u64::try_from((span + step - 1) / step).ok()
            }
            fn add(self, other: Self) -> Self { self.wrapping_add(other) }
        }
    )*};
}
range_int!(i32, i64);

macro_rules! range_float {
    ($($t:ty),*) => {$(
        impl RangeNum for $t {
            const ZERO: Self = 0.0;
            fn count(start: Self, limit: Self, delta: Self) -> Option<u64> {
                let n = ((limit - start) / delta).abs().ceil();
                if n.is_finite() && (n as f64) < i64::MAX as f64 { Some(n as u64) } else { None }
            }
            fn add(self, other: Self) -> Self { self + other }
        }
    )*};
}
range_float!(f32, f64);

fn range_values<T: RangeNum>(start: &Tensor, limit: &Tensor, delta: &Tensor) -> Result<Tensor> {
    let scalar = |t: &Tensor, what: &str| -> Result<T> {
        if t.rank() > 1 || t.num_elements() != 1 {
            return Err(Error::invalid_argument(format!("{what} must be a scalar, not shape {}", t.shape())));
        }
        Ok(t.values::<T>()?[0])
    };
    let (start, limit, delta) = (scalar(start, "start")?, scalar(limit, "limit")?, scalar(delta, "delta")?);
    if delta == T::ZERO {
        return Err(Error::invalid_argument(format!("Requires delta != 0: {delta}")));
    }
    if delta > T::ZERO && start > limit {
        return Err(Error::invalid_argument(format!("Requires start <= limit when delta > 0: {start}/{limit}")));
    }
    if delta < T::ZERO && start < limit {
        return Err(Error::invalid_argument(format!("Requires start >= limit when delta < 0: {start}/{limit}")));
    }
    let n = T::count(start, limit, delta)
        .and_then(|n| i64::try_from(n).ok())
        .ok_or_else(|| Error::invalid_argument(format!("Requires ((limit - start) / delta) <= {}", i64::MAX)))?;
    let shape = checked_shape(&[n])?;
    let mut v = Vec::new();
    v.try_reserve_exact(n as usize)
        .map_err(|_| Error::resource_exhausted(format!("OOM when allocating tensor with shape{shape}")))?;
    let mut x = start;
    for _ in 0..n {
        v.push(x);
        x = x.add(delta);
    }
    Tensor::from_vec(shape, v)
}

fn range(init: &KernelInit<'_>) -> Result<Kernel> {
    let dtype = type_attr_or(init, "Tidx", DType::Int32, &[DType::Float, DType::Double, DType::Int32, DType::Int64])?;
    Ok(kernel(1, move |ctx| {
        let (s, l, d) = (ctx.input(0), ctx.input(1), ctx.input(2));
        let out = match dtype {
            DType::Float => range_values::<f32>(s, l, d)?,
            DType::Double => range_values::<f64>(s, l, d)?,
            DType::Int32 => range_values::<i32>(s, l, d)?,
            _ => range_values::<i64>(s, l, d)?,
        };
        ctx.set_output(0, out);
        Ok(())
    }))
}

#[cfg(test)]
mod tests {
    use crate::testutil::{node, run};
    use ferroflow_framework::{DType, Tensor};

    #[test]
    fn oracle_cases() {
        crate::array::oracle::run_cases(
            "array.json",
            &[
                "Const",
                "Identity",
                "IdentityN",
                "Snapshot",
                "StopGradient",
                "PreventGradient",
                "NoOp",
                "Placeholder",
                "PlaceholderWithDefault",
                "Shape",
                "Size",
                "Rank",
                "Fill",
                "ZerosLike",
                "OnesLike",
                "Range",
            ],
            1e-5,
        );
    }

    #[test]
    fn identity_shares_the_buffer() {
        let x = Tensor::from_vec(vec![3], vec![1.0f32, 2.0, 3.0]).unwrap();
        for op in ["Identity", "Snapshot", "StopGradient"] {
            let out = run(node(op).attr_type("T", DType::Float), vec![x.clone()]).unwrap();
            assert_eq!(out[0].raw_bytes().unwrap().as_ptr(), x.raw_bytes().unwrap().as_ptr(), "{op}");
        }
    }

    #[test]
    fn identity_n_forwards_every_input() {
        let a = Tensor::scalar(1i32);
        let b = Tensor::from_vec(vec![2], vec![1.5f64, 2.5]).unwrap();
        let out = run(node("IdentityN").attr_list_type("T", &[DType::Int32, DType::Double]), vec![a.clone(), b.clone()]).unwrap();
        assert!(out[0].same_contents(&a) && out[1].same_contents(&b));
    }

    #[test]
    fn fill_rejects_overflowing_shapes() {
        let dims = Tensor::from_vec(vec![3], vec![1i64 << 40, 1 << 40, 1 << 40]).unwrap();
        let e = run(node("Fill").attr_type("T", DType::Float), vec![dims, Tensor::scalar(1.0f32)]).unwrap_err();
        assert_eq!(e.code, ferroflow_framework::Code::InvalidArgument);
    }

    #[test]
    fn attrs_at_their_defaults_may_be_omitted() {
        let out = run(node("Range"), vec![Tensor::scalar(0i32), Tensor::scalar(3i32), Tensor::scalar(1i32)]).unwrap();
        assert_eq!(out[0].to_vec::<i32>().unwrap(), vec![0, 1, 2]);
        let out = run(node("Shape").attr_type("T", DType::Float), vec![Tensor::from_vec(vec![2, 1], vec![1.0f32, 2.0]).unwrap()]).unwrap();
        assert_eq!(out[0].to_vec::<i32>().unwrap(), vec![2, 1]);
        let (a, b) =
            (Tensor::from_vec(vec![2], vec![2i32, 3]).unwrap(), Tensor::from_vec(vec![1], vec![3i32]).unwrap());
        let out = run(node("BroadcastGradientArgs"), vec![a, b]).unwrap();
        assert_eq!(out[1].to_vec::<i32>().unwrap(), vec![0]);
    }

    #[test]
    fn range_rejects_huge_counts() {
        let n = node("Range").attr_type("Tidx", DType::Float);
        let e = run(n, vec![Tensor::scalar(0.0f32), Tensor::scalar(1e30f32), Tensor::scalar(1e-30f32)]).unwrap_err();
        assert_eq!(e.code, ferroflow_framework::Code::InvalidArgument);
    }
}
