//! The `tensorflow.MasterService` gRPC server: each handler decodes the request, calls the
//! `MasterInterface`, and encodes the reply — no logic of its own.
//!
//! `RunStep` and `RunCallable`, which carry tensors, are served through [`crate::bulk`]: fetched
//! tensors go to the client from their own buffers.
//!
//! Concurrency: tonic runs each call as its own task; the adapter is a cheap `Arc` clone.

use crate::bulk::{BulkMethods, WithBulkMethods, decode_request};
use crate::chunked::{EncodedMessage, ZeroCopyEncode};
use crate::receive::content_path;
use crate::transport;
use bytes::Bytes;
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

    /// The service to add to a tonic server: message limits raised for tensors of 2 GiB, tensor
    /// carrying methods served without copies.
    pub fn into_service(self) -> WithBulkMethods<MasterServiceServer<MasterServiceAdapter>> {
        let bulk = Arc::new(MasterBulkMethods { master: self.master.clone() });
        let server = MasterServiceServer::new(self)
            .max_decoding_message_size(transport::MAX_MESSAGE_SIZE)
            .max_encoding_message_size(transport::MAX_MESSAGE_SIZE);
        WithBulkMethods::new(server, bulk)
    }
}

/// `RunStep` and `RunCallable` without tonic's codec.
struct MasterBulkMethods {
    master: Arc<dyn MasterInterface>,
}

#[tonic::async_trait]
impl BulkMethods for MasterBulkMethods {
    fn request_content_path(&self, method: &str) -> Option<&'static [u32]> {
        match method {
            "RunStep" => Some(content_path::RUN_STEP_REQUEST),
            "RunCallable" => Some(content_path::RUN_CALLABLE_REQUEST),
            _ => None,
        }
    }

    async fn call(&self, method: &str, request: Bytes) -> Result<EncodedMessage, Status> {
        match method {
            "RunStep" => Ok(self.master.run_step(decode_request(request)?).await?.encode_chunks()?),
            "RunCallable" => Ok(self.master.run_callable(decode_request(request)?).await?.encode_chunks()?),
            other => Err(Status::unimplemented(format!("{other} is not a bulk method"))),
        }
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
