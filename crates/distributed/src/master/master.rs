//! The master (TF's `Master`): sessions by handle, device discovery through the worker cache, and
//! the MasterService calls. A client's `ConfigProto.cluster_def` makes the session's cluster (TF's
//! ClusterSpec propagation): a worker cache of its own, this task found in it by the session's
//! target address, devices discovered and worker sessions created there with that cluster in
//! their `ServerDef`, session state isolated. Sessions run on the task's own worker environment, so partitions for
//! this task are served in-process (the worker cache hands back the local worker, no gRPC).
//!
//! Concurrency: the session map is behind a mutex held only for insert/lookup/remove; sessions are
//! shared by `Arc` with the requests using them.

use crate::cluster::{ClusterSpec, task_name};
use crate::env::WorkerEnv;
use crate::master::interface::MasterInterface;
use crate::master::plan::Signature;
use crate::master::session::{MasterSession, SessionParts, StepOptions, StepOutput};
use crate::worker_cache::WorkerCache;
use async_trait::async_trait;
use ferroflow_framework::device_name::DeviceName;
use ferroflow_framework::{Error, Result};
use ferroflow_proto as pb;
use parking_lot::Mutex;
use std::collections::HashMap;
use std::sync::Arc;

pub struct Master {
    env: Arc<WorkerEnv>,
    sessions: Mutex<HashMap<String, Arc<MasterSession>>>,
}

impl Master {
    pub fn new(env: Arc<WorkerEnv>) -> Arc<Master> {
        Arc::new(Master { env, sessions: Mutex::new(HashMap::new()) })
    }

    fn session(&self, handle: &str) -> Result<Arc<MasterSession>> {
        self.sessions.lock().get(handle).cloned().ok_or_else(|| {
            Error::aborted(format!("Session {handle} is not found. Possibly, this master has restarted."))
        })
    }

    /// Every task's devices, asked of each task of `cache` at once and named as that cache names
    /// the task (TF's `NewRemoteDevices` renames them so: a task may serve a propagated cluster
    /// under another name); UNAVAILABLE names a task that did not answer.
    async fn discover_devices(&self, cache: &WorkerCache) -> Result<Vec<(String, Vec<pb::DeviceAttributes>)>> {
        let tasks = cache.list_workers();
        let calls = tasks.into_iter().map(|task| async move {
            let worker = cache.worker(&task)?;
            let status = worker
                .get_status(pb::GetStatusRequest {})
                .await
                .map_err(|e| Error::unavailable(format!("Task {task} is unreachable while creating a session: {}", e.message)))?;
            let devices = status.device_attributes.into_iter().map(|d| rename_device(d, &task)).collect::<Result<Vec<_>>>()?;
            Ok::<_, Error>((task, devices))
        });
        futures::future::try_join_all(calls).await
    }

    /// The worker cache of a session: the task's own, or one of the client's `cluster_def`, in
    /// which this task is the one whose address is the session's target (TF's rules and errors);
    /// with the name of this task in it (`None`: a cluster that does not name this task).
    fn session_cache(&self, req: &pb::CreateSessionRequest) -> Result<(Arc<WorkerCache>, Option<String>)> {
        let Some(cluster_def) = req.config.as_ref().and_then(|c| c.cluster_def.as_ref()).filter(|c| !c.job.is_empty()) else {
            return Ok((self.env.worker_cache.clone(), Some(self.env.task_name.clone())));
        };
        let target = req.target.strip_prefix("grpc://").unwrap_or(&req.target);
        let booted = DeviceName::parse(&self.env.task_name)?;
        let mut this_task: Option<String> = None;
        for job in &cluster_def.job {
            for (index, address) in &job.tasks {
                if address != target {
                    continue;
                }
                if this_task.is_some() {
                    return Err(Error::invalid_argument(format!(
                        "Found multiple matching tasks that correspond to to the master. Master target: '{}'. ClusterDef: {}",
                        req.target,
                        short_cluster_string(cluster_def)
                    )));
                }
                if booted.job.as_deref() == Some(job.name.as_str()) && booted.task == Some(*index) {
                    return Err(Error::invalid_argument(format!(
                        "The ClusterSpec names the job and task index to be the same names that were provided when the server booted. This is currently not allowed. Job: {}, task index: {index}",
                        job.name
                    )));
                }
                this_task = Some(task_name(&job.name, *index));
            }
        }
        let local = this_task.clone().unwrap_or_default();
        Ok((Arc::new(self.env.worker_cache.for_cluster(ClusterSpec::from_proto(cluster_def), &local)), this_task))
    }

    fn client_device(&self) -> Result<(String, u64)> {
        let d = self.env.device_mgr.devices().first().ok_or_else(|| Error::internal("master task has no device"))?;
        Ok((d.name().to_string(), d.incarnation()))
    }

