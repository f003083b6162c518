//! `_UnaryOpsComposition`: the fused chain of unary element-wise ops TF's Grappler (arithmetic
//! optimizer) builds from `Sin -> Cos -> Tanh`-like sequences and sends to workers in
//! partitions of a TF master. `op_names` lists the ops in application order; each is built once,
//! from the registry, as its own kernel with the node's `T`, and the chain runs them in turn.
//!
//! Only single-input, single-output, same-type element-wise ops may appear (TF's list); an op
//! ferroflow lacks makes the node fail to build, naming it.
//!
//! Concurrency: stateless (`Send + Sync`); the stage kernels are stateless too.

use ferroflow_framework::node_def::NodeDefBuilder;
use ferroflow_framework::{
    Cost, DType, Error, Kernel, KernelInit, KernelKind, OpKernel, OpKernelContext, OpRegistry, Result,
};

/// The ops TF's CPU `_UnaryOpsComposition` kernel accepts.
const COMPOSABLE: &[&str] = &[
    "Abs", "Acos", "Acosh", "Asin", "Asinh", "Atan", "Atanh", "Ceil", "Cos", "Cosh", "Expm1", "Exp", "Floor", "Inv",
    "Log", "Log1p", "Neg", "Reciprocal", "Rint", "Round", "Rsqrt", "Sigmoid", "Sin", "Sinh", "Sqrt", "Square", "Tan",
    "Tanh", "Relu", "Relu6", "Elu", "Selu",
];

pub(super) fn register(reg: &mut OpRegistry) {
    reg.op("_UnaryOpsComposition")
        .input("x: T")
        .output("y: T")
        .attr("T: {float, half, double}")
        .attr("op_names: list(string)")
        .cost(Cost::Elementwise)
        .kernel(build);
}

struct Composition {
    stages: Vec<(String, Box<dyn OpKernel>)>,
}

fn build(init: &KernelInit<'_>) -> Result<Kernel> {
    init.expect_inputs(1)?;
    let dtype = init.attrs.get_type_in("T", &[DType::Float, DType::Double])?;
    let names = init.attrs.get_list_string("op_names")?;
    let registry = crate::registry();
    let mut stages = Vec::with_capacity(names.len());
    for name in names {
        if !COMPOSABLE.contains(&name.as_str()) {
            return Err(Error::invalid_argument(format!("Unary op is not supported: {name}")));
        }
        let node = NodeDefBuilder::new(&format!("{}/{name}", init.node.name), &name).input("x").attr_type("T", dtype).0;
        let kernel = registry.build(&node, 1).map_err(|e| {
            Error::unimplemented(format!("_UnaryOpsComposition stage {name}: {}", e.message))
        })?;
        let KernelKind::Sync(k) = kernel.kind else {
            return Err(Error::internal(format!("{name} is not a synchronous kernel")));
        };
        stages.push((name, k));
    }
    Ok(Kernel::sync(Composition { stages }, 1))
}

impl OpKernel for Composition {
    fn compute(&self, ctx: &mut OpKernelContext<'_>) -> Result<()> {
        let mut value = ctx.input(0).clone();
        for (_, stage) in &self.stages {
            let inputs = [value];
            let mut inner = OpKernelContext::new(ctx.step, ctx.node_name, &inputs, 1, &[]).with_frame_iter(ctx.frame_iter());
            stage.compute(&mut inner)?;
            value = inner.take_outputs()?.remove(0);
        }
        ctx.set_output(0, value);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::testutil::{node, run};
    use ferroflow_framework::{DType, Tensor};

    #[test]
    fn stages_apply_in_order() {
        let n = node("_UnaryOpsComposition").attr_type("T", DType::Double).attr_list_str("op_names", &["Neg", "Exp", "Sqrt"]);
        let x = Tensor::from_vec(vec![2], vec![0.0f64, 2.0]).unwrap();
        let y = run(n, vec![x]).unwrap().remove(0).to_vec::<f64>().unwrap();
        assert_eq!(y, vec![1.0, (-1.0f64).exp()]);
        let bad = node("_UnaryOpsComposition").attr_type("T", DType::Float).attr_list_str("op_names", &["MatMul"]);
        assert!(run(bad, vec![Tensor::scalar(1.0f32)]).is_err());
    }
}
