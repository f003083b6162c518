//! The master interface (TF's `MasterInterface`): every `tensorflow.MasterService` call as an async
//! method on wire messages. `Master` implements it; the gRPC layer serves it.

use async_trait::async_trait;
use ferroflow_framework::Result;
use ferroflow_proto as pb;

#[async_trait]
pub trait MasterInterface: Send + Sync {
    async fn create_session(&self, req: pb::CreateSessionRequest) -> Result<pb::CreateSessionResponse>;
    async fn extend_session(&self, req: pb::ExtendSessionRequest) -> Result<pb::ExtendSessionResponse>;
    async fn partial_run_setup(&self, req: pb::PartialRunSetupRequest) -> Result<pb::PartialRunSetupResponse>;
    async fn run_step(&self, req: pb::RunStepRequest) -> Result<pb::RunStepResponse>;
    async fn close_session(&self, req: pb::CloseSessionRequest) -> Result<pb::CloseSessionResponse>;
    async fn list_devices(&self, req: pb::ListDevicesRequest) -> Result<pb::ListDevicesResponse>;
    async fn reset(&self, req: pb::ResetRequest) -> Result<pb::ResetResponse>;
    async fn make_callable(&self, req: pb::MakeCallableRequest) -> Result<pb::MakeCallableResponse>;
    async fn run_callable(&self, req: pb::RunCallableRequest) -> Result<pb::RunCallableResponse>;
    async fn release_callable(&self, req: pb::ReleaseCallableRequest) -> Result<pb::ReleaseCallableResponse>;
}
