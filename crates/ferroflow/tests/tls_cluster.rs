//! A TLS cluster of `ferroflow server` processes, with certificates the test makes (rcgen): a
//! cross-worker step runs (the client, and task 1's `RecvTensor` to task 0, over TLS); a client
//! whose certificate another CA signed is refused, and so is a plaintext client; a client that
//! trusts another CA refuses the servers; the plaintext listener on loopback serves a master step
//! whose partitions reach the workers over TLS.

mod common;

use common::*;
use ferroflow_distributed::WorkerInterface;
use ferroflow_framework::node_def::{NodeDefBuilder, const_node};
use ferroflow_framework::{Code, DType, Tensor, tensor_from_proto, tensor_to_proto};
use ferroflow_grpc::tls::TlsIdentity;
use ferroflow_grpc::{ChannelOptions, GrpcWorker};
use ferroflow_proto as pb;
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose};
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

/// A certificate authority writing its certificate and the ones it issues as PEM files.
struct Pki {
    dir: PathBuf,
    ca: CertifiedIssuer<'static, KeyPair>,
}

impl Pki {
    fn new(name: &str) -> Pki {
        let dir = std::env::temp_dir().join(format!("ferroflow-tls-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, format!("{name} CA"));
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
        let ca = CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap();
        std::fs::write(dir.join("ca.pem"), ca.pem()).unwrap();
        Pki { dir, ca }
    }

    fn ca_file(&self) -> PathBuf {
        self.dir.join("ca.pem")
    }

    /// A certificate for 127.0.0.1, good for server and client authentication: (cert, key) files.
    fn issue(&self, name: &str) -> (PathBuf, PathBuf) {
        let mut params = CertificateParams::new(vec!["127.0.0.1".to_string()]).unwrap();
        params.distinguished_name.push(DnType::CommonName, name);
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth, ExtendedKeyUsagePurpose::ClientAuth];
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &*self.ca).unwrap();
        let (cert_file, key_file) = (self.dir.join(format!("{name}.pem")), self.dir.join(format!("{name}.key")));
        std::fs::write(&cert_file, cert.pem()).unwrap();
        std::fs::write(&key_file, key.serialize_pem()).unwrap();
        (cert_file, key_file)
    }

    /// Server flags for a task with a certificate of this CA.
    fn server_flags(&self, name: &str) -> Vec<String> {
        let (cert, key) = self.issue(name);
        [("--tls-cert", cert), ("--tls-key", key), ("--tls-ca", self.ca_file())]
            .into_iter()
            .flat_map(|(flag, path)| [flag.to_string(), path.display().to_string()])
            .collect()
    }

    /// Client options presenting `cert` of this CA and trusting `trusted`'s.
    fn client(&self, name: &str, trusted: &Pki) -> ChannelOptions {
        let (cert, key) = self.issue(name);
        let identity = TlsIdentity::from_files(&cert, &key, &trusted.ca_file()).unwrap();
        ChannelOptions { tls: Some(identity.client_config()), ..ChannelOptions::default() }
    }
}

