//! `docs/compatibility.md` must tell the truth: its op table lists exactly the ops the kernel
//! registry holds, and its service tables list every method of `tensorflow.WorkerService` and
//! `tensorflow.MasterService`. Run with `FERROFLOW_BLESS=1` to rewrite the generated tables.

use prost::Message;
use std::collections::BTreeSet;
use std::path::PathBuf;

const UNIMPLEMENTED_WORKER_METHODS: &[(&str, &str)] = &[
    ("Tracing", "UNIMPLEMENTED, with a message saying so"),
    ("RecvBuf", "UNIMPLEMENTED (collective ops are not supported)"),
    ("GetStepSequence", "UNIMPLEMENTED (collective ops are not supported)"),
    ("CompleteGroup", "UNIMPLEMENTED (collective ops are not supported)"),
    ("CompleteInstance", "UNIMPLEMENTED (collective ops are not supported)"),
];

fn doc_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/compatibility.md")
}

fn service_methods(service: &str) -> Vec<String> {
    let set = prost_types::FileDescriptorSet::decode(ferroflow_proto::FILE_DESCRIPTOR_SET).unwrap();
    set.file
        .iter()
        .flat_map(|f| f.service.iter())
        .filter(|s| s.name() == service)
        .flat_map(|s| s.method.iter().map(|m| m.name().to_string()))
        .collect()
}

fn generated_tables() -> String {
    let mut out = String::from("<!-- generated:begin (FERROFLOW_BLESS=1 cargo test -p ferroflow --test compatibility_doc) -->\n");
    out.push_str("### tensorflow.WorkerService\n\n| method | status |\n| --- | --- |\n");
    for m in service_methods("WorkerService") {
        let status = UNIMPLEMENTED_WORKER_METHODS.iter().find(|(n, _)| *n == m).map(|(_, s)| *s).unwrap_or("implemented");
        out.push_str(&format!("| `{m}` | {status} |\n"));
    }
    out.push_str("\n### tensorflow.MasterService\n\n| method | status |\n| --- | --- |\n");
    for m in service_methods("MasterService") {
        out.push_str(&format!("| `{m}` | implemented |\n"));
    }
    let ops: BTreeSet<&str> = ferroflow_kernels::registry().op_names().into_iter().collect();
    out.push_str(&format!("\n### Ops with CPU kernels ({})\n\n| op | status |\n| --- | --- |\n", ops.len()));
    for op in ops {
        out.push_str(&format!("| `{op}` | implemented |\n"));
    }
    let registry = ferroflow_kernels::registry();
    let lowered: Vec<&str> = registry.definitions().into_iter().filter(|d| d.kernel.is_none()).map(|d| d.name).collect();
    out.push_str(&format!("\n### Ops rewritten before they run ({})\n\n| op | status |\n| --- | --- |\n", lowered.len()));
    for op in lowered {
        out.push_str(&format!("| `{op}` | lowered into `Switch`/`Merge`/`Enter`/`Exit`/`NextIteration` and inlined function bodies |\n"));
    }
    out.push_str("<!-- generated:end -->\n");
    out
}

#[test]
fn compatibility_doc_matches_the_registry_and_services() {
    let path = doc_path();
    let doc = std::fs::read_to_string(&path).expect("docs/compatibility.md exists");
    let begin = doc.find("<!-- generated:begin").expect("generated section begins");
    let end = doc.find("<!-- generated:end -->").expect("generated section ends") + "<!-- generated:end -->\n".len();
    let want = generated_tables();
    if std::env::var_os("FERROFLOW_BLESS").is_some() {
        let updated = format!("{}{}{}", &doc[..begin], want, &doc[end.min(doc.len())..]);
        std::fs::write(&path, updated).unwrap();
        return;
    }
    let got = &doc[begin..end.min(doc.len())];
    assert_eq!(got, want, "docs/compatibility.md is out of date: run FERROFLOW_BLESS=1 cargo test -p ferroflow --test compatibility_doc");
}
