//! Bitcast, BroadcastArgs, Empty, EnsureShape, UnravelIndex and ParallelConcat. Stateless kernels;
//! Bitcast and EnsureShape forward the input buffer, Empty allocates through the context (its size
//! comes from an input's values).

use super::concat_rows;
use super::elems::{Filler, Elem, fill_elements};
use super::kernel;
use crate::random::shape_from_input;
use ferroflow_framework::{Cost, DType, Error, Kernel, KernelInit, OpRegistry, Result, Tensor, TensorShape};

pub(super) fn register(reg: &mut OpRegistry) {
    reg.op("Bitcast")
        .input("input: T")
        .output("output: type")
        .attr("T: {bfloat16, half, float, double, int64, int32, uint8, uint16, uint32, uint64, int8, int16, complex64, complex128, qint8, quint8, qint16, quint16, qint32}")
        .attr("type: {bfloat16, half, float, double, int64, int32, uint8, uint16, uint32, uint64, int8, int16, complex64, complex128, qint8, quint8, qint16, quint16, qint32}")
        .cost(Cost::Trivial)
        .kernel(bitcast);
    reg.op("BroadcastArgs")
        .input("s0: T")
        .input("s1: T")
        .output("r0: T")
        .attr("T: {int32, int64} = DT_INT32")
        .cost(Cost::Trivial)
        .kernel(broadcast_args);
    reg.op("Empty")
        .input("shape: int32")
        .output("output: dtype")
        .attr("dtype: type")
        .attr("init: bool = false")
        .stateful()
        .kernel(empty);
    reg.op("EnsureShape")
        .input("input: T")
        .output("output: T")
        .attr("shape: shape")
        .attr("T: type")
        .cost(Cost::Trivial)
        .kernel(ensure_shape);
    reg.op("UnravelIndex")
        .input("indices: Tidx")
        .input("dims: Tidx")
        .output("output: Tidx")
        .attr("Tidx: {int32, int64} = DT_INT32")
        .cost(Cost::InputElements)
        .kernel(unravel_index);
    reg.op("ParallelConcat")
        .input("values: N * T")
        .output("output: T")
        .attr("N: int >= 1")
        .attr("T: type")
        .attr("shape: shape")
        .cost(Cost::InputElements)
        .kernel(parallel_concat);
}

/// An int32 or int64 vector tensor holding `vals`.
pub(crate) fn index_vector(dtype: DType, dims: Vec<i64>, vals: Vec<i64>) -> Result<Tensor> {
    if dtype == DType::Int32 {
        Tensor::from_vec(dims, vals.into_iter().map(|v| v as i32).collect::<Vec<_>>())
    } else {
        Tensor::from_vec(dims, vals)
    }
}

fn bitcast(init: &KernelInit<'_>) -> Result<Kernel> {
    let from = init.attrs.get_type("T")?;
    let to = init.attrs.get_type("type")?;
    let (in_size, out_size) = (from.size().unwrap_or(1), to.size().unwrap_or(1));
    if in_size.max(out_size) % in_size.min(out_size) != 0 {
        return Err(Error::invalid_argument(format!(
            "cannot convert between datatype {} and {}",
            from.to_proto(),
            to.to_proto()
        )));
    }
    Ok(kernel(1, move |ctx| {
        let x = ctx.input(0);
        let dims = x.dims();
        let mut out = dims.to_vec();
        if in_size < out_size {
            let ratio = (out_size / in_size) as i64;
            if dims.last() != Some(&ratio) {
                return Err(Error::invalid_argument(format!(
                    "Cannot bitcast from {} to {}",
                    from.to_proto(),
                    to.to_proto()
                )));
            }
            out.pop();
        } else if in_size > out_size {
            out.push((in_size / out_size) as i64);
        }
        let bytes = x.raw_bytes().ok_or_else(|| Error::internal("bitcast input has no flat buffer"))?;
        ctx.set_output(0, Tensor::from_bytes(to, TensorShape::new(out), bytes.clone())?);
        Ok(())
    }))
}

/// An input that must be a vector of shape dimensions (`In[i] must be a vector.[shape]`).
pub(crate) fn shape_vector(t: &Tensor, i: usize) -> Result<Vec<i64>> {
    if t.rank() != 1 {
        return Err(Error::invalid_argument(format!("In[{i}] must be a vector.{}", t.shape())));
    }
    t.to_i64_vec()
}

