//! `ferroflow`: run a task of a TensorFlow cluster (see `ferroflow --help`).

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use ferroflow::config::{cluster_from_flags, from_tf_config, parse_duration};
use ferroflow::logging::LogFormat;
use ferroflow::{TaskConfig, TaskServer, TransportConfig};
use ferroflow_grpc::tls::TlsIdentity;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// jemalloc keeps freed pages for reuse for a while instead of handing them back to the kernel at
/// once: a step that allocates a 64 MiB tensor again then finds its pages ready rather than
/// faulting in (and zeroing) 16,384 fresh ones.
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// jemalloc's options: large allocations (tensors) live in the ordinary arenas, whose freed pages
/// are kept for reuse for a few seconds, rather than in the oversize arena, which returns them at once.
#[cfg(not(target_env = "msvc"))]
#[unsafe(export_name = "_rjem_malloc_conf")]
pub static JEMALLOC_CONF: &u8 = &b"oversize_threshold:0\0"[0];

/// TensorFlow's distributed runtime, rebuilt in Rust. Speaks TF 2.21's gRPC protocol
/// (tensorflow.WorkerService), so stock TensorFlow masters and workers can share a cluster with it.
#[derive(Parser)]
#[command(name = "ferroflow", version, about, long_about = None)]
struct Cli {
    /// Threads serving the network (gRPC calls, transfers, waits); kernels run on their own compute
    /// threads and large copies on a blocking pool. With one (the default) the thread that reads a
    /// call also answers it, with no hand-off between threads: an empty call's round trip measured
    /// 28 us, against 150 us with two. More threads may help a task that serves many transfers at
    /// once on a machine with many cores.
    #[arg(long, global = true, env = "FERROFLOW_IO_THREADS", default_value_t = 1)]
    io_threads: usize,
    /// Log lines on stderr: text (coloured only when stderr is a terminal) or json (one object
    /// per line, for log shippers). The level is set with RUST_LOG (default: info).
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run one task of a cluster: serve tensorflow.WorkerService on the task's address.
    ///
    /// The cluster is given as TF's ClusterSpec, one --cluster flag per job, tasks numbered in the
    /// order listed, e.g.
    ///   ferroflow server --cluster master=127.0.0.1:2220 --cluster worker=127.0.0.1:2222,127.0.0.1:2223 --job worker --task 1
    /// Without --cluster, the TF_CONFIG environment variable is read as TensorFlow does:
    ///   TF_CONFIG='{"cluster": {"worker": ["127.0.0.1:2222"]}, "task": {"type": "worker", "index": 0}}'
    /// With --tls-cert/--tls-key/--tls-ca the task serves and calls over TLS with mutual
    /// authentication; --plaintext-local-port adds a plaintext listener on loopback.
    /// The server logs to stderr (RUST_LOG=debug for more) and stops cleanly on SIGINT or SIGTERM.
    Server {
        /// A job of the cluster: JOB=HOST:PORT[,HOST:PORT...]. Repeat for each job.
        #[arg(long = "cluster", value_name = "JOB=HOST:PORT,...")]
        cluster: Vec<String>,
        /// The job of this task (default: from TF_CONFIG).
        #[arg(long)]
        job: Option<String>,
        /// The index of this task in its job (default: from TF_CONFIG, else 0).
        #[arg(long)]
        task: Option<i32>,
        /// Threads that run kernels (0: one per core).
        #[arg(long, default_value_t = 0)]
        compute_threads: usize,
        #[command(flatten)]
        peer: PeerTimeoutArg,
        #[command(flatten)]
        tls: TlsArgs,
    },
    /// Run a whole cluster in this process: a master task and N worker tasks on free loopback
    /// ports. Prints the grpc:// target for clients, e.g.
    ///   tf.compat.v1.Session("grpc://127.0.0.1:PORT")
    /// with ops placed on /job:worker/task:0 .. task:N-1. Stops on SIGINT or SIGTERM.
    Local {
        /// Number of worker tasks.
        #[arg(long, default_value_t = 2)]
        workers: usize,
        /// Threads that run kernels, per task (0: one per core).
        #[arg(long, default_value_t = 0)]
        compute_threads: usize,
        #[command(flatten)]
        peer: PeerTimeoutArg,
    },
    /// Benchmark ferroflow workers (and stock TF workers, side by side, given --tf-python):
    /// start-up, idle memory, a cross-worker step, RecvTensor throughput at 1 MiB and 256 MiB, MatMul.
    Bench {
        /// A Python with tensorflow-cpu 2.21 installed (scripts/setup-tf-venv.sh prints one).
        #[arg(long)]
        tf_python: Option<std::path::PathBuf>,
        /// Fewer iterations: a quick smoke run.
        #[arg(long)]
        quick: bool,
        /// Print the figures as JSON instead of a table.
        #[arg(long)]
        json: bool,
        /// Run only these benchmarks (repeatable): rpc, step, recv1m, recv256m, matmul.
        #[arg(long, value_parser = ["rpc", "step", "recv1m", "recv256m", "matmul"])]
        only: Vec<String>,
    },
}

#[derive(clap::Args)]
struct PeerTimeoutArg {
    /// A peer task that stops answering fails every call waiting on it within this time, with
    /// UNAVAILABLE naming the task: while calls are pending, peers are sent HTTP/2 PINGs, and one
    /// left unanswered ends the connection. Long calls to live peers are never cut. Connecting to
    /// a peer may take this long too. Units: ms, s, m.
    #[arg(long, value_name = "DURATION", value_parser = parse_peer_timeout, default_value = "5s")]
    peer_timeout: Duration,
}

