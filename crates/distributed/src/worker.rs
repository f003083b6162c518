//! The worker (TF's `Worker`): the logic behind every `tensorflow.WorkerService` call, independent
//! of gRPC. Sessions, graphs and step rendezvous come from the `WorkerEnv`; this type adds request
//! de-duplication, partial runs and the step-stats log.
//!
//! Concurrency: all methods take `&self` and may run at once from many RPCs; shared state lives in
//! the env's managers and in the small mutex-guarded maps here, never locked across an await.

use crate::env::WorkerEnv;
use crate::interface::{RecvTensorReply, WorkerInterface};
use crate::rendezvous_mgr::{StepRendezvous, StepRendezvousHandle};
use crate::request_ids::RecentRequestIds;
use crate::session_mgr::{SessionOptions, WorkerSession};
use crate::step_log::StepStatsLog;
use async_trait::async_trait;
use ferroflow_framework::{
    Error, ParsedKey, Rendezvous, RendezvousValue, Result, StepContext, tensor_from_proto, tensor_to_proto,
};
use ferroflow_proto as pb;
use ferroflow_runtime::RunOptions;
use futures::FutureExt;
use futures::future::{BoxFuture, Shared};
use parking_lot::Mutex;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

type StepOutcome = Result<Option<pb::StepStats>>;
type RunningStep = Shared<BoxFuture<'static, StepOutcome>>;

/// A worker task's service logic.
pub struct Worker {
    env: Arc<WorkerEnv>,
    recent_requests: RecentRequestIds,
    /// Partial runs in progress: (session, step id) -> the running executor.
    partial_runs: Mutex<HashMap<(String, i64), RunningStep>>,
    step_log: StepStatsLog,
}

fn now_micros() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_micros() as i64).unwrap_or(0)
}

impl Worker {
    pub fn new(env: Arc<WorkerEnv>) -> Arc<Worker> {
        let worker = Arc::new(Worker {
            env,
            recent_requests: RecentRequestIds::new(100_000),
            partial_runs: Mutex::new(HashMap::new()),
            step_log: StepStatsLog::default(),
        });
        let as_interface: Arc<dyn WorkerInterface> = worker.clone();
        worker.env.worker_cache.set_local_worker(Arc::downgrade(&as_interface));
        worker
    }

    pub fn env(&self) -> &Arc<WorkerEnv> {
        &self.env
    }

