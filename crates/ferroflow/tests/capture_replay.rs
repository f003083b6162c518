//! Every `RegisterGraph` request that stock TF 2.21's master sent in the recorded scenarios
//! (`tests/data/captures/*/worker{0,1}/*_RegisterGraph.req`) registers on a ferroflow task of the
//! same index, with only the session handle replaced: ferroflow accepts the partitions TF really
//! sends, with all their annotations, ops and attribute forms.

mod common;

use common::*;
use ferroflow::LocalCluster;
use ferroflow_distributed::WorkerInterface;
use ferroflow_proto as pb;
use prost::Message;
use std::path::{Path, PathBuf};

fn captured_requests(dir: &Path, method: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    files.retain(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.ends_with(&format!("_{method}.req"))));
    files.sort();
    files
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_captured_register_graph_registers() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/captures");
    let cluster = LocalCluster::start(&[("master", 1), ("worker", 2)], 1).await.unwrap();
    let workers = [
        connect_when_ready(&cluster.address("worker", 0).unwrap()).await,
        connect_when_ready(&cluster.address("worker", 1).unwrap()).await,
    ];
    let mut scenarios: Vec<PathBuf> = std::fs::read_dir(&root).unwrap().map(|e| e.unwrap().path()).collect();
    scenarios.sort();
    let mut registered = 0;
    for scenario in &scenarios {
        let name = scenario.file_name().unwrap().to_string_lossy().to_string();
        for (index, worker) in workers.iter().enumerate() {
            let session = format!("replay-{name}-{index}");
            worker
                .create_worker_session(pb::CreateWorkerSessionRequest { session_handle: session.clone(), ..Default::default() })
                .await
                .unwrap();
            for file in captured_requests(&scenario.join(format!("worker{index}")), "RegisterGraph") {
                let mut req = pb::RegisterGraphRequest::decode(std::fs::read(&file).unwrap().as_slice()).unwrap();
                req.session_handle = session.clone();
                let resp = worker.register_graph(req).await;
                assert!(resp.is_ok(), "{}: {:?}", file.display(), resp.err());
                registered += 1;
            }
            worker.delete_worker_session(pb::DeleteWorkerSessionRequest { session_handle: session }).await.unwrap();
        }
    }
    assert!(registered >= 10, "only {registered} captured partitions found under {}", root.display());
    cluster.shutdown().await.unwrap();
}
