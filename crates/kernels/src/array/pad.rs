//! Pad and PadV2 (constant padding). Stateless kernels: the output is filled with the pad value,
//! then each innermost row of the input is copied into place.

use super::elems::{Elem, Mover, move_elements};
use super::{checked_shape, kernel, strides_of};
use ferroflow_framework::{Error, OpRegistry, Result, Tensor, TensorShape};

pub(super) fn register(reg: &mut OpRegistry) {
    reg.op("Pad")
        .input("input: T")
        .input("paddings: Tpaddings")
        .output("output: T")
        .attr("T: type")
        .attr("Tpaddings: {int32, int64} = DT_INT32")
        .kernel(|_| {
        Ok(kernel(1, |ctx| {
            let out = pad(ctx.input(0), ctx.input(1), None)?;
            ctx.set_output(0, out);
            Ok(())
        }))
    });
    reg.op("PadV2")
        .input("input: T")
        .input("paddings: Tpaddings")
        .input("constant_values: T")
        .output("output: T")
        .attr("T: type")
        .attr("Tpaddings: {int32, int64} = DT_INT32")
        .kernel(|_| {
        Ok(kernel(1, |ctx| {
            let out = pad(ctx.input(0), ctx.input(1), Some(ctx.input(2)))?;
            ctx.set_output(0, out);
            Ok(())
        }))
    });
}

struct Padder {
    in_dims: Vec<usize>,
    before: Vec<usize>,
    out_dims: Vec<usize>,
}

impl Mover for Padder {
    fn fill<E: Elem>(&self, srcs: &[&[E]], out: &mut Vec<E>) -> Result<()> {
        let (src, value) = (srcs[0], srcs[1][0].clone());
        let n: usize = self.out_dims.iter().product();
        out.resize(n, value);
        let r = self.in_dims.len();
        if src.is_empty() {
            return Ok(());
        }
        if r == 0 {
            out[0] = src[0].clone();
            return Ok(());
        }
        let os = strides_of(&self.out_dims);
        let row = self.in_dims[r - 1];
        let mut idx = vec![0usize; r - 1];
        let mut dst: usize = (0..r).map(|d| self.before[d] * os[d]).sum();
        for chunk in src.chunks_exact(row) {
            out[dst..dst + row].clone_from_slice(chunk);
            // Next input row: advance the odometer over the outer input dimensions.
            let mut d = r - 1;
            loop {
                if d == 0 {
                    return Ok(());
                }
                d -= 1;
                idx[d] += 1;
                if idx[d] < self.in_dims[d] {
                    dst += os[d];
                    break;
                }
                dst -= os[d] * (self.in_dims[d] - 1);
                idx[d] = 0;
            }
        }
        Ok(())
    }
}

fn pad(input: &Tensor, paddings: &Tensor, value: Option<&Tensor>) -> Result<Tensor> {
    let r = input.rank();
    if paddings.rank() != 2 || paddings.dims()[1] != 2 {
        return Err(Error::invalid_argument(format!("paddings must be a matrix with 2 columns: {}", paddings.shape())));
    }
    if paddings.dims()[0] != r as i64 {
        return Err(Error::invalid_argument(format!(
            "The first dimension of paddings must be the rank of inputs{} {}",
            paddings.shape(),
            input.shape()
        )));
    }
    if let Some(v) = value
        && v.rank() != 0
    {
        return Err(Error::invalid_argument(format!("constant_values must be a scalar. Found: {}", v.shape())));
    }
    let p = paddings.to_i64_vec()?;
    let mut out_dims = Vec::with_capacity(r);
    for d in 0..r {
        let (b, a) = (p[2 * d], p[2 * d + 1]);
        if b < 0 || a < 0 {
            return Err(Error::invalid_argument(format!("Paddings must be non-negative: {b} {a}")));
        }
        out_dims.push(input.dims()[d].saturating_add(b).saturating_add(a));
    }
    let shape: TensorShape = checked_shape(&out_dims)?;
    if p.iter().all(|&v| v == 0) {
        return Ok(input.clone());
    }
    let zero;
    let value = match value {
        Some(v) => v,
        None => {
            zero = Tensor::zeros(input.dtype(), TensorShape::scalar())?;
            &zero
        }
    };
    let padder = Padder {
        in_dims: input.dims().iter().map(|&d| d as usize).collect(),
        before: (0..r).map(|d| p[2 * d] as usize).collect(),
        out_dims: out_dims.iter().map(|&d| d as usize).collect(),
    };
    move_elements(input.dtype(), &[input, value], shape, &padder)
}

#[cfg(test)]
mod tests {
    #[test]
    fn oracle_cases() {
        crate::array::oracle::run_cases("array.json", &["Pad", "PadV2"], 1e-5);
    }
}
