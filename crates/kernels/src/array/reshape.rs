//! Reshape, ExpandDims and Squeeze: new shapes over the input's own buffer (never copied).
//! Stateless kernels; Squeeze keeps its validated attribute list.

use super::kernel;
use ferroflow_framework::{Cost, Error, Kernel, KernelInit, OpRegistry, Result, Tensor, TensorShape};

pub(super) fn register(reg: &mut OpRegistry) {
    reg.op("Reshape")
        .input("tensor: T")
        .input("shape: Tshape")
        .output("output: T")
        .attr("T: type")
        .attr("Tshape: {int32, int64} = DT_INT32")
        .cost(Cost::Trivial)
        .kernel(|_| {
        Ok(kernel(1, |ctx| {
            let out = reshape(ctx.input(0), ctx.input(1))?;
            ctx.set_output(0, out);
            Ok(())
        }))
    });
    reg.op("ExpandDims")
        .input("input: T")
        .input("dim: Tdim")
        .output("output: T")
        .attr("T: type")
        .attr("Tdim: {int32, int64} = DT_INT32")
        .cost(Cost::Trivial)
        .kernel(|_| {
        Ok(kernel(1, |ctx| {
            let out = expand_dims(ctx.input(0), ctx.input(1))?;
            ctx.set_output(0, out);
            Ok(())
        }))
    });
    reg.op("Squeeze")
        .input("input: T")
        .output("output: T")
        .attr("T: type")
        .attr("squeeze_dims: list(int) >= 0 = []")
        .cost(Cost::Trivial)
        .kernel(squeeze);
}

/// The output shape of `Reshape(input, sizes)`, with TF's inference of one `-1` entry.
pub(crate) fn reshape_dims(input: &TensorShape, sizes: &Tensor) -> Result<Vec<i64>> {
    if sizes.rank() > 1 {
        return Err(Error::invalid_argument(format!("sizes input must be 1-D, not {}", sizes.shape())));
    }
    let s = sizes.to_i64_vec().map_err(|_| {
        Error::invalid_argument(format!("desired shape must be a DT_INT32 or DT_INT64 vector, not a {}", sizes.dtype()))
    })?;
    let mut dims = Vec::with_capacity(s.len());
    let mut product: i64 = 1; // of the positive sizes
    let mut total: i128 = 1; // of every size so far, to refuse overflow
    let mut unknown: Option<usize> = None;
    let mut has_zero = false;
    for (d, &size) in s.iter().enumerate() {
        if size == -1 {
            if let Some(u) = unknown {
                return Err(Error::invalid_argument(format!("Only one input size may be -1, not both {u} and {d}")));
            }
            unknown = Some(d);
            dims.push(1);
        } else if size < 0 {
            return Err(Error::invalid_argument(format!("Size {d} must be non-negative, not {size}")));
        } else if size == 0 {
            dims.push(0);
            has_zero = true;
            total = 0;
        } else {
            total *= size as i128;
            if total > i64::MAX as i128 || (product as i128) * (size as i128) > i64::MAX as i128 {
                let shown: Vec<String> = s.iter().map(|v| v.to_string()).collect();
                return Err(Error::invalid_argument(format!("Shape [{}] has too many elements", shown.join(", "))));
            }
            dims.push(size);
            product *= size;
        }
    }
    let have = input.num_elements() as i64;
    if let Some(u) = unknown {
        // Zero-sized input dimensions are left out when the request has zeros of its own, so the
        // other dimensions can still be inferred.
        let mut input_count: i64 = 1;
        let mut input_has_zero = false;
        for &d in input.dims() {
            if d > 0 || !has_zero {
                input_count = input_count.saturating_mul(d);
            } else {
                input_has_zero = true;
            }
        }
        let missing = input_count / product;
        if !input_has_zero && product * missing != input_count {
            return Err(Error::invalid_argument(format!(
                "Input to reshape is a tensor with {input_count} values, but the requested shape requires a multiple of {product}"
            )));
        }
        dims[u] = missing;
    }
    let want: i128 = dims.iter().fold(1i128, |acc, &d| acc.saturating_mul(d as i128));
    if want != have as i128 {
        return Err(Error::invalid_argument(format!(
            "Input to reshape is a tensor with {have} values, but the requested shape has {want}"
        )));
    }
    Ok(dims)
}

