//! The `tensorflow.WorkerService` gRPC server: each handler decodes the request, calls the
//! `WorkerInterface`, and encodes the reply — no logic of its own. Errors become gRPC statuses with
//! TF's codes.
//!
//! `RecvTensor` and `RunGraph`, which carry tensors, are served through [`crate::bulk`]: their
//! replies share the tensors' buffers instead of copying them into the message.
//!
//! Concurrency: tonic runs each call as its own task; the adapter is a cheap `Arc` clone.

use crate::bulk::{BulkMethods, WithBulkMethods, decode_request};
use crate::chunked::{EncodedMessage, ZeroCopyEncode};
use crate::receive::content_path;
use crate::transport;
use bytes::Bytes;
use ferroflow_distributed::{RecvTensorReply, WorkerInterface};
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

    /// The service to add to a tonic server: message limits raised for tensors of 2 GiB, tensor
    /// carrying methods served without copies.
    pub fn into_service(self) -> WithBulkMethods<WorkerServiceServer<WorkerServiceAdapter>> {
        let bulk = Arc::new(WorkerBulkMethods { worker: self.worker.clone() });
        let server = WorkerServiceServer::new(self)
            .max_decoding_message_size(transport::MAX_MESSAGE_SIZE)
            .max_encoding_message_size(transport::MAX_MESSAGE_SIZE);
        WithBulkMethods::new(server, bulk)
    }
}

/// The wire form of a worker's `RecvTensor` answer.
fn recv_tensor_response(reply: RecvTensorReply) -> ferroflow_framework::Result<pb::RecvTensorResponse> {
    Ok(pb::RecvTensorResponse {
        tensor: Some(tensor_to_proto(&reply.tensor)?),
        is_dead: reply.is_dead,
        send_start_micros: reply.send_start_micros,
        ..Default::default()
    })
}

/// `RecvTensor` and `RunGraph` without tonic's codec.
struct WorkerBulkMethods {
    worker: Arc<dyn WorkerInterface>,
}

#[tonic::async_trait]
impl BulkMethods for WorkerBulkMethods {
    fn request_content_path(&self, method: &str) -> Option<&'static [u32]> {
        match method {
            "RecvTensor" => Some(content_path::NONE),
            "RunGraph" => Some(content_path::RUN_GRAPH_REQUEST),
            _ => None,
        }
    }

    async fn call(&self, method: &str, request: Bytes) -> Result<EncodedMessage, Status> {
        match method {
            "RecvTensor" => {
                let reply = self.worker.recv_tensor(decode_request(request)?).await?;
                Ok(recv_tensor_response(reply)?.encode_chunks()?)
            }
            "RunGraph" => Ok(self.worker.run_graph(decode_request(request)?).await?.encode_chunks()?),
            other => Err(Status::unimplemented(format!("{other} is not a bulk method"))),
        }
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
            Ok(Response::new(recv_tensor_response(reply)?))
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