    /// Starts the step's executor; the returned future resolves when the step ends.
    fn start_step(
        &self,
        session: &Arc<WorkerSession>,
        graph_handle: &str,
        step_id: i64,
        rendezvous: &Arc<StepRendezvous>,
        opts: RunOptions,
    ) -> Result<BoxFuture<'static, StepOutcome>> {
        let graph = session.graph_mgr.lookup(graph_handle)?;
        let rendezvous = Arc::new(StepRendezvousHandle(rendezvous.clone()));
        let step = StepContext::new(step_id, &graph.device_name, graph.device_incarnation, rendezvous, session.resources.clone())
            .with_functions(graph.functions.clone());
        let step = Arc::new(step);
        Ok(async move { graph.executor.run(step, opts).await }.boxed())
    }

    /// Delivers `RunGraph.send` tensors into the step's rendezvous.
    fn send_inputs(rendezvous: &Arc<StepRendezvous>, sends: &[pb::NamedTensorProto]) -> Result<()> {
        let handle = StepRendezvousHandle(rendezvous.clone());
        for named in sends {
            let key = ParsedKey::parse(&named.name)?;
            let tensor = tensor_from_proto(named.tensor.as_ref().unwrap_or(&Default::default()))?;
            handle.send(&key, RendezvousValue::live(tensor))?;
        }
        Ok(())
    }

    /// Collects the `RunGraph.recv_key` tensors from the step's rendezvous.
    async fn receive_outputs(rendezvous: &Arc<StepRendezvous>, keys: &[String]) -> Result<Vec<pb::NamedTensorProto>> {
        let mut out = Vec::with_capacity(keys.len());
        for name in keys {
            let key = ParsedKey::parse(name)?;
            let value = rendezvous.recv_local(&key).await?;
            if value.is_dead {
                return Err(Error::invalid_argument(format!("The tensor returned for {name} was not valid.")));
            }
            out.push(pb::NamedTensorProto { name: name.clone(), tensor: Some(tensor_to_proto(&value.tensor)?) });
        }
        Ok(out)
    }

    async fn run_graph_inner(&self, req: &pb::RunGraphRequest) -> Result<pb::RunGraphResponse> {
        self.recent_requests.track_unique(req.request_id, "RunGraphRequest")?;
        let session = self.env.session_mgr.get(&req.session_handle, req.create_worker_session_called)?;
        let exec = req.exec_opts.clone().unwrap_or_default();
        let want_stats = exec.record_timeline || exec.record_costs;
        let opts = RunOptions { collect_stats: want_stats || self.step_log.is_enabled() };
        let rendezvous = self.env.rendezvous_mgr.find_or_create(req.step_id);
        rendezvous.initialize(session.worker_cache.clone());

        let outcome: StepOutcome;
        let mut response = pb::RunGraphResponse::default();
        if req.is_partial {
            let key = (session.handle.clone(), req.step_id);
            let running = {
                let mut runs = self.partial_runs.lock();
                match runs.get(&key) {
                    Some(r) => r.clone(),
                    None => {
                        let r = self.start_step(&session, &req.graph_handle, req.step_id, &rendezvous, opts)?.shared();
                        runs.insert(key.clone(), r.clone());
                        // Drive the step even while no request awaits it.
                        self.env.executor_env.io.spawn(r.clone().map(|_| ()));
                        r
                    }
                }
            };
            Self::send_inputs(&rendezvous, &req.send)?;
            response.recv = Self::receive_outputs(&rendezvous, &req.recv_key).await?;
            if !req.is_last_partial_run {
                return Ok(response);
            }
            self.partial_runs.lock().remove(&key);
            outcome = running.await;
        } else {
            let run = self.start_step(&session, &req.graph_handle, req.step_id, &rendezvous, opts)?;
            Self::send_inputs(&rendezvous, &req.send)?;
            outcome = run.await;
            if outcome.is_ok() {
                response.recv = Self::receive_outputs(&rendezvous, &req.recv_key).await?;
            }
        }
        let stats = outcome?;
        if let Some(stats) = stats {
            if self.step_log.is_enabled() {
                self.step_log.record(req.step_id, stats.clone());
            }
            if want_stats {
                response.step_stats = Some(stats);
            }
        }
        Ok(response)
    }
}

fn unimplemented_call(name: &str) -> Error {
    Error::unimplemented(format!("{name} is not implemented by ferroflow workers"))
}

#[async_trait]
impl WorkerInterface for Worker {
    async fn get_status(&self, _req: pb::GetStatusRequest) -> Result<pb::GetStatusResponse> {
        Ok(pb::GetStatusResponse { device_attributes: self.env.device_mgr.devices().iter().map(|d| d.attributes()).collect() })
    }

    async fn create_worker_session(&self, req: pb::CreateWorkerSessionRequest) -> Result<pb::CreateWorkerSessionResponse> {
        let opts = SessionOptions::from_request(&req)?;
        self.env.session_mgr.create(&req.session_handle, opts)?;
        Ok(pb::CreateWorkerSessionResponse {})
    }

    async fn delete_worker_session(&self, req: pb::DeleteWorkerSessionRequest) -> Result<pb::DeleteWorkerSessionResponse> {
        self.env.session_mgr.delete(&req.session_handle);
        self.partial_runs.lock().retain(|(s, _), _| s != &req.session_handle);
        Ok(pb::DeleteWorkerSessionResponse {})
    }

    async fn register_graph(&self, req: pb::RegisterGraphRequest) -> Result<pb::RegisterGraphResponse> {
        let session = self.env.session_mgr.get(&req.session_handle, req.create_worker_session_called)?;
        let def = req.graph_def.unwrap_or_default();
        let env = &self.env;
        let graph_handle = session.graph_mgr.register(&def, &env.registry, &session.device_mgr, env.executor_env.clone())?;
        Ok(pb::RegisterGraphResponse { graph_handle })
    }

    async fn deregister_graph(&self, req: pb::DeregisterGraphRequest) -> Result<pb::DeregisterGraphResponse> {
        let session = self.env.session_mgr.get(&req.session_handle, req.create_worker_session_called)?;
        session.graph_mgr.deregister(&req.graph_handle)?;
        Ok(pb::DeregisterGraphResponse {})
    }