fn broadcast_args(init: &KernelInit<'_>) -> Result<Kernel> {
    let dtype = super::type_attr_or(init, "T", DType::Int32, &[DType::Int32, DType::Int64])?;
    Ok(kernel(1, move |ctx| {
        let (a, b) = (shape_vector(ctx.input(0), 0)?, shape_vector(ctx.input(1), 1)?);
        let out = crate::broadcast::broadcast_dims(&a, &b).ok_or_else(|| {
            Error::invalid_argument(format!("Incompatible shapes: {} vs. {}", TensorShape::new(a.clone()), TensorShape::new(b.clone())))
        })?;
        ctx.set_output(0, index_vector(dtype, vec![out.len() as i64], out)?);
        Ok(())
    }))
}

/// Leaves every element at its default (zero, false, empty string).
struct Defaults;

impl Filler for Defaults {
    fn fill<E: Elem>(&self, _: &[&[E]], _: &mut [E]) -> Result<()> {
        Ok(())
    }
}

fn empty(init: &KernelInit<'_>) -> Result<Kernel> {
    let dtype = init.attrs.get_type("dtype")?;
    Ok(kernel(1, move |ctx| {
        let s = ctx.input(0);
        if s.rank() != 1 {
            return Err(Error::invalid_argument(format!("shape must be a vector of int32, got shape {}", s.shape())));
        }
        let shape = shape_from_input(s)?;
        super::checked_shape(shape.dims())?;
        // TF leaves the buffer uninitialized unless `init`; ferroflow always zeroes it.
        let out = fill_elements(ctx, dtype, &[], shape, &Defaults)?;
        ctx.set_output(0, out);
        Ok(())
    }))
}

/// A partial shape as TF prints it: `[?,3]`, `<unknown>`.
pub(crate) fn partial_shape_string(dims: Option<&[i64]>) -> String {
    match dims {
        None => "<unknown>".into(),
        Some(d) => {
            let shown: Vec<String> = d.iter().map(|&x| if x < 0 { "?".into() } else { x.to_string() }).collect();
            format!("[{}]", shown.join(","))
        }
    }
}

fn ensure_shape(init: &KernelInit<'_>) -> Result<Kernel> {
    let expected = init.attrs.get_shape("shape")?;
    // TF names the tensor by the node's input as written in the graph.
    let input_name = init.node.input.first().cloned().unwrap_or_default();
    Ok(kernel(1, move |ctx| {
        let x = ctx.input(0);
        if let Some(want) = &expected {
            let ok = want.len() == x.rank() && want.iter().zip(x.dims()).all(|(&w, &d)| w < 0 || w == d);
            if !ok {
                return Err(Error::invalid_argument(format!(
                    "Shape of tensor {input_name} {} is not compatible with expected shape {}.",
                    x.shape(),
                    partial_shape_string(Some(want))
                )));
            }
        }
        ctx.set_output(0, x.clone());
        Ok(())
    }))
}

fn unravel_index(init: &KernelInit<'_>) -> Result<Kernel> {
    let dtype = super::type_attr_or(init, "Tidx", DType::Int32, &[DType::Int32, DType::Int64])?;
    Ok(kernel(1, move |ctx| {
        let (indices, dims_t) = (ctx.input(0), ctx.input(1));
        if indices.rank() > 1 {
            return Err(Error::invalid_argument(format!(
                "The indices can only be scalar or vector, got \"{}\"",
                indices.shape()
            )));
        }
        if dims_t.rank() != 1 {
            return Err(Error::invalid_argument(format!("The indices can only be 1-D, got \"{}\"", dims_t.shape())));
        }
        let dims = dims_t.to_i64_vec()?;
        if let Some((i, d)) = dims.iter().enumerate().find(|&(_, &d)| d < 0) {
            return Err(Error::invalid_argument(format!("Input dims cannot be negative. Got dim = {d} at index {i}")));
        }
        if indices.num_elements() == 0 {
            return Err(Error::invalid_argument(format!(
                "received empty tensor indices: Tensor<type: {} shape: {} values: >",
                indices.dtype(),
                indices.shape()
            )));
        }
        let total = dims.iter().try_fold(1i64, |a, &d| a.checked_mul(d)).ok_or_else(|| {
            Error::invalid_argument("index is out of bound as with dims")
        })?;
        let idx = indices.to_i64_vec()?;
        if idx.iter().any(|&v| v >= total) {
            return Err(Error::invalid_argument("index is out of bound as with dims"));
        }
        let mut strides = vec![1i64; dims.len()];
        for i in (0..dims.len().saturating_sub(1)).rev() {
            strides[i] = strides[i + 1] * dims[i + 1];
        }
        // A coordinate per dim and index, both sized by the request: the output is reserved
        // against the memory budget (OOM error, not a crash). Row d holds every index's coordinate
        // in dim d, in C++ integer semantics (truncating division, signed remainder), as TF.
        let cols = idx.len().max(1);
        let coord = |k: usize| {
            let (d, j) = (k / cols, k % cols);
            idx[j].checked_div(strides[d]).unwrap_or(0).checked_rem(dims[d]).unwrap_or(0)
        };
        let out_dims = if indices.rank() == 0 { vec![dims.len() as i64] } else { vec![dims.len() as i64, idx.len() as i64] };
        let out = if dtype == DType::Int32 {
            ctx.allocate_with::<i32>(out_dims, |k| coord(k) as i32)?.into_tensor()
        } else {
            ctx.allocate_with::<i64>(out_dims, coord)?.into_tensor()
        };
        ctx.set_output(0, out);
        Ok(())
    }))
}

