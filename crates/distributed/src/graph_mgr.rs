//! The graphs registered in one worker session (TF's `GraphMgr`): `RegisterGraph` validates a
//! partition and builds its executor once; each `RunGraph` then only runs it. Handles are 16-digit
//! hex counters per session, as TF's (`0000000000000001`).
//!
//! Concurrency: the handle map is behind a mutex held only for insert/lookup/remove; registered
//! graphs are immutable and shared by `Arc` with the steps running them.

use ferroflow_framework::{Error, FunctionRuntime, OpRegistry, Result};
use ferroflow_runtime::function::LibraryRuntime;
use ferroflow_proto::GraphDef;
use ferroflow_runtime::{DeviceMgr, Executor, ExecutorEnv, Graph};
use parking_lot::Mutex;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// A partition ready to run.
pub struct RegisteredGraph {
    pub handle: String,
    pub executor: Executor,
    pub device_name: String,
    pub device_incarnation: u64,
    /// The functions of the partition's library, for kernels that call them.
    pub functions: Option<Arc<dyn FunctionRuntime>>,
}

/// Graph handle -> registered graph.
pub struct GraphMgr {
    next_id: AtomicU64,
    graphs: Mutex<HashMap<String, Arc<RegisteredGraph>>>,
}

impl Default for GraphMgr {
    fn default() -> Self {
        GraphMgr::new()
    }
}

impl GraphMgr {
    pub fn new() -> GraphMgr {
        GraphMgr { next_id: AtomicU64::new(0), graphs: Mutex::new(HashMap::new()) }
    }

    /// Validates and builds a partition; returns its handle.
    pub fn register(&self, def: &GraphDef, registry: &Arc<OpRegistry>, devices: &Arc<DeviceMgr>, env: ExecutorEnv) -> Result<String> {
        // A partition may still hold functional ops (from a master that does not lower them):
        // lowered here, as the master would have.
        let lowered;
        let def = if ferroflow_runtime::lower::has_functional_ops(def) {
            let mut g = def.clone();
            ferroflow_runtime::lower::lower_functional_ops(&mut g, registry)?;
            lowered = g;
            &lowered
        } else {
            def
        };
        let graph = Graph::build(def, registry, devices)?;
        let device = devices.lookup(&graph.device_name)?;
        let functions = LibraryRuntime::new(def.library.as_ref(), registry.clone(), devices.clone(), device.name(), env.clone())?
            .map(|f| f as Arc<dyn FunctionRuntime>);
        let handle = format!("{:016x}", self.next_id.fetch_add(1, Ordering::Relaxed) + 1);
        let registered = RegisteredGraph {
            handle: handle.clone(),
            executor: Executor::new(Arc::new(graph), env),
            device_name: device.name().to_string(),
            device_incarnation: device.incarnation(),
            functions,
        };
        self.graphs.lock().insert(handle.clone(), Arc::new(registered));
        Ok(handle)
    }

    /// ABORTED (`Graph handle is not found: X`) for an unknown handle, as TF.
    pub fn lookup(&self, handle: &str) -> Result<Arc<RegisteredGraph>> {
        self.graphs.lock().get(handle).cloned().ok_or_else(|| Error::aborted(format!("Graph handle is not found: {handle}")))
    }

    pub fn deregister(&self, handle: &str) -> Result<()> {
        match self.graphs.lock().remove(handle) {
            Some(_) => Ok(()),
            None => Err(Error::aborted(format!("Graph handle is not found: {handle}. Possibly, this worker just restarted."))),
        }
    }

    pub fn len(&self) -> usize {
        self.graphs.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
