//! Bad input over the wire gets the error code and message TF gives, and the server keeps serving:
//! unknown op, wrong dtype attr, malformed tensors, unknown inputs and devices, cycles, unknown
//! graph handles and sessions, malformed and stale rendezvous keys, retried requests, kernel errors
//! in a step (reported in the body, and to peers waiting on the step's tensors), and malformed gRPC
//! messages (undecodable, compressed, cut short) sent to the calls that carry tensors.

mod common;

use common::*;
use ferroflow::LocalCluster;
use ferroflow_distributed::WorkerInterface;
use ferroflow_framework::node_def::{NodeDefBuilder, const_node};
use ferroflow_framework::{Code, DType, Error, Tensor, tensor_to_proto};
use ferroflow_grpc::GrpcWorker;
use ferroflow_proto as pb;

struct Fixture {
    _cluster: LocalCluster,
    w0: GrpcWorker,
    w1: GrpcWorker,
    inc0: u64,
    inc1: u64,
}

async fn fixture() -> Fixture {
    let cluster = LocalCluster::start(&[("worker", 2)], 1).await.unwrap();
    let w0 = connect_when_ready(&cluster.address("worker", 0).unwrap()).await;
    let w1 = connect_when_ready(&cluster.address("worker", 1).unwrap()).await;
    for w in [&w0, &w1] {
        w.create_worker_session(pb::CreateWorkerSessionRequest { session_handle: "s".into(), ..Default::default() })
            .await
            .unwrap();
    }
    let (inc0, inc1) = (incarnation(&w0).await, incarnation(&w1).await);
    Fixture { _cluster: cluster, w0, w1, inc0, inc1 }
}

async fn register(w: &GrpcWorker, nodes: Vec<pb::NodeDef>) -> Result<String, Error> {
    w.register_graph(pb::RegisterGraphRequest {
        session_handle: "s".into(),
        create_worker_session_called: true,
        graph_def: Some(graph(nodes)),
        ..Default::default()
    })
    .await
    .map(|r| r.graph_handle)
}

async fn still_serving(w: &GrpcWorker) {
    let status = w.get_status(pb::GetStatusRequest {}).await.expect("server still answers");
    assert_eq!(status.device_attributes.len(), 1);
}

