//! Stacks: TF's `StackV2`, `StackPushV2`, `StackPopV2`, `StackCloseV2` — the accumulators that
//! gradients of v1 `tf.while_loop`s push forward values onto in the loop and pop in the gradient
//! loop (TF's `core/kernels/stack.cc`), with TF's semantics and messages.
//!
//! A stack is a per-step resource: it lives in the step's own container (`__per_step_<id>`, in
//! [`StepContext::step_resources`]) and is gone with the step. Its handle names that container and
//! a name unique in the process (`<stack_name or node name>_<n>`, as TF makes it).
//!
//! Concurrency: kernels are stateless; a stack's elements are behind its own mutex, held only to
//! push or pop (TF's stacks are used by one loop, iterations in order).

use crate::array::kernel;
use ferroflow_framework::resource::Resource;
use ferroflow_framework::{Cost, DType, Error, KernelInit, OpKernelContext, OpRegistry, ResourceHandle, Result, StepContext, Tensor, TensorShape};
use parking_lot::Mutex;
use std::any::Any;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

/// TF's type name of stack resources, as handles carry it.
const TYPE_NAME: &str = "tensorflow::Stack";

/// Process-wide id of the next stack (TF's `Stack` names are unique per process).
static NEXT_STACK_ID: AtomicI64 = AtomicI64::new(1);

/// One stack: its element dtype, its bound (negative means none) and its elements.
struct Stack {
    name: String,
    elem_type: DType,
    max_size: i32,
    state: Mutex<StackState>,
}

#[derive(Default)]
struct StackState {
    elements: Vec<Tensor>,
    closed: bool,
}

impl Stack {
    fn not_closed(&self, state: &StackState) -> Result<()> {
        if state.closed {
            return Err(Error::invalid_argument(format!("Stack[{}] has already been closed.", self.name)));
        }
        Ok(())
    }

    fn push(&self, t: Tensor) -> Result<()> {
        let mut state = self.state.lock();
        self.not_closed(&state)?;
        if self.max_size >= 0 && state.elements.len() >= self.max_size as usize {
            return Err(Error::invalid_argument(format!("Stack[{}] overflowed its max_size ({})", self.name, self.max_size)));
        }
        state.elements.try_reserve(1).map_err(|_| Error::resource_exhausted(format!("Stack[{}] cannot grow", self.name)))?;
        state.elements.push(t);
        Ok(())
    }

    fn pop(&self) -> Result<Tensor> {
        let mut state = self.state.lock();
        self.not_closed(&state)?;
        state.elements.pop().ok_or_else(|| Error::invalid_argument(format!("Stack[{}] is empty when calling Pop().", self.name)))
    }

    fn close(&self) {
        let mut state = self.state.lock();
        state.closed = true;
        state.elements.clear();
    }
}

impl Resource for Stack {
    fn debug_string(&self) -> String {
        format!("Stack[{}]", self.name)
    }
    fn as_any(self: Arc<Self>) -> Arc<dyn Any + Send + Sync> {
        self
    }
}

pub(crate) fn register(reg: &mut OpRegistry) {
    reg.op("StackV2")
        .input("max_size: int32")
        .output("handle: resource")
        .attr("elem_type: type")
        .attr("stack_name: string = ''")
        .stateful()
        .cost(Cost::Trivial)
        .kernel(stack_v2);
    reg.op("StackPushV2")
        .input("handle: resource")
        .input("elem: T")
        .output("output: T")
        .attr("T: type")
        .attr("swap_memory: bool = false")
        .stateful()
        .cost(Cost::Trivial)
        .kernel(|_| Ok(kernel(1, push)));
    reg.op("StackPopV2")
        .input("handle: resource")
        .output("elem: elem_type")
        .attr("elem_type: type")
        .stateful()
        .cost(Cost::Trivial)
        .kernel(stack_pop);
    reg.op("StackCloseV2")
        .input("handle: resource")
        .stateful()
        .cost(Cost::Trivial)
        .kernel(|_| {
            Ok(kernel(0, |ctx| {
                lookup(ctx)?.close();
                Ok(())
            }))
        });
}

