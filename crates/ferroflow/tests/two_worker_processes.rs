//! Two `ferroflow server` processes on loopback; the test plays the master with the project's own
//! gRPC client: a partition on each worker, tensors crossing between them through `RecvTensor`,
//! 100 steps with fresh step ids, inputs fed and results fetched through client-terminated
//! rendezvous (`RunGraph.send` / `recv_key`).

mod common;

use common::*;
use ferroflow_distributed::WorkerInterface;
use ferroflow_framework::node_def::const_node;
use ferroflow_framework::node_def::NodeDefBuilder;
use ferroflow_framework::{DType, Tensor, tensor_from_proto, tensor_to_proto};
use ferroflow_proto as pb;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hundred_steps_cross_two_worker_processes() {
    let (p0, p1) = (free_port(), free_port());
    let cluster = vec![format!("worker=127.0.0.1:{p0},127.0.0.1:{p1}")];
    let _s0 = spawn_server(&cluster, "worker", 0);
    let _s1 = spawn_server(&cluster, "worker", 1);
    let w0 = connect_when_ready(&format!("127.0.0.1:{p0}")).await;
    let w1 = connect_when_ready(&format!("127.0.0.1:{p1}")).await;
    let (d0, d1) = (cpu("worker", 0), cpu("worker", 1));
    let (inc0, inc1) = (incarnation(&w0).await, incarnation(&w1).await);

    for w in [&w0, &w1] {
        w.create_worker_session(pb::CreateWorkerSessionRequest { session_handle: "sess".into(), ..Default::default() })
            .await
            .unwrap();
    }
    let weights = Tensor::from_vec(vec![2, 2], vec![1.0f32, 2.0, 3.0, 4.0]).unwrap();
    let part0 = graph(vec![
        recv("x", "x", &d0, inc0, &d0, true),
        const_node("w", &weights).device(&d0).build(),
        NodeDefBuilder::new("m", "MatMul").input("x").input("w").device(&d0).attr_type("T", DType::Float).build(),
        send("m_send", "m", "edge_m", &d0, inc0, &d1, false),
    ]);
    let part1 = graph(vec![
        recv("m_recv", "edge_m", &d0, inc0, &d1, false),
        const_node("two", &Tensor::scalar(2.0f32)).device(&d1).build(),
        NodeDefBuilder::new("mul", "Mul").input("m_recv").input("two").device(&d1).attr_type("T", DType::Float).build(),
        const_node("one", &Tensor::scalar(1.0f32)).device(&d1).build(),
        NodeDefBuilder::new("y", "AddV2").input("mul").input("one").device(&d1).attr_type("T", DType::Float).build(),
        send("y_send", "y", "y", &d1, inc1, &d1, true),
    ]);
    let register = |w: &common::GrpcWorkerRef, g: pb::GraphDef| {
        let w = w.clone();
        async move {
            w.register_graph(pb::RegisterGraphRequest {
                session_handle: "sess".into(),
                create_worker_session_called: true,
                graph_def: Some(g),
                ..Default::default()
            })
            .await
            .unwrap()
            .graph_handle
        }
    };
    let h0 = register(&w0, part0).await;
    let h1 = register(&w1, part1).await;
    assert_eq!(h0, "0000000000000001");

    let key_x = key(&d0, inc0, &d0, "x");
    let key_y = key(&d1, inc1, &d1, "y");
    for i in 0..100u32 {
        let step_id = rand::random::<i64>() & i64::MAX;
        let s = i as f32;
        let x = Tensor::from_vec(vec![2, 2], vec![s, 1.0, 0.0, -s]).unwrap();
        let run0 = w0.run_graph(pb::RunGraphRequest {
            session_handle: "sess".into(),
            create_worker_session_called: true,
            graph_handle: h0.clone(),
            step_id,
            send: vec![pb::NamedTensorProto { name: key_x.clone(), tensor: Some(tensor_to_proto(&x).unwrap()) }],
            store_errors_in_response_body: true,
            request_id: rand::random(),
            ..Default::default()
        });
        let run1 = w1.run_graph(pb::RunGraphRequest {
            session_handle: "sess".into(),
            create_worker_session_called: true,
            graph_handle: h1.clone(),
            step_id,
            recv_key: vec![key_y.clone()],
            store_errors_in_response_body: true,
            request_id: rand::random(),
            ..Default::default()
        });
        let (r0, r1) = tokio::join!(run0, run1);
        let (r0, r1) = (r0.unwrap(), r1.unwrap());
        assert_eq!(r0.status_code, 0, "{}", r0.status_error_message);
        assert_eq!(r1.status_code, 0, "{}", r1.status_error_message);
        assert_eq!(r1.recv.len(), 1);
        assert_eq!(r1.recv[0].name, key_y);
        let y = tensor_from_proto(r1.recv[0].tensor.as_ref().unwrap()).unwrap();
        // x @ [[1,2],[3,4]] = [[s+3, 2s+4], [-3s, -4s]], then * 2 + 1.
        let want = [2.0 * (s + 3.0) + 1.0, 2.0 * (2.0 * s + 4.0) + 1.0, -6.0 * s + 1.0, -8.0 * s + 1.0];
        assert_eq!(y.values::<f32>().unwrap().as_ref(), &want, "step {i}");
        for w in [&w0, &w1] {
            w.cleanup_graph(pb::CleanupGraphRequest { step_id }).await.unwrap();
        }
    }
    for w in [&w0, &w1] {
        w.delete_worker_session(pb::DeleteWorkerSessionRequest { session_handle: "sess".into() }).await.unwrap();
    }
}
