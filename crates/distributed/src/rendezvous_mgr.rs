//! Per-step rendezvous of a worker (TF's `RendezvousMgr` with its remote rendezvous).
//!
//! A step's rendezvous is created by whichever comes first: the `RunGraph` that runs the step here,
//! or a peer's `RecvTensor` asking for one of its tensors. Receives whose producer is on this task
//! are served from the local table; the others become `RecvTensor` calls to the producer's task
//! through the worker cache. `CleanupGraph` removes the step and fails anything still waiting;
//! aborting a step also cancels its outstanding remote receives.
//!
//! Concurrency: the step map is behind a mutex held only for lookup/insert/remove. Each step's
//! rendezvous is shared by `Arc` among the executor, RPC handlers and remote calls.

use crate::interface::WorkerInterface;
use crate::worker_cache::WorkerCache;
use ferroflow_framework::device_name::same_task;
use ferroflow_framework::{Error, ParsedKey, Rendezvous, RendezvousValue, Result};
use ferroflow_proto::RecvTensorRequest;
use ferroflow_runtime::LocalRendezvous;
use futures::future::BoxFuture;
use parking_lot::Mutex;
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use tokio::sync::Notify;

/// The rendezvous of one step on this worker.
pub struct StepRendezvous {
    step_id: i64,
    local_task: String,
    local: LocalRendezvous,
    /// Set when a session runs the step here; remote receives need it.
    worker_cache: OnceLock<Arc<WorkerCache>>,
    abort_signal: Notify,
}

impl StepRendezvous {
    fn new(step_id: i64, local_task: &str) -> StepRendezvous {
        StepRendezvous {
            step_id,
            local_task: local_task.to_string(),
            local: LocalRendezvous::new(),
            worker_cache: OnceLock::new(),
            abort_signal: Notify::new(),
        }
    }

    pub fn step_id(&self) -> i64 {
        self.step_id
    }

    /// Gives the rendezvous the worker cache of the session running the step.
    pub fn initialize(&self, cache: Arc<WorkerCache>) {
        let _ = self.worker_cache.set(cache);
    }

    /// A receive served from this task's table only (what a peer's `RecvTensor` asks for).
    pub fn recv_local(&self, key: &ParsedKey) -> BoxFuture<'static, Result<RendezvousValue>> {
        self.local.recv(key)
    }

    pub fn aborted(&self) -> Option<Error> {
        self.local.aborted()
    }

    fn recv_remote(self: &Arc<Self>, key: &ParsedKey) -> BoxFuture<'static, Result<RendezvousValue>> {
        let this = self.clone();
        let key = key.clone();
        Box::pin(async move {
            let cache = this
                .worker_cache
                .get()
                .cloned()
                .ok_or_else(|| Error::internal(format!("Step {} receives {key} before it was initialized", this.step_id)))?;
            let worker: Arc<dyn WorkerInterface> = cache.worker(&key.src_device)?;
            let request = RecvTensorRequest {
                step_id: this.step_id,
                rendezvous_key: key.as_str().to_string(),
                request_id: rand::random::<i64>() & i64::MAX,
                ..Default::default()
            };
            let abort = this.abort_signal.notified();
            tokio::pin!(abort);
            abort.as_mut().enable();
            if let Some(e) = this.local.aborted() {
                return Err(e);
            }
            tokio::select! {
                reply = worker.recv_tensor(request) => {
                    let reply = reply?;
                    Ok(RendezvousValue { tensor: reply.tensor, is_dead: reply.is_dead })
                }
                _ = &mut abort => Err(this.local.aborted().unwrap_or_else(|| Error::cancelled("Step was aborted"))),
            }
        })
    }
}

/// The step's rendezvous as kernels see it (local or remote by the key's source device).
pub struct StepRendezvousHandle(pub Arc<StepRendezvous>);

impl Rendezvous for StepRendezvousHandle {
    fn send(&self, key: &ParsedKey, value: RendezvousValue) -> Result<()> {
        self.0.local.send(key, value)
    }

    fn recv(&self, key: &ParsedKey) -> BoxFuture<'static, Result<RendezvousValue>> {
        if same_task(&key.src_device, &self.0.local_task) {
            self.0.local.recv(key)
        } else {
            self.0.recv_remote(key)
        }
    }

    fn recv_local(&self, key: &ParsedKey) -> BoxFuture<'static, Result<RendezvousValue>> {
        self.0.local.recv(key)
    }

    fn start_abort(&self, error: Error) {
        self.0.local.start_abort(error);
        self.0.abort_signal.notify_waiters();
    }

    fn abort_status(&self) -> Option<Error> {
        self.0.local.aborted()
    }
}

/// Step id -> rendezvous, for one worker.
pub struct RendezvousMgr {
    local_task: String,
    steps: Mutex<HashMap<i64, Arc<StepRendezvous>>>,
}

impl RendezvousMgr {
    pub fn new(local_task: &str) -> RendezvousMgr {
        RendezvousMgr { local_task: local_task.to_string(), steps: Mutex::new(HashMap::new()) }
    }

    /// The step's rendezvous, created if this is the first mention of the step.
    pub fn find_or_create(&self, step_id: i64) -> Arc<StepRendezvous> {
        self.steps.lock().entry(step_id).or_insert_with(|| Arc::new(StepRendezvous::new(step_id, &self.local_task))).clone()
    }

    /// Drops the step's rendezvous and fails whatever still waits on it.
    pub fn cleanup(&self, step_id: i64) {
        let removed = self.steps.lock().remove(&step_id);
        if let Some(r) = removed {
            StepRendezvousHandle(r).start_abort(Error::cancelled(format!("Step {step_id} was cleaned up")));
        }
    }

    /// Aborts every step (the worker is shutting down or resetting).
    pub fn cleanup_all(&self) {
        let all: Vec<_> = self.steps.lock().drain().map(|(_, r)| r).collect();
        for r in all {
            StepRendezvousHandle(r).start_abort(Error::cancelled("All steps were cleaned up"));
        }
    }

    pub fn num_steps(&self) -> usize {
        self.steps.lock().len()
    }
}