    async fn run_graph(&self, req: pb::RunGraphRequest) -> Result<pb::RunGraphResponse> {
        match self.run_graph_inner(&req).await {
            Ok(r) => Ok(r),
            Err(e) => {
                // The step failed here: nothing of it may keep peers waiting.
                if !req.is_partial || req.is_last_partial_run {
                    let rendezvous = self.env.rendezvous_mgr.find_or_create(req.step_id);
                    StepRendezvousHandle(rendezvous).start_abort(e.clone());
                }
                if req.store_errors_in_response_body {
                    Ok(pb::RunGraphResponse { status_code: e.code as i32, status_error_message: e.message, ..Default::default() })
                } else {
                    Err(e)
                }
            }
        }
    }

    async fn cleanup_graph(&self, req: pb::CleanupGraphRequest) -> Result<pb::CleanupGraphResponse> {
        self.env.rendezvous_mgr.cleanup(req.step_id);
        self.partial_runs.lock().retain(|(_, step), _| *step != req.step_id);
        Ok(pb::CleanupGraphResponse {})
    }

    async fn cleanup_all(&self, req: pb::CleanupAllRequest) -> Result<pb::CleanupAllResponse> {
        self.env.session_mgr.shared_resources().clear_containers(&req.container);
        Ok(pb::CleanupAllResponse {})
    }

    async fn recv_tensor(&self, req: pb::RecvTensorRequest) -> Result<RecvTensorReply> {
        self.recent_requests.track_unique(req.request_id, "RecvTensorRequest")?;
        let key = ParsedKey::parse(&req.rendezvous_key)?;
        // By local name: a session of a propagated cluster names this task otherwise.
        let device = self.env.device_mgr.lookup_local(&key.src_device).map_err(|_| {
            Error::invalid_argument(format!("Invalid rendezvous key (src): {} ({})", req.rendezvous_key, key.src_device))
        })?;
        if device.incarnation() != key.src_incarnation {
            return Err(Error::aborted(format!(
                "RecvTensor expects a different device incarnation: {} vs. {}. Your worker job (\"{}\") was probably restarted. Check your worker job for the reason why it was restarted.",
                key.src_incarnation,
                device.incarnation(),
                self.env.task_name
            )));
        }
        let rendezvous = self.env.rendezvous_mgr.find_or_create(req.step_id);
        let value = rendezvous.recv_local(&key).await?;
        Ok(RecvTensorReply { tensor: value.tensor, is_dead: value.is_dead, send_start_micros: now_micros() })
    }

    async fn mark_recv_finished(&self, _req: pb::MarkRecvFinishedRequest) -> Result<pb::MarkRecvFinishedResponse> {
        Ok(pb::MarkRecvFinishedResponse {})
    }

    async fn logging(&self, req: pb::LoggingRequest) -> Result<pb::LoggingResponse> {
        if req.enable_rpc_logging {
            self.step_log.set_enabled(true);
        }
        if req.disable_rpc_logging {
            self.step_log.set_enabled(false);
        }
        let step = self.step_log.fetch(&req.fetch_step_id);
        if req.clear {
            self.step_log.clear();
        }
        Ok(pb::LoggingResponse { step })
    }

    async fn tracing(&self, _req: pb::TracingRequest) -> Result<pb::TracingResponse> {
        Err(unimplemented_call("Tracing"))
    }

    async fn recv_buf(&self, _req: pb::RecvBufRequest) -> Result<pb::RecvBufResponse> {
        Err(unimplemented_call("RecvBuf (collective ops)"))
    }

    async fn get_step_sequence(&self, _req: pb::GetStepSequenceRequest) -> Result<pb::GetStepSequenceResponse> {
        Err(unimplemented_call("GetStepSequence (collective ops)"))
    }

    async fn complete_group(&self, _req: pb::CompleteGroupRequest) -> Result<pb::CompleteGroupResponse> {
        Err(unimplemented_call("CompleteGroup (collective ops)"))
    }

    async fn complete_instance(&self, _req: pb::CompleteInstanceRequest) -> Result<pb::CompleteInstanceResponse> {
        Err(unimplemented_call("CompleteInstance (collective ops)"))
    }
}
