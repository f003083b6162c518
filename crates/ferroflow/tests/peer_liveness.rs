//! Hung peers, with `ferroflow server` processes on loopback: a worker frozen with SIGSTOP in the
//! middle of a step fails that step within 5 s (the default `--peer-timeout`) with UNAVAILABLE
//! naming it, while another session of the same master goes on; after SIGCONT the cluster serves
//! again. And a step that waits 20 s on a slow producer, with `--peer-timeout 2s` everywhere, is
//! not cut — yet the same connections find the producer within seconds once it is frozen.

mod common;

use common::*;
use ferroflow_distributed::WorkerInterface;
use ferroflow_framework::node_def::{NodeDefBuilder, const_node};
use ferroflow_framework::{Code, DType, Tensor, tensor_from_proto};
use ferroflow_grpc::ChannelOptions;
use ferroflow_proto as pb;
use std::time::{Duration, Instant};

fn matmul(name: &str, a: &str, b: &str, device: &str) -> pb::NodeDef {
    NodeDefBuilder::new(name, "MatMul")
        .input(a)
        .input(b)
        .device(device)
        .attr_type("T", DType::Float)
        .attr_bool("transpose_a", false)
        .attr_bool("transpose_b", false)
        .build()
}

fn sum_all(name: &str, input: &str, device: &str) -> Vec<pb::NodeDef> {
    vec![
        const_node(&format!("{name}_axes"), &Tensor::from_vec(vec![2], vec![0i32, 1]).unwrap()).device(device).build(),
        NodeDefBuilder::new(name, "Sum")
            .input(input)
            .input(&format!("{name}_axes"))
            .device(device)
            .attr_type("T", DType::Float)
            .attr_type("Tidx", DType::Int32)
            .attr_bool("keep_dims", false)
            .build(),
    ]
}

/// `matmuls` 1024x1024 MatMuls in a chain on task 0, summed on task 1 (the fetch).
fn long_cross_worker_graph(matmuls: usize) -> pb::GraphDef {
    let (d0, d1) = (cpu("worker", 0), cpu("worker", 1));
    let x = Tensor::from_vec(vec![1024, 1024], vec![1e-3f32; 1024 * 1024]).unwrap();
    let mut nodes = vec![const_node("x", &x).device(&d0).build()];
    let mut last = "x".to_string();
    for i in 0..matmuls {
        let name = format!("m{i}");
        nodes.push(matmul(&name, &last, "x", &d0));
        last = name;
    }
    nodes.extend(sum_all("out", &last, &d1));
    graph(nodes)
}

