//! Kernels at the edges of a partition: `_Send`/`_Recv` (and their `_Host*` twins) move tensors
//! through the step's rendezvous under TF's key; `_Arg`/`_Retval` read and write the step's call
//! frame when a graph runs as a function.
//!
//! The rendezvous key of each node is built once, at kernel construction. `_Recv` is asynchronous:
//! it returns a future and holds no thread while the tensor is on its way.

use ferroflow_framework::{Cost, 
    AsyncKernelContext, AsyncOpKernel, AsyncOutput, Attrs, Error, FrameIter, Kernel, KernelInit, OpRegistry, OpKernel,
    OpKernelContext, ParsedKey, RendezvousValue, Result,
};
use futures::future::BoxFuture;

/// The rendezvous key of a send/recv node: built once for the root frame, per frame and iteration
/// inside loops (TF's `FRAME_ID:ITER` suffix).
struct TransferKey {
    root: ParsedKey,
    send_device: String,
    incarnation: u64,
    recv_device: String,
    tensor_name: String,
}

impl TransferKey {
    fn from_attrs(attrs: &Attrs<'_>) -> Result<TransferKey> {
        let send_device = attrs.get_string("send_device")?;
        let recv_device = attrs.get_string("recv_device")?;
        let tensor_name = attrs.get_string("tensor_name")?;
        // TF stores the u64 incarnation's bit pattern in an int64 attr.
        let incarnation = attrs.get_int("send_device_incarnation")? as u64;
        let root = ParsedKey::new(&send_device, incarnation, &recv_device, &tensor_name, (0, 0));
        Ok(TransferKey { root, send_device, incarnation, recv_device, tensor_name })
    }

    fn at(&self, frame_iter: FrameIter) -> std::borrow::Cow<'_, ParsedKey> {
        if frame_iter == FrameIter::ROOT {
            return std::borrow::Cow::Borrowed(&self.root);
        }
        let fi = (frame_iter.frame_id, frame_iter.iter);
        std::borrow::Cow::Owned(ParsedKey::new(&self.send_device, self.incarnation, &self.recv_device, &self.tensor_name, fi))
    }
}

struct SendOp {
    key: TransferKey,
}

impl OpKernel for SendOp {
    fn compute(&self, ctx: &mut OpKernelContext<'_>) -> Result<()> {
        let value = if ctx.is_input_dead() { RendezvousValue::dead() } else { RendezvousValue::live(ctx.input(0).clone()) };
        ctx.step.rendezvous.send(&self.key.at(ctx.frame_iter()), value)
    }
}

fn build_send(init: &KernelInit<'_>) -> Result<Kernel> {
    init.expect_inputs(1)?;
    init.attrs.get_type("T")?;
    Ok(Kernel::sync(SendOp { key: TransferKey::from_attrs(&init.attrs)? }, 0).on_dead_input())
}

struct RecvOp {
    key: TransferKey,
    /// Fed by the client through `RunGraph.send`: always in this process's table.
    client_terminated: bool,
}

impl AsyncOpKernel for RecvOp {
    fn compute_async(&self, ctx: AsyncKernelContext) -> BoxFuture<'static, Result<AsyncOutput>> {
        let rendezvous = &ctx.step.rendezvous;
        let key = self.key.at(ctx.frame_iter);
        let recv = if self.client_terminated { rendezvous.recv_local(&key) } else { rendezvous.recv(&key) };
        Box::pin(async move {
            let v = recv.await?;
            Ok(AsyncOutput { outputs: vec![v.tensor], is_dead: v.is_dead })
        })
    }
}

fn build_recv(init: &KernelInit<'_>) -> Result<Kernel> {
    init.expect_inputs(0)?;
    init.attrs.get_type("tensor_type")?;
    let client_terminated = init.attrs.get_bool_or("client_terminated", false)?;
    // A receive runs even when dead (in an untaken branch): its sender sends the deadness.
    Ok(Kernel::asynchronous(RecvOp { key: TransferKey::from_attrs(&init.attrs)?, client_terminated }, 1).on_dead_input())
}

struct ArgOp {
    index: usize,
}

impl OpKernel for ArgOp {
    fn compute(&self, ctx: &mut OpKernelContext<'_>) -> Result<()> {
        let frame = ctx.step.call_frame.as_ref().ok_or_else(|| Error::internal("_Arg outside a function call"))?;
        let arg = frame
            .args
            .get(self.index)
            .ok_or_else(|| Error::invalid_argument(format!("Arg index {} out of range [0, {})", self.index, frame.args.len())))?;
        ctx.set_output(0, arg.clone());
        Ok(())
    }
}

