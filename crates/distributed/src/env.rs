//! The worker's environment (TF's `WorkerEnv`): everything a worker needs, built once at start-up
//! and passed explicitly — no globals. Immutable after construction; shared by `Arc`.

use crate::cluster::{ClusterSpec, task_name};
use crate::rendezvous_mgr::RendezvousMgr;
use crate::session_mgr::SessionMgr;
use crate::worker_cache::{WorkerCache, WorkerClientFactory};
use ferroflow_framework::{OpRegistry, ResourceMgr, Result};
use ferroflow_runtime::{ComputePool, DeviceMgr, ExecutorEnv, LocalDevice};
use std::sync::Arc;

pub struct WorkerEnv {
    /// This task's name, `/job:J/replica:0/task:T`.
    pub task_name: String,
    pub device_mgr: Arc<DeviceMgr>,
    pub registry: Arc<OpRegistry>,
    pub executor_env: ExecutorEnv,
    pub rendezvous_mgr: RendezvousMgr,
    pub session_mgr: SessionMgr,
    pub worker_cache: Arc<WorkerCache>,
}

/// What a worker environment is built from.
pub struct WorkerEnvOptions {
    pub cluster: ClusterSpec,
    pub job: String,
    pub task: i32,
    pub client_factory: Arc<dyn WorkerClientFactory>,
    /// Threads for kernels (0: one per core).
    pub compute_threads: usize,
    /// The I/O runtime remote receives run on.
    pub io: tokio::runtime::Handle,
}

impl WorkerEnv {
    pub fn new(opts: WorkerEnvOptions) -> Result<Arc<WorkerEnv>> {
        let task = task_name(&opts.job, opts.task);
        let device_mgr = Arc::new(DeviceMgr::new(vec![LocalDevice::cpu(&task, 0)?]));
        let worker_cache = Arc::new(WorkerCache::new(opts.cluster, opts.client_factory, &task));
        let session_mgr = SessionMgr::new(&task, worker_cache.clone(), device_mgr.clone(), Arc::new(ResourceMgr::new()));
        Ok(Arc::new(WorkerEnv {
            rendezvous_mgr: RendezvousMgr::new(&task),
            task_name: task,
            device_mgr,
            registry: ferroflow_kernels::registry(),
            executor_env: ExecutorEnv { compute: ComputePool::new(opts.compute_threads), io: opts.io },
            session_mgr,
            worker_cache,
        }))
    }
}
