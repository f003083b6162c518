//! A running ferroflow task: its worker environment, its master, and the gRPC server that serves
//! `tensorflow.WorkerService` and `tensorflow.MasterService` on its one port (as TF does), with a
//! lifecycle as a type — `TaskServer::start` binds and serves, `shutdown` stops accepting, lets
//! calls in flight finish and returns when the server is gone.
//!
//! Concurrency: the server runs on the tokio runtime of the caller; kernels run on the worker's
//! own compute pool.

use crate::config::TaskConfig;
use anyhow::{Context, Result};
use ferroflow_distributed::{Worker, WorkerEnv, WorkerEnvOptions, WorkerInterface};
use ferroflow_distributed::master::{Master, MasterInterface};
use ferroflow_grpc::{GrpcClientFactory, MasterServiceAdapter, WorkerServiceAdapter, transport};
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
    worker: Arc<Worker>,
    shutdown: Option<oneshot::Sender<()>>,
    serving: JoinHandle<Result<(), tonic::transport::Error>>,
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
        let env = WorkerEnv::new(WorkerEnvOptions {
            cluster: config.cluster,
            job: config.job,
            task: config.task,
            client_factory: Arc::new(GrpcClientFactory),
            compute_threads: config.compute_threads,
            io: tokio::runtime::Handle::current(),
        })
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        let worker = Worker::new(env.clone());
        let master = Master::new(env);
        let service = WorkerServiceAdapter::new(worker.clone() as Arc<dyn WorkerInterface>).into_service();
        let master_service = MasterServiceAdapter::new(master as Arc<dyn MasterInterface>).into_service();
        // tonic applies TCP_NODELAY only to sockets it accepts itself; without it a reply waits for
        // the peer's delayed ACK (tens of milliseconds per transfer).
        let incoming = TcpListenerStream::new(listener).map(|accepted| {
            accepted.inspect(|stream| {
                let _ = stream.set_nodelay(true);
            })
        });
        let (tx, rx) = oneshot::channel::<()>();
        let serving = tokio::spawn(
            transport::server_builder()
                .add_service(service)
                .add_service(master_service)
                .serve_with_incoming_shutdown(incoming, async {
                    let _ = rx.await;
                }),
        );
        tracing::info!(task = %worker.env().task_name, %local_addr, "serving tensorflow.WorkerService and tensorflow.MasterService");
        Ok(TaskServer { local_addr, worker, shutdown: Some(tx), serving })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    pub fn worker(&self) -> &Arc<Worker> {
        &self.worker
    }

    /// Stops accepting calls, lets those in flight finish, and waits for the server to end.
    pub async fn shutdown(mut self) -> Result<()> {
        if let Some(tx) = self.shutdown.take() {
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
