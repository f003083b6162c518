//! The master (TF's `Master`): sessions by handle, device discovery through the worker cache, and
//! the MasterService calls. Sessions run on the task's own worker environment, so partitions for
//! this task are served in-process (the worker cache hands back the local worker, no gRPC).
//!
//! Concurrency: the session map is behind a mutex held only for insert/lookup/remove; sessions are
//! shared by `Arc` with the requests using them.

use crate::env::WorkerEnv;
use crate::master::interface::MasterInterface;
use crate::master::plan::Signature;
use crate::master::session::{MasterSession, SessionParts, StepOptions, StepOutput};
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

    /// Every task's devices, asked of each task at once; UNAVAILABLE names a task that did not answer.
    async fn discover_devices(&self) -> Result<Vec<(String, Vec<pb::DeviceAttributes>)>> {
        let tasks = self.env.worker_cache.list_workers();
        let calls = tasks.into_iter().map(|task| async move {
            let worker = self.env.worker_cache.worker(&task)?;
            let status = worker
                .get_status(pb::GetStatusRequest {})
                .await
                .map_err(|e| Error::unavailable(format!("Task {task} is unreachable while creating a session: {}", e.message)))?;
            Ok::<_, Error>((task, status.device_attributes))
        });
        futures::future::try_join_all(calls).await
    }

    fn client_device(&self) -> Result<(String, u64)> {
        let d = self.env.device_mgr.devices().first().ok_or_else(|| Error::internal("master task has no device"))?;
        Ok((d.name().to_string(), d.incarnation()))
    }

    fn remove_session(&self, handle: &str) -> Option<Arc<MasterSession>> {
        self.sessions.lock().remove(handle)
    }
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
        let discovered = self.discover_devices().await?;
        let (client_device, client_incarnation) = self.client_device()?;
        let handle = format!("{:016x}", rand::random::<u64>());
        let tasks: Vec<String> = discovered.iter().map(|(t, _)| t.clone()).collect();
        let creations = tasks.iter().map(|task| {
            let handle = handle.clone();
            let parsed = DeviceName::parse(task);
            async move {
                let parsed = parsed?;
                let worker = self.env.worker_cache.worker(task)?;
                worker
                    .create_worker_session(pb::CreateWorkerSessionRequest {
                        session_handle: handle,
                        server_def: Some(pb::ServerDef {
                            job_name: parsed.job.clone().unwrap_or_default(),
                            task_index: parsed.task.unwrap_or(0),
                            protocol: "grpc".into(),
                            ..Default::default()
                        }),
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
            worker_cache: self.env.worker_cache.clone(),
            client_device,
            client_incarnation,
            devices: discovered.into_iter().flat_map(|(_, d)| d).collect(),
            tasks,
            graph: req.graph_def.unwrap_or_default(),
            operation_timeout_ms: req.config.as_ref().map(|c| c.operation_timeout_in_ms).unwrap_or(0),
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

    async fn list_devices(&self, _req: pb::ListDevicesRequest) -> Result<pb::ListDevicesResponse> {
        let mut resp = pb::ListDevicesResponse::default();
        for (task, devices) in self.discover_devices().await? {
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
