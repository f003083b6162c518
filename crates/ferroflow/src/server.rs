//! A running ferroflow task: its worker environment, its master, and the gRPC server that serves
//! `tensorflow.WorkerService` and `tensorflow.MasterService` on its one port (as TF does), with a
//! lifecycle as a type — `TaskServer::start` binds and serves, `shutdown` stops accepting, lets
//! calls in flight finish and returns when the server is gone.
//!
//! With TLS the task's port serves TLS only, client certificates required; with a plaintext-local
//! port, the same services are also served in plaintext on 127.0.0.1 at that port (a second
//! server over the same worker and master), for stock TF clients on the host.
//!
//! Concurrency: the servers run on the tokio runtime of the caller; kernels run on the worker's
//! own compute pool.

use crate::config::TaskConfig;
use anyhow::{Context, Result};
use ferroflow_distributed::{Worker, WorkerEnv, WorkerEnvOptions, WorkerInterface};
use ferroflow_distributed::master::{Master, MasterInterface};
use ferroflow_grpc::{GrpcClientFactory, MasterServiceAdapter, WorkerServiceAdapter, transport};
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio_stream::StreamExt;
use tokio_stream::wrappers::TcpListenerStream;

/// One task serving `tensorflow.WorkerService` and `tensorflow.MasterService`.
pub struct TaskServer {
    local_addr: SocketAddr,
    plaintext_local_addr: Option<SocketAddr>,
    worker: Arc<Worker>,
    /// One per server: the task's port, and the plaintext-local one if any.
    shutdown: Vec<oneshot::Sender<()>>,
    serving: JoinHandle<Result<(), tonic::transport::Error>>,
}

/// Accepted connections with TCP_NODELAY: tonic applies it only to sockets it accepts itself, and
/// without it a reply waits for the peer's delayed ACK (tens of milliseconds per transfer).
fn incoming(listener: TcpListener) -> impl tokio_stream::Stream<Item = std::io::Result<tokio::net::TcpStream>> {
    TcpListenerStream::new(listener).map(|accepted| {
        accepted.inspect(|stream| {
            let _ = stream.set_nodelay(true);
        })
    })
}

/// Resolves when `rx` fires (or its sender is gone).
fn on_signal(rx: oneshot::Receiver<()>) -> impl Future<Output = ()> {
    async {
        let _ = rx.await;
    }
}

impl TaskServer {
    /// Binds the task's address from the cluster definition and starts serving.
    pub async fn start(config: TaskConfig) -> Result<TaskServer> {
        let address = config.address()?;
        let listener = TcpListener::bind(&address).await.with_context(|| format!("cannot listen on {address}"))?;
        TaskServer::start_on(config, listener).await
    }

    /// Starts serving on an already bound listener (tests bind port 0 first).
    pub async fn start_on(config: TaskConfig, listener: TcpListener) -> Result<TaskServer> {
        let local_addr = listener.local_addr()?;
        let transport_config = config.transport.clone();
        let env = WorkerEnv::new(WorkerEnvOptions {
            cluster: config.cluster,
            job: config.job,
            task: config.task,
            client_factory: Arc::new(GrpcClientFactory::new(transport_config.channel_options())),
            compute_threads: config.compute_threads,
            io: tokio::runtime::Handle::current(),
        })
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        let worker = Worker::new(env.clone());
        let master = Master::new(env);
        let service = WorkerServiceAdapter::new(worker.clone() as Arc<dyn WorkerInterface>).into_service();
        let master_service = MasterServiceAdapter::new(master as Arc<dyn MasterInterface>).into_service();
        let mut builder = match &transport_config.tls {
            Some(identity) => transport::tls_server_builder(identity, transport_config.peer_timeout).map_err(|e| anyhow::anyhow!("{e}"))?,
            None => transport::server_builder(),
        };
        let router = builder.add_service(service.clone()).add_service(master_service.clone());
        let (tx, rx) = oneshot::channel::<()>();
        let mut shutdown = vec![tx];
        let main_server = router.serve_with_incoming_shutdown(incoming(listener), on_signal(rx));
        let task_name = worker.env().task_name.clone();
        let tls = if transport_config.tls.is_some() { "TLS, client certificates required" } else { "plaintext" };
        tracing::info!(task = %task_name, %local_addr, tls, "serving tensorflow.WorkerService and tensorflow.MasterService");
        let mut plaintext_local_addr = None;
        let serving = match transport_config.plaintext_local_port {
            Some(port) if transport_config.tls.is_some() => {
                let local = TcpListener::bind(("127.0.0.1", port)).await.with_context(|| format!("cannot listen on 127.0.0.1:{port} (--plaintext-local-port)"))?;
                let addr = local.local_addr()?;
                plaintext_local_addr = Some(addr);
                tracing::info!(task = %task_name, local_addr = %addr, "also serving plaintext on loopback, for clients on this host");
                let (tx, rx) = oneshot::channel::<()>();
                shutdown.push(tx);
                let local_server = transport::server_builder()
                    .add_service(service)
                    .add_service(master_service)
                    .serve_with_incoming_shutdown(incoming(local), on_signal(rx));
                tokio::spawn(async move {
                    let (a, b) = tokio::join!(main_server, local_server);
                    a.and(b)
                })
            }
            Some(_) => anyhow::bail!("--plaintext-local-port is for a task serving TLS: without TLS the task's own port is plaintext already"),
            None => tokio::spawn(main_server),
        };
        Ok(TaskServer { local_addr, plaintext_local_addr, worker, shutdown, serving })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The plaintext loopback address served besides the TLS port, if any.
    pub fn plaintext_local_addr(&self) -> Option<SocketAddr> {
        self.plaintext_local_addr
    }

    pub fn worker(&self) -> &Arc<Worker> {
        &self.worker
    }

    /// Stops accepting calls, lets those in flight finish, and waits for the server to end.
    pub async fn shutdown(mut self) -> Result<()> {
        for tx in self.shutdown.drain(..) {
            let _ = tx.send(());
        }
        self.worker.env().rendezvous_mgr.cleanup_all();
        (&mut self.serving).await.context("server task panicked")?.context("server failed")?;
        Ok(())
    }

    /// Serves until the server fails (it does not end by itself otherwise).
    pub async fn wait(&mut self) -> Result<()> {
        (&mut self.serving).await.context("server task panicked")?.context("server failed")
    }
}
