//! The `tensorflow.WorkerService` gRPC server: each handler decodes the request, calls the
//! `WorkerInterface`, and encodes the reply — no logic of its own. Errors become gRPC statuses with
//! TF's codes.
//!
//! Concurrency: tonic runs each call as its own task; the adapter is a cheap `Arc` clone.

use crate::transport;
use ferroflow_distributed::WorkerInterface;
use ferroflow_framework::tensor_to_proto;
use ferroflow_proto as pb;
use ferroflow_proto::worker_service_server::{WorkerService, WorkerServiceServer};
use std::sync::Arc;
use tonic::{Request, Response, Status};

/// Serves a worker over gRPC.
#[derive(Clone)]
pub struct WorkerServiceAdapter {
    worker: Arc<dyn WorkerInterface>,
}

impl WorkerServiceAdapter {
    pub fn new(worker: Arc<dyn WorkerInterface>) -> WorkerServiceAdapter {
        WorkerServiceAdapter { worker }
    }

    /// The tonic service, with message limits raised for tensors of 2 GiB.
    pub fn into_service(self) -> WorkerServiceServer<WorkerServiceAdapter> {
        WorkerServiceServer::new(self)
            .max_decoding_message_size(transport::MAX_MESSAGE_SIZE)
            .max_encoding_message_size(transport::MAX_MESSAGE_SIZE)
    }
}

/// Implements the tonic service: the listed methods pass the request to the worker and its reply
/// back; the items in braces are written out by hand.
macro_rules! delegate {
    ({ $($extra:item)* } $($method:ident($req:ty) -> $resp:ty;)*) => {
        #[tonic::async_trait]
        impl WorkerService for WorkerServiceAdapter {
            $(
                async fn $method(&self, request: Request<$req>) -> Result<Response<$resp>, Status> {
                    Ok(Response::new(self.worker.$method(request.into_inner()).await?))
                }
            )*
            $($extra)*
        }
    };
}

delegate! {
    {
        async fn recv_tensor(&self, request: Request<pb::RecvTensorRequest>) -> Result<Response<pb::RecvTensorResponse>, Status> {
            let reply = self.worker.recv_tensor(request.into_inner()).await?;
            Ok(Response::new(pb::RecvTensorResponse {
                tensor: Some(tensor_to_proto(&reply.tensor)),
                is_dead: reply.is_dead,
                send_start_micros: reply.send_start_micros,
                ..Default::default()
            }))
        }
    }
    get_status(pb::GetStatusRequest) -> pb::GetStatusResponse;
    create_worker_session(pb::CreateWorkerSessionRequest) -> pb::CreateWorkerSessionResponse;
    delete_worker_session(pb::DeleteWorkerSessionRequest) -> pb::DeleteWorkerSessionResponse;
    register_graph(pb::RegisterGraphRequest) -> pb::RegisterGraphResponse;
    deregister_graph(pb::DeregisterGraphRequest) -> pb::DeregisterGraphResponse;
    run_graph(pb::RunGraphRequest) -> pb::RunGraphResponse;
    cleanup_graph(pb::CleanupGraphRequest) -> pb::CleanupGraphResponse;
    cleanup_all(pb::CleanupAllRequest) -> pb::CleanupAllResponse;
    mark_recv_finished(pb::MarkRecvFinishedRequest) -> pb::MarkRecvFinishedResponse;
    logging(pb::LoggingRequest) -> pb::LoggingResponse;
    tracing(pb::TracingRequest) -> pb::TracingResponse;
    recv_buf(pb::RecvBufRequest) -> pb::RecvBufResponse;
    get_step_sequence(pb::GetStepSequenceRequest) -> pb::GetStepSequenceResponse;
    complete_group(pb::CompleteGroupRequest) -> pb::CompleteGroupResponse;
    complete_instance(pb::CompleteInstanceRequest) -> pb::CompleteInstanceResponse;
}