fn parse_peer_timeout(text: &str) -> std::result::Result<Duration, String> {
    parse_duration(text).map_err(|e| e.to_string())
}

/// TLS between tasks (ferroflow tasks only: stock TF tasks speak plaintext).
#[derive(clap::Args)]
struct TlsArgs {
    /// Serve and call over TLS with this certificate (PEM; chain with the task's own first). It
    /// must name the task's host as the cluster definition writes it (DNS name or IP address) and
    /// be valid for server and client authentication.
    #[arg(long, value_name = "FILE", requires_all = ["tls_key", "tls_ca"])]
    tls_cert: Option<PathBuf>,
    /// The private key of --tls-cert (PEM: PKCS#8, PKCS#1 or SEC1).
    #[arg(long, value_name = "FILE", requires_all = ["tls_cert", "tls_ca"])]
    tls_key: Option<PathBuf>,
    /// The CA certificate(s) of the cluster (PEM): peers must present a certificate it signed,
    /// clients included (mutual authentication).
    #[arg(long, value_name = "FILE", requires_all = ["tls_cert", "tls_key"])]
    tls_ca: Option<PathBuf>,
    /// With TLS, also serve plaintext on 127.0.0.1:PORT (0: any free port, logged), so clients
    /// on this host without certificates, such as stock TensorFlow, can still connect.
    #[arg(long, value_name = "PORT", requires = "tls_cert")]
    plaintext_local_port: Option<u16>,
}

impl TlsArgs {
    fn transport(self, peer: PeerTimeoutArg) -> Result<TransportConfig> {
        let tls = match (self.tls_cert, self.tls_key, self.tls_ca) {
            (Some(cert), Some(key), Some(ca)) => Some(Arc::new(TlsIdentity::from_files(&cert, &key, &ca).map_err(|e| anyhow::anyhow!("{}", e.message))?)),
            _ => None,
        };
        Ok(TransportConfig { peer_timeout: peer.peer_timeout, tls, plaintext_local_port: self.plaintext_local_port })
    }
}

fn task_config(cluster: Vec<String>, job: Option<String>, task: Option<i32>, compute_threads: usize, transport: TransportConfig) -> Result<TaskConfig> {
    let (cluster, env_job, env_task) = if cluster.is_empty() {
        let tf_config = std::env::var("TF_CONFIG").context("no --cluster flags and no TF_CONFIG environment variable")?;
        let (c, j, t) = from_tf_config(&tf_config)?;
        (c, Some(j), Some(t))
    } else {
        (cluster_from_flags(&cluster)?, None, None)
    };
    let Some(job) = job.or(env_job) else { bail!("--job is required with --cluster") };
    Ok(TaskConfig { cluster, job, task: task.or(env_task).unwrap_or(0), compute_threads, transport })
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("SIGTERM handler installs");
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}

/// Runs the command; a failure is reported as one line (`ferroflow: what failed: why`), without
/// a backtrace: start-up errors are a user's to fix (a bad flag, a taken port).
fn main() -> std::process::ExitCode {
    match run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ferroflow: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run() -> Result<()> {
    let cli = Cli::parse();
    ferroflow::logging::init(cli.log_format);
    let io_threads = cli.io_threads.max(1);
    // One I/O thread: a current-thread runtime, where the thread that reads a request also runs its
    // handler and writes the reply (a multi-thread runtime with one worker still hands tasks between
    // threads, measured at 255-315 us against 220-235 us for a cross-worker step here).
    let mut builder = if io_threads == 1 { tokio::runtime::Builder::new_current_thread() } else { tokio::runtime::Builder::new_multi_thread() };
    if io_threads > 1 {
        builder.worker_threads(io_threads);
    }
    let runtime = builder.enable_all().thread_name("ferroflow-io").build()?;
    runtime.block_on(async {
        match cli.command {
            Command::Server { cluster, job, task, compute_threads, peer, tls } => {
                let config = task_config(cluster, job, task, compute_threads, tls.transport(peer)?)?;
                let mut server = TaskServer::start(config).await?;
                tokio::select! {
                    r = server.wait() => r?,
                    _ = shutdown_signal() => {
                        tracing::info!("shutting down");
                        server.shutdown().await?;
                    }
                }
                Ok(())
            }
            Command::Local { workers, compute_threads, peer } => {
                let transport = TransportConfig { peer_timeout: peer.peer_timeout, ..TransportConfig::default() };
                let cluster = ferroflow::LocalCluster::start_with(&[("master", 1), ("worker", workers)], compute_threads, transport).await?;
                let master = cluster.address("master", 0).context("master task missing")?;
                println!("grpc://{master}");
                for (job, task, server) in &cluster.tasks {
                    eprintln!("  /job:{job}/replica:0/task:{task} on {}", server.local_addr());
                }
                use std::io::Write;
                std::io::stdout().flush()?;
                shutdown_signal().await;
                tracing::info!("shutting down");
                cluster.shutdown().await?;
                Ok(())
            }
            Command::Bench { tf_python, quick, json, only } => {
                let report = ferroflow::bench::run(&ferroflow::bench::BenchOptions { tf_python, quick, only }).await?;
                if json {
                    println!("{}", serde_json::to_string_pretty(&report)?);
                } else {
                    print!("{}", ferroflow::bench::render(&report));
                }
                Ok(())
            }
        }
    })
}