fn expect(result: Result<String, Error>, code: Code, needle: &str) {
    let e = result.expect_err("request should fail");
    assert_eq!(e.code, code, "{}", e.message);
    assert!(e.message.contains(needle), "message {:?} should contain {needle:?}", e.message);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_graph_refuses_bad_graphs_with_tf_codes() {
    let f = fixture().await;
    let d0 = cpu("worker", 0);
    expect(register(&f.w0, vec![NodeDefBuilder::new("x", "NoSuchOp").device(&d0).build()]).await, Code::NotFound, "Op type not registered 'NoSuchOp'");
    let bad_dtype = NodeDefBuilder::new("m", "MatMul").input("a").input("a").attr_type("T", DType::String).device(&d0).build();
    let a = const_node("a", &Tensor::from_vec(vec![1, 1], vec![1.0f32]).unwrap()).device(&d0).build();
    expect(register(&f.w0, vec![a.clone(), bad_dtype]).await, Code::InvalidArgument, "attr 'T'");

    let mut short = tensor_to_proto(&Tensor::from_vec(vec![2, 2], vec![1.0f32; 4]).unwrap()).unwrap();
    short.tensor_content = short.tensor_content.slice(0..12);
    let malformed = NodeDefBuilder::new("c", "Const")
        .device(&d0)
        .attr_type("dtype", DType::Float)
        .attr_value("value", pb::AttrValue { value: Some(pb::attr_value::Value::Tensor(short)) })
        .build();
    expect(register(&f.w0, vec![malformed]).await, Code::InvalidArgument, "Cannot parse tensor from proto");

    let dangling = NodeDefBuilder::new("i", "Identity").input("nowhere").attr_type("T", DType::Float).device(&d0).build();
    expect(register(&f.w0, vec![dangling]).await, Code::InvalidArgument, "Node 'i': Unknown input node 'nowhere'");

    let elsewhere = const_node("c", &Tensor::scalar(1.0f32)).device(&cpu("worker", 1)).build();
    expect(register(&f.w0, vec![elsewhere]).await, Code::InvalidArgument, "/job:worker/replica:0/task:1/device:CPU:0 unknown device.");

    let cycle = vec![
        NodeDefBuilder::new("p", "Identity").input("q").attr_type("T", DType::Float).device(&d0).build(),
        NodeDefBuilder::new("q", "Identity").input("p").attr_type("T", DType::Float).device(&d0).build(),
    ];
    expect(register(&f.w0, cycle).await, Code::InvalidArgument, "cycle");

    let missing_attr = NodeDefBuilder::new("c", "Const").device(&d0).build();
    expect(register(&f.w0, vec![missing_attr]).await, Code::InvalidArgument, "NodeDef missing attr");
    still_serving(&f.w0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_handles_sessions_and_keys_get_tf_codes() {
    let f = fixture().await;
    let run = f
        .w0
        .run_graph(pb::RunGraphRequest {
            session_handle: "s".into(),
            create_worker_session_called: true,
            graph_handle: "00000000000000ff".into(),
            step_id: 1,
            ..Default::default()
        })
        .await;
    expect(run.map(|_| String::new()), Code::Aborted, "Graph handle is not found: 00000000000000ff");

    let reg = f
        .w0
        .register_graph(pb::RegisterGraphRequest { session_handle: "nope".into(), create_worker_session_called: true, ..Default::default() })
        .await;
    expect(reg.map(|r| r.graph_handle), Code::Aborted, "Session handle is not found: nope");

    let dereg = f
        .w0
        .deregister_graph(pb::DeregisterGraphRequest { session_handle: "s".into(), create_worker_session_called: true, graph_handle: "x".into() })
        .await;
    expect(dereg.map(|_| String::new()), Code::Aborted, "Graph handle is not found: x");

    let garbage = f.w0.recv_tensor(pb::RecvTensorRequest { step_id: 1, rendezvous_key: "garbage".into(), ..Default::default() }).await;
    expect(garbage.map(|_| String::new()), Code::InvalidArgument, "Invalid  rendezvous key: garbage");

    let d0 = cpu("worker", 0);
    let stale = key(&d0, f.inc0 ^ 1, &cpu("worker", 1), "edge_1");
    let stale = f.w0.recv_tensor(pb::RecvTensorRequest { step_id: 1, rendezvous_key: stale, ..Default::default() }).await;
    expect(stale.map(|_| String::new()), Code::Aborted, "RecvTensor expects a different device incarnation");

    let tracing = f.w0.tracing(pb::TracingRequest::default()).await;
    expect(tracing.map(|_| String::new()), Code::Unimplemented, "Tracing");

    // Unknown ids are fine for cleanup calls, as in TF.
    f.w0.cleanup_graph(pb::CleanupGraphRequest { step_id: 12345 }).await.unwrap();
    f.w0.delete_worker_session(pb::DeleteWorkerSessionRequest { session_handle: "never".into() }).await.unwrap();
    f.w0.cleanup_all(pb::CleanupAllRequest::default()).await.unwrap();
    still_serving(&f.w0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kernel_error_is_reported_in_body_and_to_waiting_peers() {
    let f = fixture().await;
    let (d0, d1) = (cpu("worker", 0), cpu("worker", 1));
    // worker 1 computes a MatMul with mismatched inner dimensions and sends the result to worker 0.
    let h1 = register(
        &f.w1,
        vec![
            const_node("a", &Tensor::from_vec(vec![1, 2], vec![1.0f32, 1.0]).unwrap()).device(&d1).build(),
            const_node("b", &Tensor::from_vec(vec![3, 1], vec![1.0f32; 3]).unwrap()).device(&d1).build(),
            NodeDefBuilder::new("m", "MatMul").input("a").input("b").attr_type("T", DType::Float).device(&d1).build(),
            send("m_send", "m", "edge_m", &d1, f.inc1, &d0, false),
        ],
    )
    .await
    .unwrap();
    let h0 = register(
        &f.w0,
        vec![
            recv("m_recv", "edge_m", &d1, f.inc1, &d0, false),
            NodeDefBuilder::new("out", "Identity").input("m_recv").attr_type("T", DType::Float).device(&d0).build(),
        ],
    )
    .await
    .unwrap();
    let run = |h: &str, step_id: i64| pb::RunGraphRequest {
        session_handle: "s".into(),
        create_worker_session_called: true,
        graph_handle: h.into(),
        step_id,
        store_errors_in_response_body: true,
        request_id: rand::random(),
        ..Default::default()
    };
    let (r0, r1) = tokio::join!(f.w0.run_graph(run(&h0, 77)), f.w1.run_graph(run(&h1, 77)));
    let (r0, r1) = (r0.unwrap(), r1.unwrap());
    assert_eq!(r1.status_code, Code::InvalidArgument as i32);
    assert!(r1.status_error_message.contains("Matrix size-incompatible: In[0]: [1,2], In[1]: [3,1]"), "{}", r1.status_error_message);
    assert!(r1.status_error_message.contains("[[{{node m}}]]"), "{}", r1.status_error_message);
    // The waiting receiver on worker 0 learns of the failure instead of hanging.
    assert_eq!(r0.status_code, Code::InvalidArgument as i32, "{}", r0.status_error_message);
    assert!(r0.status_error_message.contains("Matrix size-incompatible"), "{}", r0.status_error_message);

    // Without store_errors_in_response_body the error is the RPC status.
    let plain = f
        .w1
        .run_graph(pb::RunGraphRequest {
            session_handle: "s".into(),
            create_worker_session_called: true,
            graph_handle: h1.clone(),
            step_id: 78,
            ..Default::default()
        })
        .await;
    assert_eq!(plain.unwrap_err().code, Code::InvalidArgument);
    for w in [&f.w0, &f.w1] {
        w.cleanup_graph(pb::CleanupGraphRequest { step_id: 77 }).await.unwrap();
        w.cleanup_graph(pb::CleanupGraphRequest { step_id: 78 }).await.unwrap();
    }
    still_serving(&f.w0).await;
    still_serving(&f.w1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retried_request_is_refused_not_run_twice() {
    let f = fixture().await;
    let d0 = cpu("worker", 0);
    let var = |name: &str| {
        NodeDefBuilder::new(name, "VarHandleOp")
            .device(&d0)
            .attr_type("dtype", DType::Float)
            .attr_shape("shape", &[])
            .attr_str("shared_name", "counter")
            .attr_str("container", "")
    };
    let init = register(
        &f.w0,
        vec![
            var("v").build(),
            const_node("zero", &Tensor::scalar(0.0f32)).device(&d0).build(),
            NodeDefBuilder::new("assign", "AssignVariableOp").input("v").input("zero").attr_type("dtype", DType::Float).device(&d0).build(),
        ],
    )
    .await
    .unwrap();
    let bump = register(
        &f.w0,
        vec![
            var("v").build(),
            const_node("one", &Tensor::scalar(1.0f32)).device(&d0).build(),
            NodeDefBuilder::new("add", "AssignAddVariableOp").input("v").input("one").attr_type("dtype", DType::Float).device(&d0).build(),
            NodeDefBuilder::new("read", "ReadVariableOp").input("v").input("^add").attr_type("dtype", DType::Float).device(&d0).build(),
            send("read_send", "read", "value", &d0, f.inc0, &d0, true),
        ],
    )
    .await
    .unwrap();
    let value_key = key(&d0, f.inc0, &d0, "value");
    let run = |handle: &str, step_id: i64, request_id: i64, recv: bool| pb::RunGraphRequest {
        session_handle: "s".into(),
        create_worker_session_called: true,
        graph_handle: handle.into(),
        step_id,
        request_id,
        recv_key: if recv { vec![value_key.clone()] } else { vec![] },
        ..Default::default()
    };
    f.w0.run_graph(run(&init, 1, 11, false)).await.unwrap();
    let first = f.w0.run_graph(run(&bump, 2, 22, true)).await.unwrap();
    let again = f.w0.run_graph(run(&bump, 3, 22, true)).await;
    assert_eq!(again.unwrap_err().code, Code::Aborted);
    let next = f.w0.run_graph(run(&bump, 4, 33, true)).await.unwrap();
    let read = |r: &pb::RunGraphResponse| {
        ferroflow_framework::tensor_from_proto(r.recv[0].tensor.as_ref().unwrap()).unwrap().scalar_value::<f32>().unwrap()
    };
    assert_eq!(read(&first), 1.0);
    assert_eq!(read(&next), 2.0, "the refused retry must not have run");

    // CleanupAll drops the default container's variables.
    f.w0.cleanup_all(pb::CleanupAllRequest::default()).await.unwrap();
    let after = f.w0.run_graph(run(&bump, 5, 44, true)).await;
    let code = after.unwrap_err().code;
    assert!(matches!(code, Code::FailedPrecondition | Code::NotFound), "variable is gone after CleanupAll: {code:?}");
}

/// Sends `body` as is to `path` and returns the call's gRPC status (code, message).
async fn raw_call(address: &str, path: &'static str, body: Vec<u8>) -> (tonic::Code, String) {
    let channel = ferroflow_grpc::channel::PeerChannel::new(address);
    let request = http::Request::builder()
        .method(http::Method::POST)
        .uri(path)
        .header(http::header::CONTENT_TYPE, "application/grpc")
        .header(http::header::TE, "trailers")
        .body(tonic::body::Body::new(http_body_util::Full::new(bytes::Bytes::from(body))))
        .unwrap();
    let response = channel.send(request).await.expect("the server answers");
    let (parts, body) = response.into_parts();
    if let Some(status) = tonic::Status::from_header_map(&parts.headers) {
        return (status.code(), status.message().to_string());
    }
    let collected = http_body_util::BodyExt::collect(body).await.expect("a whole reply");
    let status = tonic::Status::from_header_map(collected.trailers().expect("trailers")).expect("a grpc-status");
    (status.code(), status.message().to_string())
}

fn framed(flag: u8, message: &[u8], declared_len: u32) -> Vec<u8> {
    let mut out = vec![flag];
    out.extend_from_slice(&declared_len.to_be_bytes());
    out.extend_from_slice(message);
    out
}

#[tokio::test]
async fn malformed_messages_to_tensor_calls_get_clear_errors() {
    let f = fixture().await;
    let address = f.w0.address().to_string();
    let junk = [0xffu8, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01];
    for path in ["/tensorflow.WorkerService/RunGraph", "/tensorflow.WorkerService/RecvTensor"] {
        let (code, message) = raw_call(&address, path, framed(0, &junk, junk.len() as u32)).await;
        assert_eq!(code, tonic::Code::Internal, "{path}: {message}");
        assert!(message.contains("failed to decode"), "{path}: {message}");
        let (code, message) = raw_call(&address, path, framed(1, &junk, junk.len() as u32)).await;
        assert_eq!(code, tonic::Code::Unimplemented, "{path}: {message}");
        assert!(message.contains("compressed"), "{path}: {message}");
        let (code, message) = raw_call(&address, path, framed(0, &junk, 100)).await;
        assert_eq!(code, tonic::Code::DataLoss, "{path}: {message}");
        assert!(message.contains("ended early"), "{path}: {message}");
    }
    still_serving(&f.w0).await;
}
