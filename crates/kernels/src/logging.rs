//! Logging ops (TF's `logging_ops`): `Assert`, which fails the step with INVALID_ARGUMENT and a
//! summary of its data tensors when its condition is false — what `tf.debugging.assert_*`,
//! `tf.compat.v1.assert_*` and many library functions (image, losses, datasets) put in graphs.
//! Stateless kernel apart from its effect on the step; safe to run concurrently.

use crate::array::kernel;
use crate::optional::summarize;
use ferroflow_framework::{Cost, Error, Kernel, KernelInit, OpRegistry, Result};

pub(crate) fn register(reg: &mut OpRegistry) {
    reg.op("Assert")
        .input("condition: bool")
        .input("data: T")
        .attr("T: list(type) >= 1")
        .attr("summarize: int = 3")
        .stateful()
        .cost(Cost::Trivial)
        .kernel(assert);
}

fn assert(init: &KernelInit<'_>) -> Result<Kernel> {
    let summarize_entries = init.attrs.get_int_or("summarize", 3)?.max(0) as usize;
    Ok(kernel(0, move |ctx| {
        let cond = ctx.input(0);
        if cond.rank() != 0 {
            return Err(Error::invalid_argument(format!("In[0] should be a scalar: {}", cond.shape())));
        }
        if cond.bools()?.first().copied().unwrap_or(false) {
            return Ok(());
        }
        let data: Vec<String> = (1..ctx.num_inputs()).map(|i| format!("[{}]", summarize(ctx.input(i), summarize_entries))).collect();
        Err(Error::invalid_argument(format!("assertion failed: {}", data.join(" "))))
    }))
}

#[cfg(test)]
mod tests {
    use crate::testutil::{NodeBuilder, node, run};
    use ferroflow_framework::{Code, DType, Tensor};
    use ferroflow_proto::{AttrValue, attr_value};

    fn assert_node() -> NodeBuilder {
        let types = attr_value::ListValue { r#type: vec![DType::Int32.to_proto()], ..Default::default() };
        node("Assert").attr_value("T", AttrValue { value: Some(attr_value::Value::List(types)) })
    }

    #[test]
    fn oracle_cases() {
        assert!(crate::array::oracle::run_cases("logging.json", &["Assert"], 0.0) >= 6);
    }

    #[test]
    fn a_true_condition_passes_without_outputs() {
        let n = assert_node();
        let data = Tensor::from_vec(vec![2], vec![4i32, 5]).unwrap();
        let out = run(n, vec![Tensor::from_bools(Vec::<i64>::new(), vec![true]).unwrap(), data.clone()]).unwrap();
        assert!(out.is_empty());
        let n = assert_node();
        let e = run(n, vec![Tensor::from_bools(Vec::<i64>::new(), vec![false]).unwrap(), data]).unwrap_err();
        assert_eq!(e.code, Code::InvalidArgument);
        assert!(e.message.starts_with("assertion failed: [4 5]"), "{}", e.message);
    }
}
