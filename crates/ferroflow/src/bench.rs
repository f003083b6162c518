//! `ferroflow bench`: the same worker-level workload run against two `ferroflow server` processes
//! and, when a Python with TensorFlow 2.21 is given, two stock TF worker processes, in one run —
//! so the figures are side by side on the same machine. The harness plays the master with
//! ferroflow's gRPC client: it registers identical partitions on either implementation and times
//! `RunGraph` steps.
//!
//! Measured: start-up (spawn to first `GetStatus` answer), idle RSS, a step whose tensor crosses two
//! workers and is fetched by the client, `RecvTensor` transfer at 1 MiB and 256 MiB, and MatMul.

use anyhow::{Context, Result, bail};
use ferroflow_distributed::WorkerInterface;
use ferroflow_framework::node_def::{NodeDefBuilder, Transfer, const_node};
use ferroflow_framework::{DType, Tensor, tensor_from_proto};
use ferroflow_grpc::GrpcWorker;
use ferroflow_proto as pb;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The stock TF task launcher, shipped inside the binary so the bench needs no checkout.
const TF_TASK_SCRIPT: &str = include_str!("../../../tests/interop/tf_task.py");

/// What to run.
#[derive(Debug, Clone)]
pub struct BenchOptions {
    /// A Python with TensorFlow 2.21 installed; without it only ferroflow is measured.
    pub tf_python: Option<PathBuf>,
    /// Fewer iterations (for a smoke run).
    pub quick: bool,
    /// Names of the benchmarks to run (`rpc`, `step`, `recv1m`, `recv256m`, `matmul`); empty: all.
    /// Figures of the others are NaN.
    pub only: Vec<String>,
}

/// One implementation's figures.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Figures {
    pub startup_ms: f64,
    pub idle_rss_mib: f64,
    pub rpc_round_trip_us: f64,
    pub cross_worker_step_us: f64,
    pub recv_1mib_gbps: f64,
    pub recv_256mib_gbps: f64,
    pub matmul_1024_gflops: f64,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Report {
    pub ferroflow: Figures,
    pub tensorflow: Option<Figures>,
}

enum Implementation {
    Ferroflow,
    TensorFlow(PathBuf, PathBuf),
}

struct Task {
    child: Child,
    client: GrpcWorker,
    device: String,
    incarnation: u64,
}

impl Drop for Task {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn rss_mib(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok()))
        .map(|kib| kib / 1024.0)
        .unwrap_or(f64::NAN)
}