/// 2 * 3 on task 0 only.
fn task0_graph() -> pb::GraphDef {
    let d0 = cpu("worker", 0);
    graph(vec![
        const_node("two", &Tensor::scalar(2.0f32)).device(&d0).build(),
        const_node("three", &Tensor::scalar(3.0f32)).device(&d0).build(),
        NodeDefBuilder::new("six", "Mul").input("two").input("three").device(&d0).attr_type("T", DType::Float).build(),
    ])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frozen_worker_fails_the_step_within_5s_naming_it_and_other_sessions_go_on() {
    let (p0, p1) = (free_port(), free_port());
    let cluster = vec![format!("worker=127.0.0.1:{p0},127.0.0.1:{p1}")];
    let _s0 = spawn_server(&cluster, "worker", 0);
    let s1 = spawn_server(&cluster, "worker", 1);
    connect_when_ready(&format!("127.0.0.1:{p0}")).await;
    connect_when_ready(&format!("127.0.0.1:{p1}")).await;
    let master = master_client(&format!("127.0.0.1:{p0}"));
    let long_session = create_session(&master, long_cross_worker_graph(400)).await;
    let other_session = create_session(&master, task0_graph()).await;
    assert_eq!(run_step(&master, &other_session, "six:0").await.unwrap(), 6.0);

    let step = tokio::spawn({
        let (master, session) = (master.clone(), long_session.clone());
        async move { run_step(&master, &session, "out:0").await }
    });
    tokio::time::sleep(Duration::from_secs(1)).await;
    s1.signal(libc::SIGSTOP);
    let frozen_at = Instant::now();
    // The master's other session, on task 0 only, goes on meanwhile.
    for _ in 0..3 {
        assert_eq!(run_step(&master, &other_session, "six:0").await.unwrap(), 6.0);
    }
    let status = step.await.unwrap().expect_err("the step on a frozen worker cannot succeed");
    let waited = frozen_at.elapsed();
    eprintln!("step failed {waited:?} after the freeze: {status:?}");
    assert_eq!(status.code(), tonic::Code::Unavailable, "{status:?}");
    assert!(status.message().contains("/job:worker/replica:0/task:1") && status.message().contains("is not responding"), "{}", status.message());
    assert!(waited < Duration::from_secs(5), "the step failed {waited:?} after the freeze");

    s1.signal(libc::SIGCONT);
    assert_eq!(run_step(&master, &other_session, "six:0").await.unwrap(), 6.0);
    let again = create_session(&master, long_cross_worker_graph(2)).await;
    let sum = run_step(&master, &again, "out:0").await.expect("the cluster serves again after SIGCONT");
    // x @ x @ x with x = 1e-3 everywhere: every element 1024^2 * 1e-9, summed over 1024^2 of them.
    let want = (1024f64.powi(4) * 1e-9) as f32;
    assert!((sum - want).abs() < 1e-3 * want, "{sum} vs {want}");
}

/// The partitions of a step: task 0 sends `m` = x @ w (fed x) to task 1, which adds a MatMul
/// chain of its own (CPU load while it waits) and returns both to the client.
fn slow_producer_partitions(inc0: u64, inc1: u64) -> (pb::GraphDef, pb::GraphDef) {
    let (d0, d1) = (cpu("worker", 0), cpu("worker", 1));
    let part0 = graph(vec![
        recv("x", "x", &d0, inc0, &d0, true),
        const_node("w", &Tensor::from_vec(vec![2, 2], vec![1.0f32, 2.0, 3.0, 4.0]).unwrap()).device(&d0).build(),
        matmul("m", "x", "w", &d0),
        send("m_send", "m", "edge_m", &d0, inc0, &d1, false),
    ]);
    let mut nodes = vec![
        recv("m_recv", "edge_m", &d0, inc0, &d1, false),
        send("m_out", "m_recv", "m_out", &d1, inc1, &d1, true),
        const_node("load", &Tensor::from_vec(vec![512, 512], vec![1e-3f32; 512 * 512]).unwrap()).device(&d1).build(),
    ];
    let mut last = "load".to_string();
    for i in 0..200 {
        let name = format!("l{i}");
        nodes.push(matmul(&name, &last, "load", &d1));
        last = name;
    }
    nodes.extend(sum_all("load_sum", &last, &d1));
    nodes.push(send("load_out", "load_sum", "load_out", &d1, inc1, &d1, true));
    (part0, graph(nodes))
}

fn run_request(handle: &str, step_id: i64) -> pb::RunGraphRequest {
    pb::RunGraphRequest {
        session_handle: "sess".into(),
        create_worker_session_called: true,
        graph_handle: handle.into(),
        step_id,
        store_errors_in_response_body: true,
        request_id: rand::random(),
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_20s_wait_on_a_live_producer_is_not_cut_by_a_2s_peer_timeout() {
    let (p0, p1) = (free_port(), free_port());
    let cluster = vec![format!("worker=127.0.0.1:{p0},127.0.0.1:{p1}")];
    let s0 = spawn_server_with(&cluster, "worker", 0, &["--peer-timeout", "2s"], std::process::Stdio::null());
    let _s1 = spawn_server_with(&cluster, "worker", 1, &["--peer-timeout", "2s"], std::process::Stdio::null());
    let options = ChannelOptions { peer_timeout: Duration::from_secs(2), tls: None };
    let w0 = connect_when_ready_with(&format!("127.0.0.1:{p0}"), options.clone()).await;
    let w1 = connect_when_ready_with(&format!("127.0.0.1:{p1}"), options).await;
    let (d0, d1) = (cpu("worker", 0), cpu("worker", 1));
    let (inc0, inc1) = (incarnation(&w0).await, incarnation(&w1).await);
    for w in [&w0, &w1] {
        w.create_worker_session(pb::CreateWorkerSessionRequest { session_handle: "sess".into(), ..Default::default() }).await.unwrap();
    }
    let (part0, part1) = slow_producer_partitions(inc0, inc1);
    let mut handles = Vec::new();
    for (w, g) in [(&w0, part0), (&w1, part1)] {
        let request = pb::RegisterGraphRequest { session_handle: "sess".into(), create_worker_session_called: true, graph_def: Some(g), ..Default::default() };
        handles.push(w.register_graph(request).await.unwrap().graph_handle);
    }
    let (key_x, key_m, key_load) = (key(&d0, inc0, &d0, "x"), key(&d1, inc1, &d1, "m_out"), key(&d1, inc1, &d1, "load_out"));
    let x = Tensor::from_vec(vec![2, 2], vec![1.0f32, 0.0, 0.0, 1.0]).unwrap();
    let run0 = |step_id| {
        let mut r = run_request(&handles[0], step_id);
        r.send = vec![pb::NamedTensorProto { name: key_x.clone(), tensor: Some(ferroflow_framework::tensor_to_proto(&x).unwrap()) }];
        w0.run_graph(r)
    };
    let run1 = |step_id| {
        let mut r = run_request(&handles[1], step_id);
        r.recv_key = vec![key_m.clone(), key_load.clone()];
        w1.run_graph(r)
    };

    // A first step at once: task 1 then knows task 0 accepts PINGs, and pings it freely after.
    let (r0, r1) = tokio::join!(run0(1), run1(1));
    assert_eq!((r0.unwrap().status_code, r1.as_ref().unwrap().status_code), (0, 0), "{:?}", r1);

    // Task 1's RunGraph, and its RecvTensor to task 0, wait 20 s for the producer.
    let started = Instant::now();
    let waiting = run1(2);
    let producer = async {
        tokio::time::sleep(Duration::from_secs(20)).await;
        run0(2).await
    };
    let (r1, r0) = tokio::join!(waiting, producer);
    let (r0, r1) = (r0.unwrap(), r1.unwrap());
    assert_eq!(r0.status_code, 0, "{}", r0.status_error_message);
    assert_eq!(r1.status_code, 0, "{}", r1.status_error_message);
    assert!(started.elapsed() >= Duration::from_secs(20));
    let m = tensor_from_proto(r1.recv.iter().find(|t| t.name == key_m).unwrap().tensor.as_ref().unwrap()).unwrap();
    assert_eq!(m.values::<f32>().unwrap().as_ref(), &[1.0, 2.0, 3.0, 4.0]);

    // The same wait on a frozen producer: task 1 finds it within its 2 s peer timeout.
    s0.signal(libc::SIGSTOP);
    let frozen_at = Instant::now();
    let r1 = run1(3).await.unwrap();
    let waited = frozen_at.elapsed();
    s0.signal(libc::SIGCONT);
    eprintln!("task 1 found the frozen producer after {waited:?}: {}", r1.status_error_message);
    assert_eq!(r1.status_code, Code::Unavailable as i32, "{}", r1.status_error_message);
    assert!(
        r1.status_error_message.contains("/job:worker/replica:0/task:0") && r1.status_error_message.contains("is not responding"),
        "{}",
        r1.status_error_message
    );
    assert!(waited < Duration::from_secs(4), "task 1 found the frozen producer after {waited:?}");
}
