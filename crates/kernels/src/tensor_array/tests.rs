//! Handle lifetime and gradient aggregation beyond the oracle's program cases.

use super::*;
use crate::testutil::{NodeBuilder, step_with};
use ferroflow_framework::{KernelKind, ResourceMgr, StepContext};

fn run(step: &Arc<StepContext>, node: NodeBuilder, inputs: Vec<Tensor>) -> Result<Vec<Tensor>> {
    let kernel = crate::registry().build(&node.0, inputs.len())?;
    let KernelKind::Sync(k) = kernel.kind else { panic!("TensorArray kernels are synchronous") };
    let mut ctx = OpKernelContext::new(step, &node.0.name, &inputs, kernel.num_outputs, &[]);
    k.compute(&mut ctx)?;
    ctx.take_outputs()
}

fn create(step: &Arc<StepContext>, size: i32) -> (Tensor, Tensor) {
    let n = NodeBuilder::new("ta", "TensorArrayV3").attr_type("dtype", DType::Float);
    let out = run(step, n, vec![Tensor::scalar(size)]).unwrap();
    (out[0].clone(), out[1].clone())
}

fn write(step: &Arc<StepContext>, h: &Tensor, index: i32, v: Vec<f32>) -> Result<Vec<Tensor>> {
    let n = NodeBuilder::new("w", "TensorArrayWriteV3").attr_type("T", DType::Float);
    let len = v.len() as i64;
    run(step, n, vec![h.clone(), Tensor::scalar(index), Tensor::from_vec(vec![len], v).unwrap(), Tensor::scalar(0.0f32)])
}

fn read(step: &Arc<StepContext>, h: &Tensor, index: i32) -> Result<Tensor> {
    let n = NodeBuilder::new("r", "TensorArrayReadV3").attr_type("dtype", DType::Float);
    run(step, n, vec![h.clone(), Tensor::scalar(index), Tensor::scalar(0.0f32)]).map(|mut o| o.remove(0))
}

fn grad(step: &Arc<StepContext>, h: &Tensor, source: &str) -> Tensor {
    let n = NodeBuilder::new("g", "TensorArrayGradV3").attr_str("source", source);
    run(step, n, vec![h.clone(), Tensor::scalar(0.0f32)]).unwrap().remove(0)
}

#[test]
fn arrays_live_in_the_step_container_until_the_step_ends() {
    let step = step_with(Arc::new(ResourceMgr::new()));
    let (h, flow) = create(&step, 2);
    assert_eq!(flow.scalar_value::<f32>().unwrap(), 0.0);
    let handle = &h.resource_handles().unwrap()[0];
    assert_eq!(handle.container, step.step_container_name());
    assert!(handle.name.starts_with("_tensor_arraysta_"));
    assert_eq!((handle.maybe_type_name.as_str(), handle.hash_code), (TYPE_NAME, HASH_CODE));
    assert_eq!(step.step_resources.len(), 1);
    assert!(step.resources.is_empty(), "TensorArrays never outlive their step");

    // Closing empties the array but keeps it, closed, until the step ends.
    write(&step, &h, 0, vec![1.0, 2.0]).unwrap();
    run(&step, NodeBuilder::new("close", "TensorArrayCloseV3"), vec![h.clone()]).unwrap();
    assert_eq!(step.step_resources.len(), 1);
    let e = write(&step, &h, 1, vec![1.0]).unwrap_err();
    assert!(e.message.ends_with(" has already been closed."), "{e}");

    // Another step does not see this step's arrays.
    let other = step_with(step.resources.clone());
    assert_eq!(read(&other, &h, 0).unwrap_err().code, ferroflow_framework::Code::NotFound);
}

#[test]
fn gradient_writes_add_and_the_gradient_array_is_shared_by_source() {
    let step = step_with(Arc::new(ResourceMgr::new()));
    let (h, _) = create(&step, 2);
    write(&step, &h, 0, vec![1.0, 2.0]).unwrap();
    let g = grad(&step, &h, "gradients");
    assert!(g.resource_handles().unwrap()[0].name.ends_with("@gradients"));
    write(&step, &g, 0, vec![1.0, 2.0]).unwrap();
    write(&step, &g, 0, vec![10.0, 20.0]).unwrap();
    // The same source finds the same array; writes keep adding to the local sum.
    let same = grad(&step, &h, "gradients");
    assert_eq!(same.resource_handles().unwrap(), g.resource_handles().unwrap());
    write(&step, &same, 0, vec![100.0, 200.0]).unwrap();
    assert_eq!(read(&step, &g, 0).unwrap().to_vec::<f32>().unwrap(), vec![111.0, 222.0]);
    // Gradient arrays clear after a read.
    assert!(read(&step, &g, 0).unwrap_err().message.contains("twice because it was cleared"));
    // Another source gets a fresh array.
    let other = grad(&step, &h, "gradients_1");
    write(&step, &other, 0, vec![5.0, 6.0]).unwrap();
    assert_eq!(read(&step, &other, 0).unwrap().to_vec::<f32>().unwrap(), vec![5.0, 6.0]);
    assert_eq!(step.step_resources.len(), 3);
    // The forward array stops growing once it has gradients.
    let fwd = step.step_resources.lookup::<TensorArray>(&step.step_container_name(), &h.resource_handles().unwrap()[0].name).unwrap();
    assert!(!fwd.state.lock().dynamic_size);
}

#[test]
fn aggregating_writes_never_change_the_written_tensor() {
    let step = step_with(Arc::new(ResourceMgr::new()));
    let (h, _) = create(&step, 1);
    let g = grad(&step, &h, "gradients");
    let first = Tensor::from_vec(vec![2], vec![1.0f32, 2.0]).unwrap();
    let n = NodeBuilder::new("w", "TensorArrayWriteV3").attr_type("T", DType::Float);
    run(&step, n, vec![g.clone(), Tensor::scalar(0), first.clone(), Tensor::scalar(0.0f32)]).unwrap();
    write(&step, &g, 0, vec![1.0, 1.0]).unwrap();
    assert_eq!(first.to_vec::<f32>().unwrap(), vec![1.0, 2.0]);
    assert_eq!(read(&step, &g, 0).unwrap().to_vec::<f32>().unwrap(), vec![2.0, 3.0]);
}

#[test]
fn huge_requested_sizes_fail_with_oom_not_an_abort() {
    let step = step_with(Arc::new(ResourceMgr::new()));
    let n = NodeBuilder::new("ta", "TensorArrayV3").attr_type("dtype", DType::Float).attr_bool("dynamic_size", true);
    let h = run(&step, n, vec![Tensor::scalar(0)]).unwrap().remove(0);
    let e = write(&step, &h, i32::MAX, vec![1.0]);
    // Either the budget refuses the entries, or (on a machine that has the memory) it succeeds.
    if let Err(e) = e {
        assert_eq!(e.code, ferroflow_framework::Code::ResourceExhausted, "{e}");
    }
}