fn build_arg(init: &KernelInit<'_>) -> Result<Kernel> {
    init.expect_inputs(0)?;
    init.attrs.get_type("T")?;
    let index = init.attrs.get_int("index")?;
    let index = usize::try_from(index).map_err(|_| Error::invalid_argument(format!("_Arg index {index} is negative")))?;
    Ok(Kernel::sync(ArgOp { index }, 1))
}

struct RetvalOp {
    index: usize,
}

impl OpKernel for RetvalOp {
    fn compute(&self, ctx: &mut OpKernelContext<'_>) -> Result<()> {
        let frame = ctx.step.call_frame.as_ref().ok_or_else(|| Error::internal("_Retval outside a function call"))?;
        let mut retvals = frame.retvals.lock();
        let n = retvals.len();
        let slot = retvals
            .get_mut(self.index)
            .ok_or_else(|| Error::invalid_argument(format!("Retval index {} out of range [0, {n})", self.index)))?;
        if slot.is_some() {
            return Err(Error::internal(format!("Retval[{}] has already been set.", self.index)));
        }
        *slot = Some(ctx.input(0).clone());
        Ok(())
    }
}

fn build_retval(init: &KernelInit<'_>) -> Result<Kernel> {
    init.expect_inputs(1)?;
    init.attrs.get_type("T")?;
    let index = init.attrs.get_int("index")?;
    let index = usize::try_from(index).map_err(|_| Error::invalid_argument(format!("_Retval index {index} is negative")))?;
    Ok(Kernel::sync(RetvalOp { index }, 0))
}

pub(crate) fn register(reg: &mut OpRegistry) {
    reg.op("_Send")
        .input("tensor: T")
        .attr("T: type")
        .attr("tensor_name: string")
        .attr("send_device: string")
        .attr("send_device_incarnation: int")
        .attr("recv_device: string")
        .attr("client_terminated: bool = false")
        .stateful()
        .cost(Cost::Trivial)
        .kernel(build_send);
    reg.op("_HostSend")
        .input("tensor: T")
        .attr("T: type")
        .attr("tensor_name: string")
        .attr("send_device: string")
        .attr("send_device_incarnation: int")
        .attr("recv_device: string")
        .attr("client_terminated: bool = false")
        .stateful()
        .cost(Cost::Trivial)
        .kernel(build_send);
    reg.op("_Recv")
        .output("tensor: tensor_type")
        .attr("tensor_type: type")
        .attr("tensor_name: string")
        .attr("send_device: string")
        .attr("send_device_incarnation: int")
        .attr("recv_device: string")
        .attr("client_terminated: bool = false")
        .stateful()
        .cost(Cost::Trivial)
        .kernel(build_recv);
    reg.op("_HostRecv")
        .output("tensor: tensor_type")
        .attr("tensor_type: type")
        .attr("tensor_name: string")
        .attr("send_device: string")
        .attr("send_device_incarnation: int")
        .attr("recv_device: string")
        .attr("client_terminated: bool = false")
        .stateful()
        .cost(Cost::Trivial)
        .kernel(build_recv);
    reg.op("_Arg")
        .output("output: T")
        .attr("T: type")
        .attr("index: int >= 0")
        .stateful()
        .cost(Cost::Trivial)
        .kernel(build_arg);
    reg.op("_Retval")
        .input("input: T")
        .attr("T: type")
        .attr("index: int >= 0")
        .stateful()
        .cost(Cost::Trivial)
        .kernel(build_retval);
}

#[cfg(test)]
mod tests {
    use crate::testutil::node;
    use ferroflow_framework::{Attrs, DType};

    #[test]
    fn keys_come_from_attrs_with_the_incarnation_bit_pattern() {
        let n = node("_Send")
            .attr_type("T", DType::Float)
            .attr_str("tensor_name", "edge_4_c")
            .attr_str("send_device", "/job:worker/replica:0/task:0/device:CPU:0")
            .attr_int("send_device_incarnation", -4448404112637491656)
            .attr_str("recv_device", "/job:worker/replica:0/task:1/device:CPU:0");
        let key = super::TransferKey::from_attrs(&Attrs::new(&n.0)).unwrap().root;
        assert_eq!(
            key.as_str(),
            "/job:worker/replica:0/task:0/device:CPU:0;c244180738db0638;/job:worker/replica:0/task:1/device:CPU:0;edge_4_c;0:0"
        );
    }

    #[test]
    fn send_without_recv_device_is_rejected_at_build() {
        let n = node("_Send").attr_type("T", DType::Float).attr_str("tensor_name", "x");
        let e = crate::registry().build(&n.0, 1).err().unwrap();
        assert_eq!(e.code, ferroflow_framework::Code::InvalidArgument);
        assert!(e.message.contains("send_device"), "{}", e.message);
    }
}
