//! A whole cluster in one process: every task bound to a free loopback port first, so the cluster
//! definition names real addresses before any task starts. Used by `ferroflow local`, the tests and
//! the benchmarks. Owns its tasks; `shutdown` stops them all.

use crate::config::{TaskConfig, TransportConfig};
use crate::server::TaskServer;
use anyhow::Result;
use ferroflow_distributed::ClusterSpec;
use tokio::net::TcpListener;

/// Tasks of one cluster, all served from this process.
pub struct LocalCluster {
    pub cluster: ClusterSpec,
    /// (job, task index, server), in the order the jobs were given.
    pub tasks: Vec<(String, i32, TaskServer)>,
}

impl LocalCluster {
    /// Starts `count` tasks for each `(job, count)` on 127.0.0.1 ports chosen by the OS.
    pub async fn start(jobs: &[(&str, usize)], compute_threads: usize) -> Result<LocalCluster> {
        LocalCluster::start_with(jobs, compute_threads, TransportConfig::default()).await
    }

    /// The same, every task with the transport settings `transport`.
    pub async fn start_with(jobs: &[(&str, usize)], compute_threads: usize, transport: TransportConfig) -> Result<LocalCluster> {
        let mut listeners = Vec::new();
        let mut cluster = ClusterSpec::new();
        for (job, count) in jobs {
            let mut addresses = Vec::new();
            for task in 0..*count {
                let listener = TcpListener::bind("127.0.0.1:0").await?;
                addresses.push(listener.local_addr()?.to_string());
                listeners.push((job.to_string(), task as i32, listener));
            }
            cluster.add_job(job, addresses).map_err(|e| anyhow::anyhow!("{e}"))?;
        }
        let mut tasks = Vec::new();
        for (job, task, listener) in listeners {
            let config = TaskConfig { cluster: cluster.clone(), job: job.clone(), task, compute_threads, transport: transport.clone() };
            tasks.push((job, task, TaskServer::start_on(config, listener).await?));
        }
        Ok(LocalCluster { cluster, tasks })
    }

    /// The server of a task.
    pub fn task(&self, job: &str, index: i32) -> Option<&TaskServer> {
        self.tasks.iter().find(|(j, t, _)| j == job && *t == index).map(|(_, _, s)| s)
    }

    /// `host:port` of a task.
    pub fn address(&self, job: &str, index: i32) -> Option<String> {
        self.cluster.address(job, index).map(str::to_string)
    }

    pub async fn shutdown(self) -> Result<()> {
        for (_, _, server) in self.tasks {
            server.shutdown().await?;
        }
        Ok(())
    }
}
