//! The function runtime of one registered graph (TF's `FunctionLibraryRuntime` for one device): runs
//! the functions of the graph's library for kernels that call them — dataset map and filter
//! functions above all. A function is instantiated once per (name, attrs): its body is made into
//! graph nodes (`ferroflow_framework::function`), placed on this device, its functional ops lowered,
//! and built into a `Graph`; each call runs that graph with a fresh call frame and rendezvous and
//! the caller's resources, on the same compute pool as every step.
//!
//! Concurrency: the instantiation cache is behind a mutex held only to look up or insert; built
//! graphs are immutable and shared by `Arc` among concurrent calls.

use crate::device::DeviceMgr;
use crate::executor::{Executor, ExecutorEnv, RunOptions};
use crate::graph::Graph;
use crate::rendezvous::LocalRendezvous;
use ferroflow_framework::function::FunctionLibrary;
use ferroflow_framework::{CallFrame, Error, FunctionRuntime, OpRegistry, ResourceMgr, Result, StepContext, Tensor};
use ferroflow_proto::{FunctionDefLibrary, GraphDef, NameAttrList};
use futures::FutureExt;
use futures::future::BoxFuture;
use parking_lot::Mutex;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

/// A function instantiated and built for this device.
struct Instantiated {
    graph: Arc<Graph>,
    num_results: usize,
}

/// Runs the functions of one library on one device.
pub struct LibraryRuntime {
    library: FunctionLibrary,
    /// The library as TF sent it, for nested lowering.
    library_proto: Option<FunctionDefLibrary>,
    registry: Arc<OpRegistry>,
    devices: Arc<DeviceMgr>,
    device_name: String,
    device_incarnation: u64,
    env: ExecutorEnv,
    cache: Mutex<HashMap<String, Arc<Instantiated>>>,
    next_call: AtomicI64,
}

/// The cache key of a function with its attrs (attrs in name order).
fn key(f: &NameAttrList) -> String {
    let mut attrs: Vec<(&String, String)> = f.attr.iter().map(|(k, v)| (k, format!("{v:?}"))).collect();
    attrs.sort();
    format!("{}{attrs:?}", f.name)
}

impl LibraryRuntime {
    /// The runtime of `library` on `device_name` (a device of `devices`); `None` for a graph
    /// without functions.
    pub fn new(
        library: Option<&FunctionDefLibrary>,
        registry: Arc<OpRegistry>,
        devices: Arc<DeviceMgr>,
        device_name: &str,
        env: ExecutorEnv,
    ) -> Result<Option<Arc<LibraryRuntime>>> {
        let Some(proto) = library.filter(|l| !l.function.is_empty()) else { return Ok(None) };
        let device = devices.lookup(device_name)?;
        Ok(Some(Arc::new(LibraryRuntime {
            library: FunctionLibrary::new(Some(proto)),
            library_proto: Some(proto.clone()),
            registry,
            device_name: device.name().to_string(),
            device_incarnation: device.incarnation(),
            devices,
            env,
            cache: Mutex::new(HashMap::new()),
            next_call: AtomicI64::new(1),
        })))
    }

    fn instantiate(&self, f: &NameAttrList) -> Result<Arc<Instantiated>> {
        let key = key(f);
        if let Some(i) = self.cache.lock().get(&key) {
            return Ok(i.clone());
        }
        let attrs = f.attr.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        let body = self.library.instantiate(&f.name, &attrs, &self.registry)?;
        let num_results = body.ret_nodes.len();
        let mut def = GraphDef { node: body.nodes, library: self.library_proto.clone(), ..Default::default() };
        for n in def.node.iter_mut() {
            n.device = self.device_name.clone();
        }
        crate::lower::lower_functional_ops(&mut def, &self.registry)?;
        for n in def.node.iter_mut() {
            n.device = self.device_name.clone();
        }
        let graph = Graph::build(&def, &self.registry, &self.devices).map_err(|e| e.context(format!("In function {}: ", f.name)))?;
        let built = Arc::new(Instantiated { graph: Arc::new(graph), num_results });
        self.cache.lock().insert(key, built.clone());
        Ok(built)
    }
}

