//! Helpers shared by the integration tests: partitions built in code, `ferroflow server` processes
//! on free loopback ports, and waiting for a server to answer.

#![allow(dead_code)]

use ferroflow_distributed::WorkerInterface;
use ferroflow_framework::node_def::Transfer;
use ferroflow_framework::{DType, ParsedKey};
use ferroflow_framework::tensor_from_proto;
use ferroflow_grpc::{ChannelOptions, GrpcWorker, PeerChannel, transport};
use ferroflow_proto::master_service_client::MasterServiceClient;

/// A cloneable client, as the tests pass it around.
pub type GrpcWorkerRef = GrpcWorker;
use ferroflow_proto as pb;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub fn cpu(job: &str, task: i32) -> String {
    format!("/job:{job}/replica:0/task:{task}/device:CPU:0")
}

/// A `_Send` of `input` under `tensor_name` from `from` (incarnation `inc`) to `to`.
pub fn send(name: &str, input: &str, tensor_name: &str, from: &str, inc: u64, to: &str, client_terminated: bool) -> pb::NodeDef {
    transfer(tensor_name, from, inc, to, client_terminated).send_node(name, input).build()
}

/// A `_Recv` of `tensor_name` sent by `from` (incarnation `inc`) to `to`.
pub fn recv(name: &str, tensor_name: &str, from: &str, inc: u64, to: &str, client_terminated: bool) -> pb::NodeDef {
    transfer(tensor_name, from, inc, to, client_terminated).recv_node(name).build()
}

fn transfer<'a>(tensor_name: &'a str, from: &'a str, inc: u64, to: &'a str, client_terminated: bool) -> Transfer<'a> {
    Transfer { dtype: DType::Float, tensor_name, send_device: from, send_device_incarnation: inc, recv_device: to, client_terminated }
}

pub fn key(from: &str, inc: u64, to: &str, tensor_name: &str) -> String {
    ParsedKey::new(from, inc, to, tensor_name, (0, 0)).as_str().to_string()
}

pub fn graph(nodes: Vec<pb::NodeDef>) -> pb::GraphDef {
    pb::GraphDef { node: nodes, versions: Some(pb::VersionDef { producer: 2474, ..Default::default() }), version: 0, library: None }
}

/// The incarnation of a worker's CPU device.
pub async fn incarnation(worker: &dyn WorkerInterface) -> u64 {
    worker.get_status(pb::GetStatusRequest {}).await.expect("GetStatus").device_attributes[0].incarnation
}

/// A free loopback port (bound, read, released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A `ferroflow server` process, killed when dropped.
pub struct ServerProcess(pub Child);

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl ServerProcess {
    /// Sends `signal` (SIGSTOP freezes the process, SIGCONT resumes it).
    pub fn signal(&self, signal: i32) {
        // SAFETY: kill(2) on our own child's pid; no memory is involved.
        let rc = unsafe { libc::kill(self.0.id() as i32, signal) };
        assert_eq!(rc, 0, "kill({}, {signal})", self.0.id());
    }
}

pub fn spawn_server(cluster: &[String], job: &str, task: i32) -> ServerProcess {
    spawn_server_with(cluster, job, task, &[], Stdio::null())
}

/// A `ferroflow server` with extra arguments, its stderr (the log) going to `stderr`.
pub fn spawn_server_with(cluster: &[String], job: &str, task: i32, extra: &[&str], stderr: Stdio) -> ServerProcess {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ferroflow"));
    cmd.arg("server");
    for c in cluster {
        cmd.arg("--cluster").arg(c);
    }
    cmd.args(["--job", job, "--task", &task.to_string()]).args(extra).stdout(Stdio::null()).stderr(stderr);
    ServerProcess(cmd.spawn().expect("ferroflow binary starts"))
}

/// A client of `address`, once its server answers `GetStatus` (up to 10 s).
pub async fn connect_when_ready(address: &str) -> GrpcWorker {
    connect_when_ready_with(address, ChannelOptions::default()).await
}

/// The same with channel options (a peer timeout, TLS).
pub async fn connect_when_ready_with(address: &str, options: ChannelOptions) -> GrpcWorker {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let client = GrpcWorker::with_options(None, address, options.clone()).unwrap();
        match client.get_status(pb::GetStatusRequest {}).await {
            Ok(_) => return client,
            Err(e) if Instant::now() > deadline => panic!("server at {address} never answered: {e}"),
            Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    }
}

/// A client of a task's `tensorflow.MasterService`.
pub type Master = MasterServiceClient<PeerChannel>;

pub fn master_client(address: &str) -> Master {
    MasterServiceClient::new(PeerChannel::new(address))
        .max_decoding_message_size(transport::MAX_MESSAGE_SIZE)
        .max_encoding_message_size(transport::MAX_MESSAGE_SIZE)
}

pub async fn create_session(master: &Master, graph: pb::GraphDef) -> String {
    let request = pb::CreateSessionRequest { graph_def: Some(graph), ..Default::default() };
    master.clone().create_session(request).await.expect("CreateSession").into_inner().session_handle
}

/// Runs a step of `session` fetching the float tensor `fetch`; its first value.
pub async fn run_step(master: &Master, session: &str, fetch: &str) -> Result<f32, tonic::Status> {
    let request = pb::RunStepRequest { session_handle: session.into(), fetch: vec![fetch.into()], ..Default::default() };
    let response = master.clone().run_step(request).await?.into_inner();
    let tensor = tensor_from_proto(response.tensor[0].tensor.as_ref().expect("fetched tensor")).expect("tensor decodes");
    Ok(tensor.values::<f32>().unwrap()[0])
}
