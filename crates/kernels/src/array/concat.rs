//! ConcatV2 (and the older Concat), Pack and Unpack. Stateless kernels. Each input is seen as an
//! `[outer, inner]` matrix split at the concatenation axis, so joining is a sequence of contiguous
//! row copies; Unpack along a leading axis shares slices of the input buffer.

use super::elems::{Elem, Mover, move_elements, share_range};
use super::{kernel, legacy_scalar, prod};
use ferroflow_framework::{Cost, Error, Kernel, KernelInit, OpRegistry, Result, Tensor, TensorShape};

pub(super) fn register(reg: &mut OpRegistry) {
    reg.op("ConcatV2")
        .input("values: N * T")
        .input("axis: Tidx")
        .output("output: T")
        .attr("N: int >= 2")
        .attr("T: type")
        .attr("Tidx: {int32, int64} = DT_INT32")
        .cost(Cost::InputElements)
        .kernel(|_| {
        Ok(kernel(1, |ctx| {
            let n = ctx.num_inputs().saturating_sub(1);
            let out = concat(&ctx.inputs()[..n], &ctx.inputs()[n])?;
            ctx.set_output(0, out);
            Ok(())
        }))
    });
    reg.op("Concat")
        .input("concat_dim: int32")
        .input("values: N * T")
        .output("output: T")
        .attr("N: int >= 2")
        .attr("T: type")
        .cost(Cost::InputElements)
        .kernel(|_| {
        Ok(kernel(1, |ctx| {
            let out = concat(&ctx.inputs()[1..], ctx.input(0))?;
            ctx.set_output(0, out);
            Ok(())
        }))
    });
    reg.op("Pack")
        .input("values: N * T")
        .output("output: T")
        .attr("N: int >= 1")
        .attr("T: type")
        .attr("axis: int = 0")
        .cost(Cost::InputElements)
        .kernel(pack);
    reg.op("Unpack")
        .input("value: T")
        .output("output: num * T")
        .attr("num: int >= 0")
        .attr("T: type")
        .attr("axis: int = 0")
        .cost(Cost::InputElements)
        .kernel(unpack);
}

/// Joins `[outer, inners[i]]` pieces row by row.
struct Join {
    outer: usize,
    inners: Vec<usize>,
}

impl Mover for Join {
    fn fill<E: Elem>(&self, srcs: &[&[E]], out: &mut Vec<E>) -> Result<()> {
        for o in 0..self.outer {
            for (src, &w) in srcs.iter().zip(&self.inners) {
                out.extend_from_slice(&src[o * w..(o + 1) * w]);
            }
        }
        Ok(())
    }
}

fn concat(values: &[Tensor], axis_t: &Tensor) -> Result<Tensor> {
    let raw = legacy_scalar(axis_t).ok_or_else(|| {
        Error::invalid_argument(format!("axis tensor should be a scalar integer, but got shape {}", axis_t.shape()))
    })?;
    let first = values.first().ok_or_else(|| Error::invalid_argument("ConcatOp : Expected at least one input"))?;
    let rank = first.rank() as i64;
    if rank == 0 {
        return Err(Error::invalid_argument("ConcatOp : Can't concatenate scalars (use tf.stack instead)"));
    }
    let axis = if raw < 0 { raw + rank } else { raw };
    if !(0..rank).contains(&axis) {
        return Err(Error::invalid_argument(format!(
            "ConcatOp : Expected concatenating dimensions in the range [{}, {rank}), but got {raw}",
            -rank
        )));
    }
    let axis = axis as usize;
    let mut total = 0i64;
    for (i, v) in values.iter().enumerate() {
        if v.rank() != first.rank() {
            return Err(Error::invalid_argument(format!(
                "ConcatOp : Ranks of all input tensors should match: shape[0] = {} vs. shape[{i}] = {}",
                first.shape(),
                v.shape()
            )));
        }
        for j in 0..first.rank() {
            if j != axis && v.dims()[j] != first.dims()[j] {
                return Err(Error::invalid_argument(format!(
                    "ConcatOp : Dimension {j} in both shapes must be equal: shape[0] = {} vs. shape[{i}] = {}",
                    first.shape(),
                    v.shape()
                )));
            }
        }
        total += v.dims()[axis];
    }
    let mut dims = first.dims().to_vec();
    dims[axis] = total;
    let outer = prod(&dims[..axis]);
    let join = Join { outer, inners: values.iter().map(|v| prod(&v.dims()[axis..])).collect() };
    let srcs: Vec<&Tensor> = values.iter().collect();
    move_elements(first.dtype(), &srcs, TensorShape::new(dims), &join)
}