fn stack_v2(init: &KernelInit<'_>) -> Result<ferroflow_framework::Kernel> {
    let elem_type = init.attrs.get_type("elem_type")?;
    let stack_name = init.attrs.get_string_or("stack_name", "")?;
    let base = if stack_name.is_empty() { init.node.name.clone() } else { stack_name };
    Ok(kernel(1, move |ctx| {
        let size = ctx.input(0);
        if !size.shape().is_scalar() {
            return Err(Error::invalid_argument(format!("Stack size must be a scalar, but had shape: {}", size.shape())));
        }
        let max_size = size.values::<i32>()?[0];
        let name = format!("{base}_{}", NEXT_STACK_ID.fetch_add(1, Ordering::Relaxed));
        let step: &StepContext = &ctx.step;
        let container = step.step_container_name();
        let stack = Stack { name: name.clone(), elem_type, max_size, state: Mutex::new(StackState::default()) };
        step.step_resources.lookup_or_create(&container, &name, || stack)?;
        let handle = ResourceHandle {
            device: step.device_name.clone(),
            container,
            name,
            maybe_type_name: TYPE_NAME.to_string(),
            ..Default::default()
        };
        ctx.set_output(0, Tensor::from_resources(TensorShape::scalar(), vec![handle])?);
        Ok(())
    }))
}

/// The stack input 0's handle names, in this step's container.
fn lookup(ctx: &OpKernelContext<'_>) -> Result<Arc<Stack>> {
    let handles = ctx.input(0).resource_handles()?;
    let [h] = handles else {
        return Err(Error::invalid_argument(format!("a stack handle must be a scalar, got shape {}", ctx.input(0).shape())));
    };
    ctx.step.step_resources.lookup::<Stack>(&h.container, &h.name)
}

fn push(ctx: &mut OpKernelContext<'_>) -> Result<()> {
    let stack = lookup(ctx)?;
    let elem = ctx.input(1).clone();
    if elem.dtype() != stack.elem_type {
        return Err(Error::invalid_argument(format!(
            "Must have type {} but got {}",
            stack.elem_type.to_proto(),
            elem.dtype().to_proto()
        )));
    }
    stack.push(elem.clone())?;
    ctx.set_output(0, elem);
    Ok(())
}

fn stack_pop(init: &KernelInit<'_>) -> Result<ferroflow_framework::Kernel> {
    let elem_type = init.attrs.get_type("elem_type")?;
    Ok(kernel(1, move |ctx| {
        let t = lookup(ctx)?.pop()?;
        if t.dtype() != elem_type {
            return Err(Error::invalid_argument(format!(
                "Popped a {} tensor from a stack, but the node expects elem_type {}",
                t.dtype(),
                elem_type
            )));
        }
        ctx.set_output(0, t);
        Ok(())
    }))
}

#[cfg(test)]
mod tests {
    use crate::testutil::{node, step_with};
    use ferroflow_framework::{KernelKind, OpKernelContext, ResourceMgr, Tensor};
    use std::sync::Arc;

    #[test]
    fn stacks_live_in_their_step_only() {
        let reg = crate::registry();
        let run = |step: &Arc<ferroflow_framework::StepContext>, n: &crate::testutil::NodeBuilder, inputs: Vec<Tensor>| {
            let k = reg.build(&n.0, inputs.len()).unwrap();
            let KernelKind::Sync(k) = k.kind else { panic!("stack kernels are synchronous") };
            let mut ctx = OpKernelContext::new(step, &n.0.name, &inputs, k_outputs(&n.0.op), &[]);
            k.compute(&mut ctx).and_then(|_| ctx.take_outputs())
        };
        fn k_outputs(op: &str) -> usize {
            if op == "StackCloseV2" { 0 } else { 1 }
        }
        let resources = Arc::new(ResourceMgr::new());
        let step = step_with(resources.clone());
        let make = node("StackV2").attr_type("elem_type", ferroflow_framework::DType::Float);
        let handle = run(&step, &make, vec![Tensor::scalar(-1i32)]).unwrap().remove(0);
        let push = node("StackPushV2").attr_type("T", ferroflow_framework::DType::Float);
        run(&step, &push, vec![handle.clone(), Tensor::scalar(2.5f32)]).unwrap();
        assert!(resources.is_empty(), "stacks are not session resources");
        // Another step (a new step context) does not see the stack.
        let other = step_with(resources);
        let pop = node("StackPopV2").attr_type("elem_type", ferroflow_framework::DType::Float);
        let e = run(&other, &pop, vec![handle.clone()]).unwrap_err();
        assert_eq!(e.code, ferroflow_framework::Code::NotFound);
        let got = run(&step, &pop, vec![handle]).unwrap();
        assert_eq!(got[0].values::<f32>().unwrap()[0], 2.5);
    }
}
