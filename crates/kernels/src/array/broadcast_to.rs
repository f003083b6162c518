//! `BroadcastTo`: an input repeated along broadcast dimensions to a requested shape, with TF's
//! broadcasting rules. Stateless kernel.

use crate::broadcast::BroadcastPlan;
use ferroflow_framework::{
    DType, Error, Kernel, KernelInit, OpRegistry, OpKernel, OpKernelContext, Result, Tensor, TensorShape, dispatch,
};

struct BroadcastTo;

fn broadcast<T: ferroflow_framework::TensorElement>(input: &Tensor, target: &TensorShape) -> Result<Tensor> {
    let plan = BroadcastPlan::binary(input.shape(), target)?;
    if plan.out_shape() != target {
        return Err(Error::invalid_argument(format!(
            "Unable to broadcast tensor of shape {} to tensor of shape {target}",
            input.shape()
        )));
    }
    let marker = vec![0u8; target.num_elements()];
    let values = plan.apply(&input.values::<T>()?, &marker, |x: &T, _: &u8| *x)?;
    Tensor::from_vec(target.clone(), values)
}

impl OpKernel for BroadcastTo {
    fn compute(&self, ctx: &mut OpKernelContext<'_>) -> Result<()> {
        let input = ctx.input(0);
        let target = TensorShape::from_dims(&ctx.input(1).to_i64_vec()?)?;
        if input.shape() == &target {
            ctx.set_output(0, input.clone());
            return Ok(());
        }
        let out = match input.dtype() {
            DType::Bool => {
                let as_u8 = Tensor::from_bytes(DType::UInt8, input.shape().clone(), input.raw_bytes().cloned().unwrap_or_default())?;
                let b = broadcast::<u8>(&as_u8, &target)?;
                Tensor::from_bytes(DType::Bool, target, b.raw_bytes().cloned().unwrap_or_default())?
            }
            dtype => dispatch!(real, dtype, T => broadcast::<T>(input, &target)?,
                return Err(Error::invalid_argument(format!("BroadcastTo does not support {dtype} tensors")))),
        };
        ctx.set_output(0, out);
        Ok(())
    }
}

fn build(init: &KernelInit<'_>) -> Result<Kernel> {
    init.expect_inputs(2)?;
    init.attrs.get_type("T")?;
    Ok(Kernel::sync(BroadcastTo, 1))
}

pub(super) fn register(reg: &mut OpRegistry) {
    reg.op("BroadcastTo")
        .input("input: T")
        .input("shape: Tidx")
        .output("output: T")
        .attr("T: type")
        .attr("Tidx: {int32, int64} = DT_INT32")
        .kernel(build);
}

#[cfg(test)]
mod tests {
    use crate::testutil::{node, run};
    use ferroflow_framework::{DType, Tensor};

    #[test]
    fn repeats_rows_like_tensorflow() {
        // tf.broadcast_to([1., 2., 3.], [2, 3]) == [[1, 2, 3], [1, 2, 3]]
        let x = Tensor::from_vec(vec![3], vec![1.0f32, 2.0, 3.0]).unwrap();
        let shape = Tensor::from_vec(vec![2], vec![2i32, 3]).unwrap();
        let out = run(node("BroadcastTo").attr_type("T", DType::Float), vec![x.clone(), shape]).unwrap();
        assert_eq!(out[0].dims(), &[2, 3]);
        assert_eq!(out[0].values::<f32>().unwrap().as_ref(), &[1.0, 2.0, 3.0, 1.0, 2.0, 3.0]);
        let bad = Tensor::from_vec(vec![1], vec![2i32]).unwrap();
        let e = run(node("BroadcastTo").attr_type("T", DType::Float), vec![x, bad]).unwrap_err();
        assert_eq!(e.code, ferroflow_framework::Code::InvalidArgument);
    }
}
