//! Control-flow primitives, as TF's `control_flow_ops.cc` defines them: `Switch` forwards its data to
//! the output its predicate picks and leaves the other dead; `Merge` forwards its first live input
//! and its index; `Enter`, `Exit` and `NextIteration` forward their input (the executor moves the
//! value into, out of, or to the next iteration of a while loop's frame); `LoopCond` forwards the
//! loop predicate; `ControlTrigger` does nothing (the executor runs it even when its inputs are
//! dead). Their `Ref*` forms (`RefSwitch`, `RefMerge`, `RefEnter`, `RefExit`, `RefNextIteration`,
//! `RefIdentity`) are the same kernels passing a reference on instead of a value. None copies a tensor: they are
//! forwarding kernels ([`Forwarding`]), whose inputs the executor moves to their outputs itself.
//!
//! Concurrency: stateless kernels, shared by every step of a graph.

use crate::array::kernel;
use ferroflow_framework::{Cost, Error, Forwarding, Kernel, KernelInit, OpRegistry, Result};

pub(crate) fn register(reg: &mut OpRegistry) {
    reg.op("Switch")
        .input("data: T")
        .input("pred: bool")
        .output("output_false: T")
        .output("output_true: T")
        .attr("T: type")
        .cost(Cost::Trivial)
        .kernel(build_switch);
    reg.op("RefSwitch")
        .input("data: Ref(T)")
        .input("pred: bool")
        .output("output_false: Ref(T)")
        .output("output_true: Ref(T)")
        .attr("T: type")
        .allows_uninitialized_input()
        .cost(Cost::Trivial)
        .kernel(build_switch);
    reg.op("Merge")
        .input("inputs: N * T")
        .output("output: T")
        .output("value_index: int32")
        .attr("T: type")
        .attr("N: int >= 1")
        .cost(Cost::Trivial)
        .kernel(build_merge);
    reg.op("RefMerge")
        .input("inputs: Ref(N * T)")
        .output("output: Ref(T)")
        .output("value_index: int32")
        .attr("T: type")
        .attr("N: int >= 1")
        .cost(Cost::Trivial)
        .kernel(build_merge);
    for (name, frame_attrs) in [("Enter", true), ("Exit", false), ("NextIteration", false)] {
        let op = reg.op(name).input("data: T").output("output: T").attr("T: type");
        let op = if frame_attrs {
            op.attr("frame_name: string").attr("is_constant: bool = false").attr("parallel_iterations: int = 10")
        } else {
            op
        };
        op.cost(Cost::Trivial).kernel(forward);
    }
    for (name, frame_attrs) in [("RefEnter", true), ("RefExit", false), ("RefNextIteration", false)] {
        let op = reg.op(name).input("data: Ref(T)").output("output: Ref(T)").attr("T: type");
        let op = if frame_attrs {
            op.attr("frame_name: string").attr("is_constant: bool = false").attr("parallel_iterations: int = 10")
        } else {
            op
        };
        op.cost(Cost::Trivial).kernel(forward);
    }
    reg.op("RefIdentity")
        .input("input: Ref(T)")
        .output("output: Ref(T)")
        .attr("T: type")
        .allows_uninitialized_input()
        .cost(Cost::Trivial)
        .kernel(forward);
    reg.op("LoopCond").input("input: bool").output("output: bool").cost(Cost::Trivial).kernel(forward);
    switch_n(reg);
    functional_ops(reg);
    reg.op("ControlTrigger").cost(Cost::Trivial).kernel(|_| Ok(kernel(0, |_| Ok(()))));
}

/// `Switch` and `RefSwitch`: the data (a tensor or a reference) to the output the predicate picks.
fn build_switch(_: &KernelInit<'_>) -> Result<Kernel> {
    Ok(Kernel::forwarding(Forwarding::Switch))
}

/// `Merge` and `RefMerge`: the first live input (a tensor or a reference) and its index.
fn build_merge(_: &KernelInit<'_>) -> Result<Kernel> {
    Ok(Kernel::forwarding(Forwarding::Merge))
}

fn switch_n(reg: &mut OpRegistry) {
    reg.op("_SwitchN")
        .input("data: T")
        .input("output_index: int32")
        .output("outputs: num_outs * T")
        .attr("num_outs: int >= 1")
        .attr("T: type")
        .cost(Cost::Trivial)
        .kernel(|init| {
            let n = init.attrs.get_int("num_outs")? as usize;
            Ok(kernel(n, move |ctx| {
                let index = ctx.input(1);
                let i = match index.values::<i32>() {
                    Ok(v) if v.len() == 1 && index.rank() == 0 => v[0],
                    _ => return Err(Error::invalid_argument(format!("output_index must be a scalar, got shape {}", index.shape()))),
                };
                // An index out of range selects the last output (how `Case` falls back to its default).
                let out = if i < 0 || i as usize >= n { n - 1 } else { i as usize };
                ctx.set_output(out, ctx.input(0).clone());
                Ok(())
            })
            .with_optional_outputs())
        });
}

/// Forwards input 0 to output 0 (a reference stays a reference).
fn forward(_: &KernelInit<'_>) -> Result<Kernel> {
    Ok(Kernel::forwarding(Forwarding::Identity))
}

/// The functional control-flow and call ops: defined for the types of their outputs, and lowered
/// into the primitives above (by the master before placement, or by a worker before it builds a
/// partition that still holds them), so they have no kernel of their own.
fn functional_ops(reg: &mut OpRegistry) {
    for (name, stateful) in [("If", true), ("StatelessIf", false)] {
        let op = reg
            .op(name)
            .input("cond: Tcond")
            .input("input: Tin")
            .output("output: Tout")
            .attr("Tcond: type")
            .attr("Tin: list(type) >= 0")
            .attr("Tout: list(type) >= 0")
            .attr("then_branch: func")
            .attr("else_branch: func")
            .attr("output_shapes: list(shape) = []");
        if stateful { op.stateful().no_kernel() } else { op.no_kernel() }
    }
    for (name, stateful) in [("While", true), ("StatelessWhile", false)] {
        let op = reg
            .op(name)
            .input("input: T")
            .output("output: T")
            .attr("T: list(type) >= 0")
            .attr("cond: func")
            .attr("body: func")
            .attr("output_shapes: list(shape) = []")
            .attr("parallel_iterations: int = 10");
        if stateful { op.stateful().no_kernel() } else { op.no_kernel() }
    }
    for (name, stateful) in [("Case", true), ("StatelessCase", false)] {
        let op = reg
            .op(name)
            .input("branch_index: int32")
            .input("input: Tin")
            .output("output: Tout")
            .attr("Tin: list(type) >= 0")
            .attr("Tout: list(type) >= 0")
            .attr("branches: list(func) >= 1")
            .attr("output_shapes: list(shape) = []");
        if stateful { op.stateful().no_kernel() } else { op.no_kernel() }
    }
    for (name, stateful) in [("PartitionedCall", false), ("StatefulPartitionedCall", true)] {
        let op = reg
            .op(name)
            .input("args: Tin")
            .output("output: Tout")
            .attr("Tin: list(type) >= 0")
            .attr("Tout: list(type) >= 0")
            .attr("f: func")
            .attr("config: string = ''")
            .attr("config_proto: string = ''")
            .attr("executor_type: string = ''");
        if stateful { op.stateful().no_kernel() } else { op.no_kernel() }
    }
}
