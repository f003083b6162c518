//! A `ferroflow server` whose stderr is a file logs without terminal escape codes, and with
//! `--log-format json` every line it writes is one JSON object.

mod common;

use common::*;
use ferroflow_distributed::WorkerInterface;
use ferroflow_proto as pb;
use std::process::Stdio;

/// Starts a server logging to a file, has it serve a call and stop on SIGTERM; the log's text.
async fn log_of_a_served_call(name: &str, extra: &[&str]) -> String {
    let path = std::env::temp_dir().join(format!("ferroflow-{name}-{}.log", std::process::id()));
    let file = std::fs::File::create(&path).unwrap();
    let port = free_port();
    let cluster = vec![format!("worker=127.0.0.1:{port}")];
    let server = spawn_server_with(&cluster, "worker", 0, extra, Stdio::from(file));
    let client = connect_when_ready(&format!("127.0.0.1:{port}")).await;
    client.get_status(pb::GetStatusRequest {}).await.unwrap();
    server.signal(libc::SIGTERM);
    // Waited for off the runtime, which must go on serving the client's side of the connection
    // (the server's graceful shutdown PINGs it).
    let status = tokio::task::spawn_blocking(move || {
        let mut server = server;
        server.0.wait()
    })
    .await
    .unwrap()
    .unwrap();
    assert!(status.success(), "server exited with {status}");
    let log = std::fs::read_to_string(&path).unwrap();
    let _ = std::fs::remove_file(&path);
    log
}

#[tokio::test]
async fn a_log_file_gets_no_escape_codes() {
    let log = log_of_a_served_call("text", &[]).await;
    assert!(log.contains("serving tensorflow.WorkerService") && log.contains("shutting down"), "{log}");
    assert!(!log.contains('\x1b'), "escape codes in the log file:\n{log:?}");
}

#[tokio::test]
async fn json_logs_are_one_object_per_line() {
    let log = log_of_a_served_call("json", &["--log-format", "json"]).await;
    let lines: Vec<&str> = log.lines().collect();
    assert!(lines.len() >= 2, "{log}");
    let mut messages = Vec::new();
    for line in lines {
        let v: serde_json::Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        assert!(v["level"].is_string() && v["timestamp"].is_string(), "{line}");
        messages.push(v["fields"]["message"].as_str().unwrap_or_default().to_string());
    }
    assert!(messages.iter().any(|m| m.contains("serving tensorflow.WorkerService")), "{messages:?}");
    assert!(messages.iter().any(|m| m == "shutting down"), "{messages:?}");
}