/// Starts worker tasks 0 and 1; returns them with the start-up time and idle RSS of task 0.
async fn start_pair(imp: &Implementation) -> Result<(Vec<Task>, f64, f64)> {
    let ports = [free_port()?, free_port()?];
    let addresses: Vec<String> = ports.iter().map(|p| format!("127.0.0.1:{p}")).collect();
    let mut tasks = Vec::new();
    let mut startup = 0.0;
    for index in 0..2 {
        let mut cmd = match imp {
            Implementation::Ferroflow => {
                let mut c = Command::new(std::env::current_exe()?);
                c.args(["server", "--cluster", &format!("worker={}", addresses.join(",")), "--job", "worker", "--task", &index.to_string()]);
                c
            }
            Implementation::TensorFlow(python, script) => {
                let mut c = Command::new(python);
                c.arg(script).args(["worker", &index.to_string(), &format!("{{\"worker\": [\"{}\", \"{}\"]}}", addresses[0], addresses[1])]);
                c
            }
        };
        cmd.stdout(Stdio::null()).stderr(if std::env::var_os("FERROFLOW_BENCH_STDERR").is_some() { Stdio::inherit() } else { Stdio::null() });
        let started = Instant::now();
        let child = cmd.spawn().context("cannot start a worker task")?;
        let client = GrpcWorker::connect_lazy(&addresses[index])?;
        let status = loop {
            match client.get_status(pb::GetStatusRequest {}).await {
                Ok(s) => break s,
                Err(_) if started.elapsed() < Duration::from_secs(120) => tokio::time::sleep(Duration::from_millis(2)).await,
                Err(e) => bail!("worker {index} did not start: {e}"),
            }
        };
        if index == 0 {
            startup = started.elapsed().as_secs_f64() * 1e3;
        }
        let device = status.device_attributes.iter().find(|d| d.device_type == "CPU").context("no CPU device")?;
        tasks.push(Task { device: device.name.clone(), incarnation: device.incarnation, child, client });
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss = rss_mib(tasks[0].child.id());
    for (index, t) in tasks.iter().enumerate() {
        t.client
            .create_worker_session(pb::CreateWorkerSessionRequest {
                session_handle: "bench".into(),
                server_def: Some(pb::ServerDef { job_name: "worker".into(), task_index: index as i32, protocol: "grpc".into(), ..Default::default() }),
                ..Default::default()
            })
            .await?;
    }
    Ok((tasks, startup, rss))
}

fn graph(nodes: Vec<pb::NodeDef>) -> pb::GraphDef {
    pb::GraphDef { node: nodes, versions: Some(pb::VersionDef { producer: 2474, ..Default::default() }), version: 0, library: None }
}

async fn register(task: &Task, nodes: Vec<pb::NodeDef>) -> Result<String> {
    let resp = task
        .client
        .register_graph(pb::RegisterGraphRequest {
            session_handle: "bench".into(),
            create_worker_session_called: true,
            graph_def: Some(graph(nodes)),
            ..Default::default()
        })
        .await?;
    Ok(resp.graph_handle)
}

fn run_request(handle: &str, step_id: i64, recv_key: Vec<String>) -> pb::RunGraphRequest {
    pb::RunGraphRequest {
        session_handle: "bench".into(),
        create_worker_session_called: true,
        graph_handle: handle.into(),
        step_id,
        recv_key,
        store_errors_in_response_body: true,
        request_id: rand::random::<i64>() & i64::MAX,
        ..Default::default()
    }
}

fn check(resp: &pb::RunGraphResponse) -> Result<()> {
    if resp.status_code != 0 {
        bail!("step failed: {}", resp.status_error_message);
    }
    Ok(())
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// Median seconds of a step of `h0` on task 0 and `h1` on task 1 run together (plus cleanup).
async fn time_pair(tasks: &[Task], h0: &str, h1: &str, recv1: Vec<String>, iters: usize) -> Result<f64> {
    let mut times = Vec::with_capacity(iters);
    for i in 0..iters + 2 {
        let step_id = rand::random::<i64>() & i64::MAX;
        let started = Instant::now();
        let (r0, r1) = tokio::join!(
            tasks[0].client.run_graph(run_request(h0, step_id, vec![])),
            tasks[1].client.run_graph(run_request(h1, step_id, recv1.clone()))
        );
        check(&r0?)?;
        let r1 = r1?;
        check(&r1)?;
        for key in &recv1 {
            let t = r1.recv.iter().find(|n| &n.name == key).context("fetched tensor missing")?;
            tensor_from_proto(t.tensor.as_ref().context("no tensor")?)?;
        }
        if i >= 2 {
            times.push(started.elapsed().as_secs_f64());
        }
        let (_, _) = tokio::join!(
            tasks[0].client.cleanup_graph(pb::CleanupGraphRequest { step_id }),
            tasks[1].client.cleanup_graph(pb::CleanupGraphRequest { step_id })
        );
    }
    Ok(median(times))
}

/// A tensor of `bytes` bytes crossing from task 0 to task 1 each step.
async fn transfer(tasks: &[Task], bytes: usize, iters: usize, tag: &str) -> Result<f64> {
    let n = bytes / 4;
    let big = Tensor::from_vec(vec![n as i64], (0..n).map(|i| i as f32).collect::<Vec<_>>())?;
    let edge = format!("edge_{tag}");
    let t = Transfer {
        dtype: DType::Float,
        tensor_name: &edge,
        send_device: &tasks[0].device,
        send_device_incarnation: tasks[0].incarnation,
        recv_device: &tasks[1].device,
        client_terminated: false,
    };
    let h0 = register(&tasks[0], vec![const_node("big", &big).device(&tasks[0].device).build(), t.send_node("big_send", "big").build()]).await?;
    let h1 = register(&tasks[1], vec![t.recv_node("big_recv").build()]).await?;
    let secs = time_pair(tasks, &h0, &h1, vec![], iters).await?;
    Ok(bytes as f64 / secs / 1e9)
}

/// A small tensor computed on task 0, sent to task 1, computed on and fetched from task 1.
async fn cross_worker_step(tasks: &[Task], iters: usize) -> Result<f64> {
    let (d0, d1) = (&tasks[0].device, &tasks[1].device);
    let cross = Transfer { dtype: DType::Float, tensor_name: "edge_x", send_device: d0, send_device_incarnation: tasks[0].incarnation, recv_device: d1, client_terminated: false };
    let fetch = Transfer { dtype: DType::Float, tensor_name: "y", send_device: d1, send_device_incarnation: tasks[1].incarnation, recv_device: d1, client_terminated: true };
    let m = Tensor::from_vec(vec![2, 2], vec![1.0f32, 2.0, 3.0, 4.0])?;
    let h0 = register(
        &tasks[0],
        vec![
            const_node("a", &m).device(d0).build(),
            NodeDefBuilder::new("x", "AddV2").input("a").input("a").device(d0).attr_type("T", DType::Float).build(),
            cross.send_node("x_send", "x").build(),
        ],
    )
    .await?;
    let h1 = register(
        &tasks[1],
        vec![
            cross.recv_node("x_recv").build(),
            NodeDefBuilder::new("y", "Mul").input("x_recv").input("x_recv").device(d1).attr_type("T", DType::Float).build(),
            fetch.send_node("y_send", "y").build(),
        ],
    )
    .await?;
    Ok(time_pair(tasks, &h0, &h1, vec![fetch.key().as_str().to_string()], iters).await? * 1e6)
}

/// Median round trip of an empty call (`GetStatus`) to task 0.
async fn round_trip(tasks: &[Task], iters: usize) -> Result<f64> {
    let mut times = Vec::with_capacity(iters);
    for _ in 0..iters {
        let started = Instant::now();
        tasks[0].client.get_status(pb::GetStatusRequest {}).await?;
        times.push(started.elapsed().as_secs_f64());
    }
    Ok(median(times) * 1e6)
}

/// A 1024x1024 float MatMul on task 0 (task 1 idles).
async fn matmul(tasks: &[Task], iters: usize) -> Result<f64> {
    let n = 1024usize;
    let a = Tensor::from_vec(vec![n as i64, n as i64], (0..n * n).map(|i| ((i % 7) as f32) * 0.25).collect::<Vec<_>>())?;
    let d0 = &tasks[0].device;
    let h0 = register(
        &tasks[0],
        vec![
            const_node("a", &a).device(d0).build(),
            NodeDefBuilder::new("m", "MatMul").input("a").input("a").device(d0).attr_type("T", DType::Float).build(),
        ],
    )
    .await?;
    let h1 = register(&tasks[1], vec![NodeDefBuilder::new("idle", "NoOp").device(&tasks[1].device).build()]).await?;
    let secs = time_pair(tasks, &h0, &h1, vec![], iters).await?;
    Ok(2.0 * (n as f64).powi(3) / secs / 1e9)
}

async fn measure(imp: &Implementation, opts: &BenchOptions) -> Result<Figures> {
    let (tasks, startup_ms, idle_rss_mib) = start_pair(imp).await?;
    let scale = |n: usize| if opts.quick { (n / 10).max(2) } else { n };
    let wanted = |name: &str| opts.only.is_empty() || opts.only.iter().any(|o| o == name);
    let mut figures = Figures { startup_ms, idle_rss_mib, ..Figures::default() };
    figures.rpc_round_trip_us = if wanted("rpc") { round_trip(&tasks, scale(1000)).await? } else { f64::NAN };
    figures.cross_worker_step_us = if wanted("step") { cross_worker_step(&tasks, scale(1000)).await? } else { f64::NAN };
    figures.recv_1mib_gbps = if wanted("recv1m") { transfer(&tasks, 1 << 20, scale(300), "1m").await? } else { f64::NAN };
    figures.recv_256mib_gbps = if wanted("recv256m") { transfer(&tasks, 256 << 20, scale(10), "256m").await? } else { f64::NAN };
    figures.matmul_1024_gflops = if wanted("matmul") { matmul(&tasks, scale(30)).await? } else { f64::NAN };
    Ok(figures)
}

/// Runs the benchmarks (TF first when given, then ferroflow).
pub async fn run(opts: &BenchOptions) -> Result<Report> {
    let tensorflow = match &opts.tf_python {
        Some(python) => {
            let dir = std::env::temp_dir().join(format!("ferroflow-bench-{}", std::process::id()));
            std::fs::create_dir_all(&dir)?;
            let script = dir.join("tf_task.py");
            std::fs::write(&script, TF_TASK_SCRIPT)?;
            let figures = measure(&Implementation::TensorFlow(python.clone(), script), opts).await;
            let _ = std::fs::remove_dir_all(&dir);
            Some(figures?)
        }
        None => None,
    };
    let ferroflow = measure(&Implementation::Ferroflow, opts).await?;
    Ok(Report { ferroflow, tensorflow })
}

/// The report as a table; the ratio column says how many times better ferroflow is.
pub fn render(report: &Report) -> String {
    let f = &report.ferroflow;
    let rows: [(&str, f64, Option<f64>, bool); 7] = [
        ("start-up to first GetStatus (ms)", f.startup_ms, report.tensorflow.as_ref().map(|t| t.startup_ms), false),
        ("idle RSS (MiB)", f.idle_rss_mib, report.tensorflow.as_ref().map(|t| t.idle_rss_mib), false),
        ("empty RPC round trip, median (us)", f.rpc_round_trip_us, report.tensorflow.as_ref().map(|t| t.rpc_round_trip_us), false),
        ("cross-worker step, median (us)", f.cross_worker_step_us, report.tensorflow.as_ref().map(|t| t.cross_worker_step_us), false),
        ("RecvTensor 1 MiB (GB/s)", f.recv_1mib_gbps, report.tensorflow.as_ref().map(|t| t.recv_1mib_gbps), true),
        ("RecvTensor 256 MiB (GB/s)", f.recv_256mib_gbps, report.tensorflow.as_ref().map(|t| t.recv_256mib_gbps), true),
        ("MatMul 1024x1024 f32 (GFLOP/s)", f.matmul_1024_gflops, report.tensorflow.as_ref().map(|t| t.matmul_1024_gflops), true),
    ];
    let mut out = format!("{:<34} {:>12} {:>12} {:>14}\n", "benchmark", "ferroflow", "tensorflow", "ff advantage");
    for (name, ff, tf, higher_is_better) in rows {
        let (tf_s, ratio) = match tf {
            Some(tf) => {
                let r = if higher_is_better { ff / tf } else { tf / ff };
                (format!("{tf:.2}"), format!("{r:.2}x"))
            }
            None => ("-".into(), "-".into()),
        };
        out.push_str(&format!("{name:<34} {ff:>12.2} {tf_s:>12} {ratio:>14}\n"));
    }
    out
}