fn parallel_concat(init: &KernelInit<'_>) -> Result<Kernel> {
    let shape = init.attrs.get_shape("shape")?;
    Ok(kernel(1, move |ctx| {
        let values = ctx.inputs();
        let first = values.first().ok_or_else(|| Error::invalid_argument("ParallelConcat needs at least one input"))?;
        let want: Vec<i64> = match &shape {
            Some(s) if s.iter().all(|&d| d >= 0) => s.clone(),
            _ => {
                let mut d = first.dims().to_vec();
                if d.is_empty() {
                    return Err(Error::invalid_argument("value and update shape doesn't match: [] vs. [1]"));
                }
                d[0] = values.len() as i64;
                d
            }
        };
        for v in values {
            let ok = v.rank() == want.len() && v.rank() > 0 && v.dims()[0] == 1 && v.dims()[1..] == want[1..];
            if !ok {
                let mut update = want.clone();
                if let Some(u) = update.first_mut() {
                    *u = 1;
                }
                return Err(Error::invalid_argument(format!(
                    "value and update shape doesn't match: {} vs. {}",
                    TensorShape::new(update),
                    v.shape()
                )));
            }
        }
        if want.first() != Some(&(values.len() as i64)) {
            return Err(Error::invalid_argument(format!(
                "ParallelConcat's shape {} does not hold its {} inputs along the first dimension",
                TensorShape::new(want.clone()),
                values.len()
            )));
        }
        let out = concat_rows(values, TensorShape::new(want))?;
        ctx.set_output(0, out);
        Ok(())
    }))
}

#[cfg(test)]
mod tests {
    use crate::testutil::{node, run};
    use ferroflow_framework::{Code, DType, Tensor};

    #[test]
    fn oracle_cases() {
        crate::array::oracle::run_cases(
            "array2.json",
            &["Bitcast", "BroadcastArgs", "Empty", "EnsureShape", "UnravelIndex", "ParallelConcat"],
            0.0,
        );
    }

    #[test]
    fn bitcast_shares_the_buffer() {
        let x = Tensor::from_vec(vec![2], vec![1.0f32, 2.0]).unwrap();
        let n = node("Bitcast").attr_type("T", DType::Float).attr_type("type", DType::UInt32);
        let out = run(n, vec![x.clone()]).unwrap();
        assert_eq!(out[0].raw_bytes().unwrap().as_ptr(), x.raw_bytes().unwrap().as_ptr());
        assert_eq!(out[0].to_vec::<u32>().unwrap(), vec![1.0f32.to_bits(), 2.0f32.to_bits()]);
    }

    #[test]
    fn unravel_index_too_large_is_out_of_memory() {
        // 2^16 dims of size 1 times 2^16 indices: 2^32 coordinates, past the memory budget.
        let n = node("UnravelIndex").attr_type("Tidx", DType::Int64);
        let indices = Tensor::from_vec(vec![1 << 16], vec![0i64; 1 << 16]).unwrap();
        let dims = Tensor::from_vec(vec![1 << 16], vec![1i64; 1 << 16]).unwrap();
        let e = run(n, vec![indices, dims]).unwrap_err();
        assert_eq!(e.code, Code::ResourceExhausted, "{e}");
    }

    #[test]
    fn empty_too_large_is_out_of_memory() {
        let n = node("Empty").attr_type("dtype", DType::Double);
        let e = run(n, vec![Tensor::from_vec(vec![2], vec![1 << 30, 1 << 30]).unwrap()]).unwrap_err();
        assert_eq!(e.code, Code::ResourceExhausted, "{e}");
        let n = node("Empty").attr_type("dtype", DType::String);
        let e = run(n, vec![Tensor::from_vec(vec![2], vec![1 << 30, 1 << 30]).unwrap()]).unwrap_err();
        assert_eq!(e.code, Code::ResourceExhausted, "{e}");
    }
}