fn pack(init: &KernelInit<'_>) -> Result<Kernel> {
    let axis_attr = init.attrs.get_int_or("axis", 0)?;
    Ok(kernel(1, move |ctx| {
        let values = ctx.inputs();
        let first = values.first().ok_or_else(|| Error::invalid_argument("Pack expects at least one input"))?;
        let expanded = first.rank() as i64 + 1;
        let axis = if axis_attr < 0 { axis_attr + expanded } else { axis_attr };
        if !(0..expanded).contains(&axis) {
            return Err(Error::invalid_argument(format!("axis = {axis_attr} not in [{}, {expanded})", -expanded)));
        }
        let axis = axis as usize;
        let mut dims = first.dims().to_vec();
        dims.insert(axis, values.len() as i64);
        for (i, v) in values.iter().enumerate() {
            if v.shape() != first.shape() {
                return Err(Error::invalid_argument(format!(
                    "Shapes of all inputs must match: values[0].shape = {} != values[{i}].shape = {}",
                    first.shape(),
                    v.shape()
                )));
            }
        }
        let out = if values.len() == 1 {
            first.reshaped(TensorShape::new(dims))?
        } else {
            let inner = prod(&first.dims()[axis..]);
            let join = Join { outer: prod(&first.dims()[..axis]), inners: vec![inner; values.len()] };
            let srcs: Vec<&Tensor> = values.iter().collect();
            move_elements(first.dtype(), &srcs, TensorShape::new(dims), &join)?
        };
        ctx.set_output(0, out);
        Ok(())
    }))
}

/// Takes slice `index` of an `[outer, num, inner]` view.
struct Take {
    outer: usize,
    num: usize,
    inner: usize,
    index: usize,
}

impl Mover for Take {
    fn fill<E: Elem>(&self, srcs: &[&[E]], out: &mut Vec<E>) -> Result<()> {
        for o in 0..self.outer {
            let from = (o * self.num + self.index) * self.inner;
            out.extend_from_slice(&srcs[0][from..from + self.inner]);
        }
        Ok(())
    }
}

fn unpack(init: &KernelInit<'_>) -> Result<Kernel> {
    let num = init.attrs.get_int("num")?;
    let axis_attr = init.attrs.get_int_or("axis", 0)?;
    let num_out = usize::try_from(num)
        .ok()
        .filter(|&n| n <= i32::MAX as usize)
        .ok_or_else(|| Error::invalid_argument(format!("Value for attr 'num' of {num} must be in [0, 2147483647]")))?;
    Ok(kernel(num_out, move |ctx| {
        let input = ctx.input(0);
        let rank = input.rank() as i64;
        let axis = if axis_attr < 0 { axis_attr + rank } else { axis_attr };
        if !(0..rank).contains(&axis) {
            return Err(Error::invalid_argument(format!("axis = {axis_attr} not in [{}, {rank})", -rank)));
        }
        let axis = axis as usize;
        if input.dims()[axis] != num {
            return Err(Error::invalid_argument(format!(
                "Input shape axis {axis} must equal {num}, got shape {}",
                input.shape()
            )));
        }
        let mut dims = input.dims().to_vec();
        dims.remove(axis);
        let shape = TensorShape::new(dims);
        let outer = prod(&input.dims()[..axis]);
        let inner = prod(&input.dims()[axis + 1..]);
        for i in 0..num_out {
            let shared = if outer == 1 { share_range(input, i * inner, shape.clone()) } else { None };
            let out = match shared {
                Some(t) => t?,
                None => move_elements(
                    input.dtype(),
                    &[input],
                    shape.clone(),
                    &Take { outer, num: num_out, inner, index: i },
                )?,
            };
            ctx.set_output(i, out);
        }
        Ok(())
    }))
}

#[cfg(test)]
mod tests {
    use crate::testutil::{node, run};
    use ferroflow_framework::{DType, Tensor};

    #[test]
    fn oracle_cases() {
        crate::array::oracle::run_cases("array.json", &["ConcatV2", "Concat", "Pack", "Unpack"], 1e-5);
    }

    #[test]
    fn unpack_along_the_leading_axis_shares_the_buffer() {
        let x = Tensor::from_vec(vec![2, 3], vec![1.0f64, 2.0, 3.0, 4.0, 5.0, 6.0]).unwrap();
        let n = node("Unpack").attr_type("T", DType::Double).attr_int("num", 2).attr_int("axis", 0);
        let out = run(n, vec![x.clone()]).unwrap();
        let base = x.raw_bytes().unwrap().as_ptr() as usize;
        assert_eq!(out[1].raw_bytes().unwrap().as_ptr() as usize, base + 24);
        assert_eq!(out[1].to_vec::<f64>().unwrap(), vec![4.0, 5.0, 6.0]);
    }

    #[test]
    fn concat_v1_takes_the_axis_first() {
        let a = Tensor::from_vec(vec![1, 2], vec![1i32, 2]).unwrap();
        let b = Tensor::from_vec(vec![1, 1], vec![3i32]).unwrap();
        let out = run(node("Concat").attr_type("T", DType::Int32).attr_int("N", 2), vec![Tensor::scalar(1i32), a, b]).unwrap();
        assert_eq!(out[0].dims(), &[1, 3]);
        assert_eq!(out[0].to_vec::<i32>().unwrap(), vec![1, 2, 3]);
    }
}