    fn remove_session(&self, handle: &str) -> Option<Arc<MasterSession>> {
        self.sessions.lock().remove(handle)
    }
}

/// A device reported by `task` under the name of `task` (same type and index).
fn rename_device(mut d: pb::DeviceAttributes, task: &str) -> Result<pb::DeviceAttributes> {
    let parsed = DeviceName::parse(&d.name)?;
    if let (Some(t), Some(id)) = (parsed.device_type, parsed.id) {
        d.name = format!("{task}/device:{t}:{id}");
    }
    Ok(d)
}

/// A `ClusterDef` as TF's `ShortDebugString` writes it.
fn short_cluster_string(def: &pb::ClusterDef) -> String {
    def.job
        .iter()
        .map(|j| {
            let mut tasks: Vec<_> = j.tasks.iter().collect();
            tasks.sort();
            let tasks: Vec<String> = tasks.iter().map(|(k, v)| format!("tasks {{ key: {k} value: \"{v}\" }}")).collect();
            format!("job {{ name: \"{}\" {} }}", j.name, tasks.join(" "))
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn step_response(result: Result<StepOutput>, fetches: &[String], in_body: bool) -> Result<pb::RunStepResponse> {
    match result {
        Ok(output) => Ok(pb::RunStepResponse {
            tensor: fetches.iter().zip(output.fetches).map(|(name, t)| pb::NamedTensorProto { name: name.clone(), tensor: Some(t) }).collect(),
            metadata: Some(output.metadata),
            ..Default::default()
        }),
        Err(e) if in_body => Ok(pb::RunStepResponse {
            metadata: Some(pb::RunMetadata::default()),
            status_code: e.code as i32,
            status_error_message: e.message,
            ..Default::default()
        }),
        Err(e) => Err(e),
    }
}

#[async_trait]
impl MasterInterface for Master {
    async fn create_session(&self, req: pb::CreateSessionRequest) -> Result<pb::CreateSessionResponse> {
        let (cache, this_task) = self.session_cache(&req)?;
        let propagated = !Arc::ptr_eq(&cache, &self.env.worker_cache);
        let discovered = self.discover_devices(&cache).await?;
        let (own_device, client_incarnation) = self.client_device()?;
        // The client's device: this task's CPU:0 as the session's cluster names it.
        let client_device = match &this_task {
            Some(task) if propagated => discovered
                .iter()
                .filter(|(t, _)| t == task)
                .flat_map(|(_, d)| d.iter())
                .find(|d| d.device_type == "CPU" && d.name.ends_with("/device:CPU:0"))
                .map(|d| d.name.clone())
                .unwrap_or_else(|| format!("{task}/device:CPU:0")),
            Some(_) => own_device,
            None => discovered.first().map(|(t, _)| format!("{t}/device:CPU:0")).unwrap_or(own_device),
        };
        let config = req.config.clone().unwrap_or_default();
        let handle = format!("{:016x}", rand::random::<u64>());
        let tasks: Vec<String> = discovered.iter().map(|(t, _)| t.clone()).collect();
        let cluster_def = propagated.then(|| cache.cluster().to_proto());
        let creations = tasks.iter().map(|task| {
            let handle = handle.clone();
            let parsed = DeviceName::parse(task);
            let cache = &cache;
            let cluster_def = cluster_def.clone();
            async move {
                let parsed = parsed?;
                let worker = cache.worker(task)?;
                worker
                    .create_worker_session(pb::CreateWorkerSessionRequest {
                        session_handle: handle,
                        server_def: Some(pb::ServerDef {
                            cluster: cluster_def.clone(),
                            job_name: parsed.job.clone().unwrap_or_default(),
                            task_index: parsed.task.unwrap_or(0),
                            protocol: "grpc".into(),
                            ..Default::default()
                        }),
                        // Sessions of a propagated cluster have state of their own, as TF's,
                        // unless the client asks them to share it.
                        isolate_session_state: match &cluster_def {
                            Some(_) => !config.experimental.as_ref().is_some_and(|e| e.share_session_state_in_clusterspec_propagation),
                            None => config.isolate_session_state,
                        },
                        master_task: self.env.task_name.clone(),
                        master_incarnation: client_incarnation as i64,
                        ..Default::default()
                    })
                    .await
                    .map_err(|e| e.context(format!("From {task}:\n")))
            }
        });
        futures::future::try_join_all(creations).await?;
        let session = MasterSession::new(SessionParts {
            handle: handle.clone(),
            worker_cache: cache.clone(),
            client_device,
            client_incarnation,
            devices: discovered.into_iter().flat_map(|(_, d)| d).collect(),
            tasks,
            graph: req.graph_def.unwrap_or_default(),
            operation_timeout_ms: config.operation_timeout_in_ms,
        });
        self.sessions.lock().insert(handle.clone(), Arc::new(session));
        Ok(pb::CreateSessionResponse { session_handle: handle, graph_version: 0 })
    }

    async fn extend_session(&self, req: pb::ExtendSessionRequest) -> Result<pb::ExtendSessionResponse> {
        let session = self.session(&req.session_handle)?;
        let version = session.extend(req.graph_def.unwrap_or_default(), req.current_graph_version)?;
        Ok(pb::ExtendSessionResponse { new_graph_version: version })
    }

    async fn partial_run_setup(&self, req: pb::PartialRunSetupRequest) -> Result<pb::PartialRunSetupResponse> {
        let session = self.session(&req.session_handle)?;
        let handle = session.partial_run_setup(Signature::new(&req.feed, &req.fetch, &req.target)).await?;
        Ok(pb::PartialRunSetupResponse { partial_run_handle: handle })
    }

    async fn run_step(&self, req: pb::RunStepRequest) -> Result<pb::RunStepResponse> {
        let session = self.session(&req.session_handle)?;
        let feed_names: Vec<String> = req.feed.iter().map(|f| f.name.clone()).collect();
        let sig = Signature::new(&feed_names, &req.fetch, &req.target);
        let feeds: Vec<(String, pb::TensorProto)> =
            sig.feeds.iter().cloned().zip(req.feed.into_iter().map(|f| f.tensor.unwrap_or_default())).collect();
        let opts = StepOptions::from_proto(req.options.as_ref(), session.operation_timeout_ms());
        let result = if req.partial_run_handle.is_empty() {
            session.run(sig.clone(), feeds, &opts).await
        } else {
            session.partial_run(&req.partial_run_handle, &sig.fetches, feeds, &opts).await
        };
        step_response(result, &req.fetch, req.store_errors_in_response_body)
    }

    async fn close_session(&self, req: pb::CloseSessionRequest) -> Result<pb::CloseSessionResponse> {
        if let Some(session) = self.remove_session(&req.session_handle) {
            session.close().await;
        }
        Ok(pb::CloseSessionResponse {})
    }

    async fn list_devices(&self, req: pb::ListDevicesRequest) -> Result<pb::ListDevicesResponse> {
        let mut resp = pb::ListDevicesResponse::default();
        // A session's devices are those it found when created (a propagated cluster's, named as
        // it names them); its client device is the one local device.
        if !req.session_handle.is_empty() {
            let session = self.session(&req.session_handle)?;
            for d in session.devices() {
                if d.name == session.client_device() {
                    resp.local_device.push(d.clone());
                } else {
                    resp.remote_device.push(d.clone());
                }
            }
            return Ok(resp);
        }
        for (task, devices) in self.discover_devices(&self.env.worker_cache).await? {
            if task == self.env.task_name {
                resp.local_device.extend(devices);
            } else {
                resp.remote_device.extend(devices);
            }
        }
        Ok(resp)
    }

    async fn reset(&self, req: pb::ResetRequest) -> Result<pb::ResetResponse> {
        let sessions: Vec<Arc<MasterSession>> = self.sessions.lock().drain().map(|(_, s)| s).collect();
        for s in sessions {
            s.close().await;
        }
        let cleanups = self.env.worker_cache.list_workers().into_iter().map(|task| {
            let containers = req.container.clone();
            async move {
                let worker = self.env.worker_cache.worker(&task)?;
                worker.cleanup_all(pb::CleanupAllRequest { container: containers }).await
            }
        });
        futures::future::try_join_all(cleanups).await?;
        Ok(pb::ResetResponse {})
    }

    async fn make_callable(&self, req: pb::MakeCallableRequest) -> Result<pb::MakeCallableResponse> {
        let session = self.session(&req.session_handle)?;
        let opts = req.options.unwrap_or_default();
        let sig = Signature::new(&opts.feed, &opts.fetch, &opts.target);
        Ok(pb::MakeCallableResponse { handle: session.make_callable(sig, opts.run_options.unwrap_or_default()) })
    }

    async fn run_callable(&self, req: pb::RunCallableRequest) -> Result<pb::RunCallableResponse> {
        let session = self.session(&req.session_handle)?;
        let (sig, run_options) = session.callable(req.handle)?;
        if req.feed.len() != sig.feeds.len() {
            return Err(Error::invalid_argument(format!("Expected {} feed tensors, got {}", sig.feeds.len(), req.feed.len())));
        }
        let feeds = sig.feeds.iter().cloned().zip(req.feed).collect();
        let opts = StepOptions::from_proto(Some(&run_options), session.operation_timeout_ms());
        let output = session.run(sig, feeds, &opts).await?;
        Ok(pb::RunCallableResponse { fetch: output.fetches, metadata: Some(output.metadata) })
    }

    async fn release_callable(&self, req: pb::ReleaseCallableRequest) -> Result<pb::ReleaseCallableResponse> {
        self.session(&req.session_handle)?.release_callable(req.handle);
        Ok(pb::ReleaseCallableResponse {})
    }
}
