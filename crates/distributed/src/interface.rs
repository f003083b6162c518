//! The worker interface (TF's `WorkerInterface`): every `tensorflow.WorkerService` call as an async
//! method. The local `Worker` implements it directly; the gRPC client implements it over the wire;
//! the worker cache hands out either. Requests and responses are the wire messages, except
//! `recv_tensor`, whose reply carries a `Tensor` so an in-process call never encodes it.

use async_trait::async_trait;
use ferroflow_framework::{Result, Tensor};
use ferroflow_proto as pb;

/// A tensor received from a peer's rendezvous.
#[derive(Debug, Clone)]
pub struct RecvTensorReply {
    pub tensor: Tensor,
    pub is_dead: bool,
    pub send_start_micros: i64,
}

#[async_trait]
pub trait WorkerInterface: Send + Sync {
    async fn get_status(&self, req: pb::GetStatusRequest) -> Result<pb::GetStatusResponse>;
    async fn create_worker_session(&self, req: pb::CreateWorkerSessionRequest) -> Result<pb::CreateWorkerSessionResponse>;
    async fn delete_worker_session(&self, req: pb::DeleteWorkerSessionRequest) -> Result<pb::DeleteWorkerSessionResponse>;
    async fn register_graph(&self, req: pb::RegisterGraphRequest) -> Result<pb::RegisterGraphResponse>;
    async fn deregister_graph(&self, req: pb::DeregisterGraphRequest) -> Result<pb::DeregisterGraphResponse>;
    async fn run_graph(&self, req: pb::RunGraphRequest) -> Result<pb::RunGraphResponse>;
    async fn cleanup_graph(&self, req: pb::CleanupGraphRequest) -> Result<pb::CleanupGraphResponse>;
    async fn cleanup_all(&self, req: pb::CleanupAllRequest) -> Result<pb::CleanupAllResponse>;
    async fn recv_tensor(&self, req: pb::RecvTensorRequest) -> Result<RecvTensorReply>;
    async fn mark_recv_finished(&self, req: pb::MarkRecvFinishedRequest) -> Result<pb::MarkRecvFinishedResponse>;
    async fn logging(&self, req: pb::LoggingRequest) -> Result<pb::LoggingResponse>;
    async fn tracing(&self, req: pb::TracingRequest) -> Result<pb::TracingResponse>;
    async fn recv_buf(&self, req: pb::RecvBufRequest) -> Result<pb::RecvBufResponse>;
    async fn get_step_sequence(&self, req: pb::GetStepSequenceRequest) -> Result<pb::GetStepSequenceResponse>;
    async fn complete_group(&self, req: pb::CompleteGroupRequest) -> Result<pb::CompleteGroupResponse>;
    async fn complete_instance(&self, req: pb::CompleteInstanceRequest) -> Result<pb::CompleteInstanceResponse>;
}