impl FunctionRuntime for LibraryRuntime {
    fn prepare(&self, f: &NameAttrList) -> Result<()> {
        self.instantiate(f).map(|_| ())
    }

    fn call(&self, f: &NameAttrList, args: Vec<Tensor>, resources: Arc<ResourceMgr>) -> BoxFuture<'static, Result<Vec<Tensor>>> {
        let instantiated = match self.instantiate(f) {
            Ok(i) => i,
            Err(e) => return futures::future::ready(Err(e)).boxed(),
        };
        let frame = Arc::new(CallFrame::new(args, instantiated.num_results));
        let call_id = self.next_call.fetch_add(1, Ordering::Relaxed);
        let step = StepContext::new(call_id, &self.device_name, self.device_incarnation, Arc::new(LocalRendezvous::new()), resources)
            .with_call_frame(frame.clone());
        let executor = Executor::new(instantiated.graph.clone(), self.env.clone());
        let name = f.name.clone();
        async move {
            executor.run(Arc::new(step), RunOptions::default()).await?;
            let results = std::mem::take(&mut *frame.retvals.lock());
            results
                .into_iter()
                .enumerate()
                .map(|(i, r)| r.ok_or_else(|| Error::invalid_argument(format!("Function {name} did not return value {i} (it was dead)"))))
                .collect()
        }
        .boxed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ComputePool;
    use crate::device::LocalDevice;
    use ferroflow_framework::DType;
    use ferroflow_proto::attr_value::Value;
    use ferroflow_proto::op_def::ArgDef;
    use ferroflow_proto::{AttrValue, FunctionDef, NodeDef, OpDef};

    const TASK: &str = "/job:w/replica:0/task:0";

    /// square_plus(x: float) -> x * x + x
    fn library() -> FunctionDefLibrary {
        let t = AttrValue { value: Some(Value::Type(DType::Float.to_proto())) };
        let node = |name: &str, op: &str, inputs: &[&str]| NodeDef {
            name: name.into(),
            op: op.into(),
            input: inputs.iter().map(|s| s.to_string()).collect(),
            attr: [("T".to_string(), t.clone())].into_iter().collect(),
            ..Default::default()
        };
        let arg = |name: &str| ArgDef { name: name.into(), r#type: DType::Float.to_proto(), ..Default::default() };
        FunctionDefLibrary {
            function: vec![FunctionDef {
                signature: Some(OpDef { name: "square_plus".into(), input_arg: vec![arg("x")], output_arg: vec![arg("y")], ..Default::default() }),
                node_def: vec![node("sq", "Mul", &["x", "x"]), node("sum", "AddV2", &["sq:z:0", "x"])],
                ret: [("y".to_string(), "sum:z:0".to_string())].into_iter().collect(),
                ..Default::default()
            }],
            ..Default::default()
        }
    }

    #[test]
    fn functions_run_with_their_arguments_and_are_built_once() {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
        let env = ExecutorEnv { compute: ComputePool::new(1), io: runtime.handle().clone() };
        let devices = Arc::new(DeviceMgr::new(vec![LocalDevice::cpu(TASK, 0).unwrap()]));
        let lib = library();
        let rt = LibraryRuntime::new(Some(&lib), ferroflow_kernels::registry(), devices, &format!("{TASK}/device:CPU:0"), env).unwrap().unwrap();
        let f = NameAttrList { name: "square_plus".into(), attr: Default::default() };
        rt.prepare(&f).unwrap();
        for x in [2.0f32, -3.0] {
            let out = runtime.block_on(rt.call(&f, vec![Tensor::scalar(x)], Arc::new(ResourceMgr::new()))).unwrap();
            assert_eq!(out[0].scalar_value::<f32>().unwrap(), x * x + x);
        }
        assert_eq!(rt.cache.lock().len(), 1);
        let missing = NameAttrList { name: "nope".into(), attr: Default::default() };
        assert_eq!(rt.prepare(&missing).unwrap_err().code, ferroflow_framework::Code::NotFound);
        let e = runtime.block_on(rt.call(&f, vec![], Arc::new(ResourceMgr::new()))).unwrap_err();
        assert!(e.message.contains("Arg index 0 out of range"), "{}", e.message);
    }
}
