//! Worker sessions (TF's `SessionMgr` and `WorkerSession`): what a master creates on a worker for
//! each client session — its graphs, its resources (the worker's shared ones unless the session asks
//! for isolation), its devices and the worker cache it uses to reach peers. A session whose
//! `ServerDef` carries a cluster (a client's propagated `ClusterSpec`) gets a worker cache of that
//! cluster and this task's devices renamed to the task the cluster makes of it (TF's
//! `RenamedDevice`: same devices, same incarnations). Requests made without
//! `create_worker_session_called` use the legacy session, as TF's older masters expect.
//!
//! Concurrency: the session map is behind a mutex held only for insert/lookup/remove; sessions are
//! shared by `Arc` with the requests using them, so deleting one never pulls it from under a step.

use crate::cluster::{ClusterSpec, task_name};
use crate::graph_mgr::GraphMgr;
use crate::worker_cache::WorkerCache;
use ferroflow_framework::{Error, ResourceMgr, Result};
use ferroflow_runtime::DeviceMgr;
use parking_lot::Mutex;
use std::collections::HashMap;
use std::sync::Arc;

/// One master session's state on this worker.
pub struct WorkerSession {
    pub handle: String,
    pub graph_mgr: GraphMgr,
    pub resources: Arc<ResourceMgr>,
    pub worker_cache: Arc<WorkerCache>,
    /// This task's devices as the session names them.
    pub device_mgr: Arc<DeviceMgr>,
    pub master_task: String,
    pub master_incarnation: i64,
}

/// Session handle -> worker session.
pub struct SessionMgr {
    local_task: String,
    worker_cache: Arc<WorkerCache>,
    device_mgr: Arc<DeviceMgr>,
    shared_resources: Arc<ResourceMgr>,
    legacy: Arc<WorkerSession>,
    sessions: Mutex<HashMap<String, Arc<WorkerSession>>>,
}

/// How a session is created.
#[derive(Debug, Clone, Default)]
pub struct SessionOptions {
    pub isolate_session_state: bool,
    /// The cluster of the session (`ServerDef.cluster`) and this task's name in it (its
    /// `job_name` and `task_index`); `None`: the task's own cluster.
    pub cluster: Option<(ClusterSpec, String)>,
    pub master_task: String,
    pub master_incarnation: i64,
}

impl SessionOptions {
    /// The options a `CreateWorkerSession` request asks for.
    pub fn from_request(req: &ferroflow_proto::CreateWorkerSessionRequest) -> Result<SessionOptions> {
        let cluster = match &req.server_def {
            Some(def) if def.cluster.as_ref().is_some_and(|c| !c.job.is_empty()) => {
                let spec = ClusterSpec::from_proto(def.cluster.as_ref().expect("checked"));
                let task = task_name(&def.job_name, def.task_index);
                if spec.address(&def.job_name, def.task_index).is_none() {
                    return Err(Error::invalid_argument(format!(
                        "CreateWorkerSession: the session's cluster has no task {task} for this worker"
                    )));
                }
                Some((spec, task))
            }
            _ => None,
        };
        Ok(SessionOptions {
            isolate_session_state: req.isolate_session_state,
            cluster,
            master_task: req.master_task.clone(),
            master_incarnation: req.master_incarnation,
        })
    }
}

impl SessionMgr {
    pub fn new(local_task: &str, worker_cache: Arc<WorkerCache>, device_mgr: Arc<DeviceMgr>, shared_resources: Arc<ResourceMgr>) -> SessionMgr {
        let legacy = Arc::new(WorkerSession {
            handle: String::new(),
            graph_mgr: GraphMgr::new(),
            resources: shared_resources.clone(),
            worker_cache: worker_cache.clone(),
            device_mgr: device_mgr.clone(),
            master_task: String::new(),
            master_incarnation: 0,
        });
        SessionMgr {
            local_task: local_task.to_string(),
            worker_cache,
            device_mgr,
            shared_resources,
            legacy,
            sessions: Mutex::new(HashMap::new()),
        }
    }

    pub fn shared_resources(&self) -> &Arc<ResourceMgr> {
        &self.shared_resources
    }

    /// Creates a session. A master that restarted (same task, new incarnation) leaves sessions
    /// behind; they are dropped here, as TF does.
    pub fn create(&self, handle: &str, opts: SessionOptions) -> Result<()> {
        if handle.is_empty() {
            return Err(Error::invalid_argument("CreateWorkerSession needs a session handle"));
        }
        let resources = if opts.isolate_session_state { Arc::new(ResourceMgr::new()) } else { self.shared_resources.clone() };
        let (worker_cache, device_mgr) = match &opts.cluster {
            Some((cluster, task)) => {
                (Arc::new(self.worker_cache.for_cluster(cluster.clone(), task)), Arc::new(self.device_mgr.renamed(task)?))
            }
            None => (self.worker_cache.clone(), self.device_mgr.clone()),
        };
        let session = Arc::new(WorkerSession {
            handle: handle.to_string(),
            graph_mgr: GraphMgr::new(),
            resources,
            worker_cache,
            device_mgr,
            master_task: opts.master_task.clone(),
            master_incarnation: opts.master_incarnation,
        });
        let mut sessions = self.sessions.lock();
        if !opts.master_task.is_empty() {
            sessions.retain(|_, s| s.master_task != opts.master_task || s.master_incarnation == opts.master_incarnation);
        }
        if sessions.contains_key(handle) {
            return Err(Error::already_exists(format!("Worker session {handle} already exists")));
        }
        sessions.insert(handle.to_string(), session);
        Ok(())
    }

    /// The session for a request: the named one when the master created it, else the legacy one.
    pub fn get(&self, handle: &str, create_worker_session_called: bool) -> Result<Arc<WorkerSession>> {
        if !create_worker_session_called {
            return Ok(self.legacy.clone());
        }
        self.sessions.lock().get(handle).cloned().ok_or_else(|| {
            Error::aborted(format!(
                "Session handle is not found: {handle}. Possibly this worker (\"{}\") just restarted.",
                self.local_task
            ))
        })
    }

    /// Deletes a session; deleting an unknown one is not an error (TF answers OK).
    pub fn delete(&self, handle: &str) {
        self.sessions.lock().remove(handle);
    }

    pub fn len(&self) -> usize {
        self.sessions.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
