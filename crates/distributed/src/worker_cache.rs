//! The worker cache (TF's `WorkerCacheInterface`): maps task names to worker clients, one per
//! target, created on first use and reused (TF's free list), with this task served in-process; and
//! caches each device's locality, fetched with `GetStatus` from its task and refreshed on a miss.
//!
//! Concurrency: shared by all sessions of a server; its maps are behind mutexes held only for
//! lookups and inserts, never across an RPC.

use crate::cluster::ClusterSpec;
use crate::interface::WorkerInterface;
use ferroflow_framework::device_name::DeviceName;
use ferroflow_framework::{Error, Result};
use ferroflow_proto::{DeviceLocality, GetStatusRequest};
use parking_lot::Mutex;
use std::collections::HashMap;
use std::sync::{Arc, Weak};

/// Creates clients for remote tasks (the gRPC layer implements it).
pub trait WorkerClientFactory: Send + Sync {
    /// A client for the task `task` (`/job:J/replica:R/task:T`, for its errors to name) at
    /// `address` (`host:port`); connecting may be lazy.
    fn connect(&self, task: &str, address: &str) -> Result<Arc<dyn WorkerInterface>>;
}

/// Task name -> worker client, plus device localities.
pub struct WorkerCache {
    cluster: ClusterSpec,
    factory: Arc<dyn WorkerClientFactory>,
    local_task: String,
    local_worker: Mutex<Option<Weak<dyn WorkerInterface>>>,
    clients: Mutex<HashMap<String, Arc<dyn WorkerInterface>>>,
    localities: Mutex<HashMap<String, DeviceLocality>>,
}

impl WorkerCache {
    pub fn new(cluster: ClusterSpec, factory: Arc<dyn WorkerClientFactory>, local_task: &str) -> WorkerCache {
        WorkerCache {
            cluster,
            factory,
            local_task: local_task.to_string(),
            local_worker: Mutex::new(None),
            clients: Mutex::new(HashMap::new()),
            localities: Mutex::new(HashMap::new()),
        }
    }

    /// A cache for another cluster definition (a client's propagated `ClusterSpec`), in which
    /// this task is `local_task`: same client factory, and calls to this task still served
    /// in-process; its own clients and localities.
    pub fn for_cluster(&self, cluster: ClusterSpec, local_task: &str) -> WorkerCache {
        let cache = WorkerCache::new(cluster, self.factory.clone(), local_task);
        *cache.local_worker.lock() = self.local_worker.lock().clone();
        cache
    }

    pub fn local_task(&self) -> &str {
        &self.local_task
    }

    /// Serves calls to this task in-process (held weakly: the worker owns the cache).
    pub fn set_local_worker(&self, worker: Weak<dyn WorkerInterface>) {
        *self.local_worker.lock() = Some(worker);
    }

    pub fn cluster(&self) -> &ClusterSpec {
        &self.cluster
    }

    /// Every task of the cluster.
    pub fn list_workers(&self) -> Vec<String> {
        self.cluster.task_names()
    }

    /// The client for a task given by task or device name; UNAVAILABLE if the cluster lacks it.
    pub fn worker(&self, name: &str) -> Result<Arc<dyn WorkerInterface>> {
        let parsed = DeviceName::parse(name)?;
        let task = parsed
            .task_name()
            .ok_or_else(|| Error::invalid_argument(format!("'{name}' does not name a task")))?;
        if task == self.local_task
            && let Some(local) = self.local_worker.lock().as_ref().and_then(Weak::upgrade)
        {
            return Ok(local);
        }
        if let Some(client) = self.clients.lock().get(&task) {
            return Ok(client.clone());
        }
        let address = self
            .cluster
            .address_of_task(&task)
            .ok_or_else(|| Error::unavailable(format!("No worker known as {task} in the cluster definition")))?;
        let client = self.factory.connect(&task, address)?;
        Ok(self.clients.lock().entry(task).or_insert(client).clone())
    }

    /// The locality of a device, from the cache or (on a miss) from its task's `GetStatus`.
    pub async fn device_locality(&self, device: &str) -> Result<DeviceLocality> {
        if let Some(l) = self.localities.lock().get(device) {
            return Ok(l.clone());
        }
        let status = self.worker(device)?.get_status(GetStatusRequest {}).await?;
        let mut cache = self.localities.lock();
        for d in status.device_attributes {
            cache.insert(d.name, d.locality.unwrap_or_default());
        }
        cache.get(device).cloned().ok_or_else(|| Error::invalid_argument(format!("Unknown device {device}")))
    }

    /// The cached locality, without any RPC.
    pub fn cached_device_locality(&self, device: &str) -> Option<DeviceLocality> {
        self.localities.lock().get(device).cloned()
    }
}
