//! The `tensorflow.MasterService` gRPC server: each handler decodes the request, calls the
//! `MasterInterface`, and encodes the reply — no logic of its own.
//!
//! Concurrency: tonic runs each call as its own task; the adapter is a cheap `Arc` clone.

use crate::transport;
use ferroflow_distributed::master::MasterInterface;
use ferroflow_proto as pb;
use ferroflow_proto::master_service_server::{MasterService, MasterServiceServer};
use std::sync::Arc;
use tonic::{Request, Response, Status};

/// Serves a master over gRPC.
#[derive(Clone)]
pub struct MasterServiceAdapter {
    master: Arc<dyn MasterInterface>,
}

impl MasterServiceAdapter {
    pub fn new(master: Arc<dyn MasterInterface>) -> MasterServiceAdapter {
        MasterServiceAdapter { master }
    }

    /// The tonic service, with message limits raised for tensors of 2 GiB.
    pub fn into_service(self) -> MasterServiceServer<MasterServiceAdapter> {
        MasterServiceServer::new(self)
            .max_decoding_message_size(transport::MAX_MESSAGE_SIZE)
            .max_encoding_message_size(transport::MAX_MESSAGE_SIZE)
    }
}

/// Implements the tonic service by passing each request to the master and its reply back.
macro_rules! delegate {
    ($($method:ident($req:ty) -> $resp:ty;)*) => {
        #[tonic::async_trait]
        impl MasterService for MasterServiceAdapter {
            $(
                async fn $method(&self, request: Request<$req>) -> Result<Response<$resp>, Status> {
                    Ok(Response::new(self.master.$method(request.into_inner()).await?))
                }
            )*
        }
    };
}

delegate! {
    create_session(pb::CreateSessionRequest) -> pb::CreateSessionResponse;
    extend_session(pb::ExtendSessionRequest) -> pb::ExtendSessionResponse;
    partial_run_setup(pb::PartialRunSetupRequest) -> pb::PartialRunSetupResponse;
    run_step(pb::RunStepRequest) -> pb::RunStepResponse;
    close_session(pb::CloseSessionRequest) -> pb::CloseSessionResponse;
    list_devices(pb::ListDevicesRequest) -> pb::ListDevicesResponse;
    reset(pb::ResetRequest) -> pb::ResetResponse;
    make_callable(pb::MakeCallableRequest) -> pb::MakeCallableResponse;
    run_callable(pb::RunCallableRequest) -> pb::RunCallableResponse;
    release_callable(pb::ReleaseCallableRequest) -> pb::ReleaseCallableResponse;
}