fn reshape(input: &Tensor, sizes: &Tensor) -> Result<Tensor> {
    let dims = reshape_dims(input.shape(), sizes)?;
    input.reshaped(TensorShape::new(dims))
}

fn expand_dims(input: &Tensor, dim_t: &Tensor) -> Result<Tensor> {
    if dim_t.num_elements() != 1 {
        return Err(Error::invalid_argument("'dim' must be a tensor with a single value"));
    }
    let dim = dim_t.to_i64_vec()?[0];
    let rank = input.rank() as i64;
    if dim < -1 - rank || dim > rank {
        return Err(Error::invalid_argument(format!(
            "Tried to expand dim index {dim} for tensor with {rank} dimensions."
        )));
    }
    let at = if dim < 0 { (dim + rank + 1).min(rank) } else { dim } as usize;
    let mut dims = input.dims().to_vec();
    dims.insert(at, 1);
    input.reshaped(TensorShape::new(dims))
}

fn squeeze(init: &KernelInit<'_>) -> Result<Kernel> {
    let mut listed = init.attrs.get_list_int("squeeze_dims")?;
    listed.sort_unstable();
    listed.dedup();
    Ok(kernel(1, move |ctx| {
        let input = ctx.input(0);
        let rank = input.rank() as i64;
        let mut drop = vec![false; input.rank()];
        for &d in &listed {
            if d < -rank || d >= rank {
                return Err(Error::invalid_argument(format!(
                    "Tried to squeeze dim index {d} for tensor with {rank} dimensions."
                )));
            }
            drop[if d < 0 { d + rank } else { d } as usize] = true;
        }
        let mut dims = Vec::with_capacity(input.rank());
        for (i, &size) in input.dims().iter().enumerate() {
            if listed.is_empty() {
                if size != 1 {
                    dims.push(size);
                }
            } else if drop[i] {
                if size != 1 {
                    return Err(Error::invalid_argument(format!(
                        "Can not squeeze dim[{i}], expected a dimension of 1, got {size}"
                    )));
                }
            } else {
                dims.push(size);
            }
        }
        let out = input.reshaped(TensorShape::new(dims))?;
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
        crate::array::oracle::run_cases("array.json", &["Reshape", "ExpandDims", "Squeeze"], 1e-5);
    }

    #[test]
    fn outputs_share_the_input_buffer() {
        let x = Tensor::from_vec(vec![1, 6], vec![1i32, 2, 3, 4, 5, 6]).unwrap();
        let ptr = x.raw_bytes().unwrap().as_ptr();
        let shape = Tensor::from_vec(vec![2], vec![3i32, -1]).unwrap();
        let r = run(node("Reshape").attr_type("T", DType::Int32), vec![x.clone(), shape]).unwrap();
        assert_eq!(r[0].dims(), &[3, 2]);
        assert_eq!(r[0].raw_bytes().unwrap().as_ptr(), ptr);
        let e = run(node("ExpandDims").attr_type("T", DType::Int32), vec![x.clone(), Tensor::scalar(0i32)]).unwrap();
        assert_eq!(e[0].dims(), &[1, 1, 6]);
        assert_eq!(e[0].raw_bytes().unwrap().as_ptr(), ptr);
        let s = run(node("Squeeze").attr_type("T", DType::Int32), vec![x]).unwrap();
        assert_eq!(s[0].dims(), &[6]);
        assert_eq!(s[0].raw_bytes().unwrap().as_ptr(), ptr);
    }

    #[test]
    fn reshape_refuses_overflowing_requests() {
        let x = Tensor::from_vec(vec![2], vec![1.0f32, 2.0]).unwrap();
        let shape = Tensor::from_vec(vec![3], vec![1i64 << 40, 3, -1]).unwrap();
        let e = run(node("Reshape").attr_type("T", DType::Float), vec![x, shape]).unwrap_err();
        assert!(e.message.contains("requires a multiple of"), "{}", e.message);
        let x = Tensor::from_vec(vec![2], vec![1.0f32, 2.0]).unwrap();
        let shape = Tensor::from_vec(vec![3], vec![1i64 << 40, 1 << 40, 1 << 40]).unwrap();
        let e = run(node("Reshape").attr_type("T", DType::Float), vec![x, shape]).unwrap_err();
        assert!(e.message.contains("has too many elements"), "{}", e.message);
    }
}