impl Drop for Pki {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn spawn_tls_server(cluster: &[String], task: i32, flags: &[String]) -> ServerProcess {
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    spawn_server_with(cluster, "worker", task, &flags, Stdio::null())
}

async fn get_status_error(client: &GrpcWorker) -> ferroflow_framework::Error {
    match tokio::time::timeout(Duration::from_secs(10), client.get_status(pb::GetStatusRequest {})).await {
        Ok(Ok(_)) => panic!("the call went through"),
        Ok(Err(e)) => e,
        Err(_) => panic!("no answer at all within 10 s"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tls_cluster_serves_its_own_and_refuses_strangers() {
    let pki = Pki::new("cluster");
    let other = Pki::new("other");
    let (p0, p1, plain) = (free_port(), free_port(), free_port());
    let cluster = vec![format!("worker=127.0.0.1:{p0},127.0.0.1:{p1}")];
    let mut flags0 = pki.server_flags("task0");
    flags0.extend(["--plaintext-local-port".to_string(), plain.to_string()]);
    let _s0 = spawn_tls_server(&cluster, 0, &flags0);
    let _s1 = spawn_tls_server(&cluster, 1, &pki.server_flags("task1"));
    let options = pki.client("client", &pki);
    let w0 = connect_when_ready_with(&format!("127.0.0.1:{p0}"), options.clone()).await;
    let w1 = connect_when_ready_with(&format!("127.0.0.1:{p1}"), options).await;

    // A cross-worker step: x fed to task 0, m = x @ w sent to task 1 over TLS, y = m + 1 fetched.
    let (d0, d1) = (cpu("worker", 0), cpu("worker", 1));
    let (inc0, inc1) = (incarnation(&w0).await, incarnation(&w1).await);
    for w in [&w0, &w1] {
        w.create_worker_session(pb::CreateWorkerSessionRequest { session_handle: "sess".into(), ..Default::default() }).await.unwrap();
    }
    let part0 = graph(vec![
        recv("x", "x", &d0, inc0, &d0, true),
        const_node("w", &Tensor::from_vec(vec![2, 2], vec![1.0f32, 2.0, 3.0, 4.0]).unwrap()).device(&d0).build(),
        NodeDefBuilder::new("m", "MatMul").input("x").input("w").device(&d0).attr_type("T", DType::Float).build(),
        send("m_send", "m", "edge_m", &d0, inc0, &d1, false),
    ]);
    let part1 = graph(vec![
        recv("m_recv", "edge_m", &d0, inc0, &d1, false),
        const_node("one", &Tensor::scalar(1.0f32)).device(&d1).build(),
        NodeDefBuilder::new("y", "AddV2").input("m_recv").input("one").device(&d1).attr_type("T", DType::Float).build(),
        send("y_send", "y", "y", &d1, inc1, &d1, true),
    ]);
    let mut handles = Vec::new();
    for (w, g) in [(&w0, part0), (&w1, part1)] {
        let request = pb::RegisterGraphRequest { session_handle: "sess".into(), create_worker_session_called: true, graph_def: Some(g), ..Default::default() };
        handles.push(w.register_graph(request).await.unwrap().graph_handle);
    }
    let x = Tensor::from_vec(vec![2, 2], vec![1.0f32, 1.0, 0.0, 2.0]).unwrap();
    let run = |i: usize, send: Vec<pb::NamedTensorProto>, recv_key: Vec<String>| pb::RunGraphRequest {
        session_handle: "sess".into(),
        create_worker_session_called: true,
        graph_handle: handles[i].clone(),
        step_id: 7,
        send,
        recv_key,
        store_errors_in_response_body: true,
        request_id: rand::random(),
        ..Default::default()
    };
    let key_y = key(&d1, inc1, &d1, "y");
    let (r0, r1) = tokio::join!(
        w0.run_graph(run(0, vec![pb::NamedTensorProto { name: key(&d0, inc0, &d0, "x"), tensor: Some(tensor_to_proto(&x).unwrap()) }], vec![])),
        w1.run_graph(run(1, vec![], vec![key_y.clone()]))
    );
    let (r0, r1) = (r0.unwrap(), r1.unwrap());
    assert_eq!((r0.status_code, r1.status_code), (0, 0), "{} / {}", r0.status_error_message, r1.status_error_message);
    let y = tensor_from_proto(r1.recv[0].tensor.as_ref().unwrap()).unwrap();
    // [[1,1],[0,2]] @ [[1,2],[3,4]] = [[4,6],[6,8]], plus one.
    assert_eq!(y.values::<f32>().unwrap().as_ref(), &[5.0, 7.0, 7.0, 9.0]);

    // A client with a certificate of another CA (trusting the cluster's) is refused.
    let stranger = GrpcWorker::with_options(None, &format!("127.0.0.1:{p0}"), other.client("stranger", &pki)).unwrap();
    assert_eq!(get_status_error(&stranger).await.code, Code::Unavailable);
    // A plaintext client on the TLS port is refused.
    let plaintext = GrpcWorker::connect_lazy(&format!("127.0.0.1:{p0}")).unwrap();
    assert_eq!(get_status_error(&plaintext).await.code, Code::Unavailable);
    // A client that trusts another CA refuses the server.
    let wary = GrpcWorker::with_options(None, &format!("127.0.0.1:{p1}"), pki.client("wary", &other)).unwrap();
    let e = get_status_error(&wary).await;
    assert!(e.code == Code::Unavailable && e.message.contains("TLS handshake"), "{e:?}");

    // The plaintext listener on loopback: task 0's master, called without a certificate, runs a
    // step whose partitions reach both workers over TLS.
    connect_when_ready(&format!("127.0.0.1:{plain}")).await;
    let master = master_client(&format!("127.0.0.1:{plain}"));
    let session = create_session(
        &master,
        graph(vec![
            const_node("a", &Tensor::scalar(20.0f32)).device(&d0).build(),
            const_node("b", &Tensor::scalar(22.0f32)).device(&d1).build(),
            NodeDefBuilder::new("c", "AddV2").input("a").input("b").device(&d1).attr_type("T", DType::Float).build(),
        ]),
    )
    .await;
    assert_eq!(run_step(&master, &session, "c:0").await.unwrap(), 42.0);
}

#[tokio::test]
async fn the_plaintext_local_port_needs_tls_and_tls_flags_go_together() {
    let pki = Pki::new("flags");
    let port = free_port();
    let cluster = [format!("worker=127.0.0.1:{port}")];
    let run = |extra: &[&str]| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_ferroflow"));
        cmd.arg("server").arg("--cluster").arg(&cluster[0]).args(["--job", "worker"]).args(extra);
        cmd.stdout(Stdio::null()).stderr(Stdio::piped()).output().unwrap()
    };
    let out = run(&["--plaintext-local-port", "0"]);
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("--tls-cert"), "{out:?}");
    let (cert, _) = pki.issue("lonely");
    let out = run(&["--tls-cert", cert.to_str().unwrap()]);
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("--tls-key"), "{out:?}");
    let ca = pki.ca_file();
    let out = run(&["--tls-cert", cert.to_str().unwrap(), "--tls-key", ca.to_str().unwrap(), "--tls-ca", ca.to_str().unwrap()]);
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("--tls-key"), "{out:?}");
}
