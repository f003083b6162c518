//! A remote worker over gRPC: `WorkerInterface` implemented by calls to a peer's
//! `tensorflow.WorkerService`, and the factory the worker cache uses to make one per target.
//!
//! Concurrency: a client holds one HTTP/2 channel, cloned per call (cheap) and multiplexed;
//! connecting is lazy, so building a client never blocks. A hung peer fails the calls pending on
//! it within the channel's peer timeout (see [`crate::channel`]).

use crate::bulk::call_unary;
use crate::channel::{ChannelOptions, PeerChannel};
use crate::receive::content_path;
use crate::transport;
use async_trait::async_trait;
use ferroflow_distributed::{RecvTensorReply, WorkerClientFactory, WorkerInterface};
use ferroflow_framework::{Error, Result, tensor_from_proto};
use ferroflow_proto as pb;
use ferroflow_proto::worker_service_client::WorkerServiceClient;
use std::sync::Arc;

/// A client of one remote worker.
#[derive(Clone)]
pub struct GrpcWorker {
    address: String,
    channel: PeerChannel,
    client: WorkerServiceClient<PeerChannel>,
}

impl GrpcWorker {
    /// A client for `host:port` with default options; the connection is made on first use.
    pub fn connect_lazy(address: &str) -> Result<GrpcWorker> {
        GrpcWorker::with_options(None, address, ChannelOptions::default())
    }

    /// A client for the task `task` (named in errors) at `address`.
    pub fn with_options(task: Option<&str>, address: &str, options: ChannelOptions) -> Result<GrpcWorker> {
        let channel = PeerChannel::with_options(task, address, options);
        let client = WorkerServiceClient::new(channel.clone())
            .max_decoding_message_size(transport::MAX_MESSAGE_SIZE)
            .max_encoding_message_size(transport::MAX_MESSAGE_SIZE);
        Ok(GrpcWorker { address: address.to_string(), channel, client })
    }

    pub fn address(&self) -> &str {
        &self.address
    }
}

/// Implements `WorkerInterface` for `GrpcWorker`: the listed methods forward the request as is;
/// the items in braces are written out by hand.
macro_rules! forward {
    ({ $($extra:item)* } $($method:ident($req:ty) -> $resp:ty;)*) => {
        #[async_trait]
        impl WorkerInterface for GrpcWorker {
            $(
                async fn $method(&self, req: $req) -> Result<$resp> {
                    let mut client = self.client.clone();
                    Ok(client.$method(req).await.map_err(transport::status_to_error)?.into_inner())
                }
            )*
            $($extra)*
        }
    };
}

forward! {
    {
        async fn recv_tensor(&self, req: pb::RecvTensorRequest) -> Result<RecvTensorReply> {
            let resp: pb::RecvTensorResponse =
                call_unary(&self.channel, "/tensorflow.WorkerService/RecvTensor", req, content_path::RECV_TENSOR_RESPONSE).await?;
            let proto = resp.tensor.ok_or_else(|| Error::data_loss(format!("RecvTensor reply from {} has no tensor", self.address)))?;
            Ok(RecvTensorReply { tensor: tensor_from_proto(&proto)?, is_dead: resp.is_dead, send_start_micros: resp.send_start_micros })
        }

        async fn run_graph(&self, req: pb::RunGraphRequest) -> Result<pb::RunGraphResponse> {
            call_unary(&self.channel, "/tensorflow.WorkerService/RunGraph", req, content_path::RUN_GRAPH_RESPONSE).await
        }
    }
    get_status(pb::GetStatusRequest) -> pb::GetStatusResponse;
    create_worker_session(pb::CreateWorkerSessionRequest) -> pb::CreateWorkerSessionResponse;
    delete_worker_session(pb::DeleteWorkerSessionRequest) -> pb::DeleteWorkerSessionResponse;
    register_graph(pb::RegisterGraphRequest) -> pb::RegisterGraphResponse;
    deregister_graph(pb::DeregisterGraphRequest) -> pb::DeregisterGraphResponse;
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

/// Makes gRPC clients for the worker cache, all with the same channel options.
#[derive(Default)]
pub struct GrpcClientFactory {
    options: ChannelOptions,
}

impl GrpcClientFactory {
    pub fn new(options: ChannelOptions) -> GrpcClientFactory {
        GrpcClientFactory { options }
    }
}

impl WorkerClientFactory for GrpcClientFactory {
    fn connect(&self, task: &str, address: &str) -> Result<Arc<dyn WorkerInterface>> {
        Ok(Arc::new(GrpcWorker::with_options(Some(task), address, self.options.clone())?))
    }
}
