//! `ConcatOffset`: where each input of a concatenation starts in the output (used by the gradient
//! of `ConcatV2` in graphs no optimizer has folded). Stateless kernel.

use ferroflow_framework::{Cost, DType, Error, Kernel, KernelInit, OpRegistry, OpKernel, OpKernelContext, Result, Tensor};

struct ConcatOffset {
    n: usize,
    index_type: DType,
}

impl OpKernel for ConcatOffset {
    fn compute(&self, ctx: &mut OpKernelContext<'_>) -> Result<()> {
        let dim = ctx.input(0).scalar_value::<i32>()? as i64;
        let shapes: Vec<Vec<i64>> = (0..self.n).map(|i| ctx.input(1 + i).to_i64_vec()).collect::<Result<_>>()?;
        let rank = shapes[0].len() as i64;
        let axis = if dim < 0 { dim + rank } else { dim };
        if axis < 0 || axis >= rank {
            return Err(Error::invalid_argument(format!("Concat dim is out of range: {dim} vs. {rank}")));
        }
        let mut offset = 0i64;
        for (i, shape) in shapes.iter().enumerate() {
            if shape.len() as i64 != rank {
                return Err(Error::invalid_argument(format!(
                    "input {i} should contain {rank} elements, but got {}",
                    shape.len()
                )));
            }
            for (d, (&a, &b)) in shapes[0].iter().zip(shape).enumerate() {
                if d as i64 != axis && a != b {
                    return Err(Error::invalid_argument(format!(
                        "All dimensions except {axis} must match. Input {i} has shape [{}] and doesn't match input 0 with shape [{}].",
                        shape.iter().map(|x| x.to_string()).collect::<Vec<_>>().join(" "),
                        shapes[0].iter().map(|x| x.to_string()).collect::<Vec<_>>().join(" ")
                    )));
                }
            }
            let mut out = vec![0i64; rank as usize];
            out[axis as usize] = offset;
            offset += shape[axis as usize];
            let t = match self.index_type {
                DType::Int64 => Tensor::from_vec(vec![rank], out)?,
                _ => Tensor::from_vec(vec![rank], out.into_iter().map(|v| v as i32).collect::<Vec<_>>())?,
            };
            ctx.set_output(i, t);
        }
        Ok(())
    }
}

fn build(init: &KernelInit<'_>) -> Result<Kernel> {
    let n = init.attrs.get_int("N")?;
    if n < 2 || init.num_inputs != n as usize + 1 {
        return Err(Error::invalid_argument(format!("ConcatOffset needs N >= 2 shapes and N + 1 inputs, got N = {n}")));
    }
    let index_type = init.attrs.get_type_in("shape_type", &[DType::Int32, DType::Int64])?;
    Ok(Kernel::sync(ConcatOffset { n: n as usize, index_type }, n as usize))
}

pub(super) fn register(reg: &mut OpRegistry) {
    reg.op("ConcatOffset")
        .input("concat_dim: int32")
        .input("shape: N * shape_type")
        .output("offset: N * shape_type")
        .attr("N: int >= 2")
        .attr("shape_type: {int32, int64} = DT_INT32")
        .cost(Cost::Trivial)
        .kernel(build);
}

#[cfg(test)]
mod tests {
    use crate::testutil::{node, run};
    use ferroflow_framework::Tensor;

    #[test]
    fn offsets_along_the_concat_dimension() {
        // tf.raw_ops.ConcatOffset(concat_dim=1, shape=[[2,3],[2,5]]) == [[0,0],[0,3]]
        let s = |v: Vec<i32>| Tensor::from_vec(vec![2], v).unwrap();
        let out = run(node("ConcatOffset").attr_int("N", 2), vec![Tensor::scalar(1i32), s(vec![2, 3]), s(vec![2, 5])]).unwrap();
        assert_eq!(out[0].values::<i32>().unwrap().as_ref(), &[0, 0]);
        assert_eq!(out[1].values::<i32>().unwrap().as_ref(), &[0, 3]);
        assert!(run(node("ConcatOffset").attr_int("N", 2), vec![Tensor::scalar(0i32), s(vec![2, 3]), s(vec![4, 5])]).is_err());
    }
}
