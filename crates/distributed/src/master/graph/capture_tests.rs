//! The whole pipeline on the graphs a stock TF 2.21 client sent in the captures
//! (`testdata/tf_captures`), checked against the partitions TF's master registered on the workers:
//! every node TF placed is placed on the same device, every cut edge is paired, and — where
//! Grappler left the graph alone — each worker gets the same nodes and the same transfers (which
//! tensor goes to which device, of which type), modulo `_Send`/`_Recv` names. Test-only.

use super::test_util::{check_pairs, is_transfer, registered_graph, session_graph};
use super::{build_client_graph, partition, place};
use ferroflow_framework::Attrs;
use ferroflow_proto::GraphDef;
use std::collections::{BTreeMap, BTreeSet, HashMap};

const MASTER: &str = "/job:master/replica:0/task:0/device:CPU:0";
const W0: &str = "/job:worker/replica:0/task:0/device:CPU:0";
const W1: &str = "/job:worker/replica:0/task:1/device:CPU:0";

fn devices() -> Vec<String> {
    [MASTER, W0, W1].iter().map(|d| d.to_string()).collect()
}

fn incarnations() -> HashMap<String, u64> {
    [(MASTER, 0x98b0_71c1_1b1d_3b43u64), (W0, 13998339961072059960), (W1, 7534792565181816680)]
        .into_iter()
        .map(|(d, i)| (d.to_string(), i))
        .collect()
}

fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

/// One captured run: its signature and the partitions TF registered for it.
struct Run<'a> {
    feeds: &'a [&'a str],
    fetches: &'a [&'a str],
    targets: &'a [&'a str],
    /// (device, RegisterGraph capture file) for each worker partition TF registered.
    tf: &'a [(&'a str, &'a str)],
}

/// Builds the partitions of `run` both ways the master may: TF's (place the whole session graph
/// once, then build the client graph) and place-after-pruning; both must agree.
fn partitions(graph: &GraphDef, run: &Run<'_>) -> BTreeMap<String, GraphDef> {
    let mut placed_first = graph.clone();
    place(&mut placed_first, &devices(), MASTER).unwrap();
    let (client, _) =
        build_client_graph(&placed_first, &s(run.feeds), &s(run.fetches), &s(run.targets), MASTER).unwrap();
    let parts = partition(&client, &incarnations()).unwrap();

    let (mut pruned, _) = build_client_graph(graph, &s(run.feeds), &s(run.fetches), &s(run.targets), MASTER).unwrap();
    place(&mut pruned, &devices(), MASTER).unwrap();
    assert_eq!(partition(&pruned, &incarnations()).unwrap(), parts, "placing before or after pruning differs");
    check_pairs(&parts);
    parts
}

/// Name -> device over the non-transfer nodes of some partitions.
fn placement<'a>(graphs: impl Iterator<Item = &'a GraphDef>) -> BTreeMap<String, String> {
    graphs.flat_map(|g| g.node.iter()).filter(|n| !is_transfer(n)).map(|n| (n.name.clone(), n.device.clone())).collect()
}

/// A partition's transfers as (op, source node, peer device, type): what moves where.
fn transfers(g: &GraphDef) -> BTreeSet<(String, String, String, &'static str)> {
    g.node
        .iter()
        .filter(|n| is_transfer(n) && !Attrs::new(n).get_bool_or("client_terminated", false).unwrap())
        .map(|n| {
            let a = Attrs::new(n);
            let (peer, dtype) = if n.op == "_Send" {
                (a.get_string("recv_device").unwrap(), a.get_type("T").unwrap())
            } else {
                (a.get_string("send_device").unwrap(), a.get_type("tensor_type").unwrap())
            };
            (n.op.clone(), a.get_string("_src").unwrap(), peer, dtype.name())
        })
        .collect()
}

/// Checks one scenario; `exact` when Grappler did not rewrite TF's partitions.
fn check(scenario: &str, runs: &[Run<'_>], exact: bool) {
    let graph = session_graph(scenario);
    let mut whole = graph.clone();
    place(&mut whole, &devices(), MASTER).unwrap();
    let ours_whole = placement(std::iter::once(&whole));
    for run in runs {
        let ours = partitions(&graph, run);
        let ours_placement = placement(ours.values());
        for &(device, file) in run.tf {
            let tf = registered_graph(scenario, file);
            let mut known = 0;
            for (name, tf_device) in placement(std::iter::once(&tf)) {
                assert_eq!(tf_device, device, "{scenario}/{file}: TF's own partition");
                // Grappler may add nodes of its own; the ones we know must be placed alike.
                if let Some(d) = ours_whole.get(&name) {
                    assert_eq!(d, device, "{scenario}: placement of {name}");
                    known += 1;
                }
                if let Some(d) = ours_placement.get(&name) {
                    assert_eq!(d, device, "{scenario}/{file}: partition of {name}");
                }
            }
            assert!(known > 0, "{scenario}/{file}: no node of TF's partition is known");
            if exact {
                let mine = ours.get(device).unwrap_or_else(|| panic!("{scenario}: no partition for {device}"));
                assert_eq!(
                    placement(std::iter::once(mine)),
                    placement(std::iter::once(&tf)),
                    "{scenario}/{file}: nodes"
                );
                assert_eq!(transfers(mine), transfers(&tf), "{scenario}/{file}: transfers");
            }
        }
        if exact {
            let workers: BTreeSet<&str> = ours.keys().map(String::as_str).filter(|d| *d != MASTER).collect();
            let tf_workers: BTreeSet<&str> = run.tf.iter().map(|(d, _)| *d).collect();
            assert_eq!(workers, tf_workers, "{scenario}: partitioned devices");
        }
    }
}

#[test]
fn simple_matches_tf() {
    let run = Run {
        feeds: &["a:0"],
        fetches: &["d:0"],
        targets: &[],
        tf: &[(W0, "worker0_002_RegisterGraph.req"), (W1, "worker1_002_RegisterGraph.req")],
    };
    check("simple", &[run], true);

    // The client device's partition: the feed's _Recv sent on to worker 0, the fetch received
    // from worker 1.
    let graph = session_graph("simple");
    let parts = partitions(&graph, &Run { feeds: &["a:0"], fetches: &["d:0"], targets: &[], tf: &[] });
    let ops: Vec<(&str, &str)> = parts[MASTER].node.iter().map(|n| (n.name.as_str(), n.op.as_str())).collect();
    assert_eq!(ops.len(), 4, "{ops:?}");
    assert!(ops.contains(&("_recv_a_0", "_Recv")) && ops.contains(&("_send_d_0", "_Send")), "{ops:?}");
}

#[test]
fn partial_run_matches_tf() {
    let run = Run {
        feeds: &["a:0", "b:0"],
        fetches: &["r1:0", "r2:0"],
        targets: &[],
        tf: &[(W0, "worker0_002_RegisterGraph.req"), (W1, "worker1_002_RegisterGraph.req")],
    };
    check("partial_run", &[run], true);
}

#[test]
fn errors_scenario_matches_tf_with_and_without_the_feed() {
    let fed = Run { feeds: &["a:0"], fetches: &["m:0"], targets: &[], tf: &[(W1, "worker1_002_RegisterGraph.req")] };
    let unfed = Run { feeds: &[], fetches: &["m:0"], targets: &[], tf: &[(W1, "worker1_006_RegisterGraph.req")] };
    check("errors", &[fed, unfed], true);
}

#[test]
fn callable_places_like_tf() {
    // Grappler turned `mul` into a Square there; placement and pairing still agree.
    let run = Run { feeds: &["a:0"], fetches: &["r:0"], targets: &[], tf: &[(W1, "worker1_002_RegisterGraph.req")] };
    check("callable", &[run], false);
}

#[test]
fn ps_sgd_places_like_tf() {
    let init = Run { feeds: &[], fetches: &[], targets: &["init"], tf: &[(W1, "worker1_002_RegisterGraph.req")] };
    let train = Run {
        feeds: &["x:0", "y:0"],
        fetches: &["loss:0"],
        targets: &["GradientDescent"],
        tf: &[(W0, "worker0_002_RegisterGraph.req"), (W1, "worker1_005_RegisterGraph.req")],
    };
    check("ps_sgd", &[init, train], false);
}

#[test]
fn mlp_adam_places_like_tf() {
    let init = Run { feeds: &[], fetches: &[], targets: &["init"], tf: &[(W1, "worker1_002_RegisterGraph.req")] };
    let train = Run {
        feeds: &["x:0", "y:0"],
        fetches: &["Mean:0", "Mean_1:0"],
        targets: &["Adam"],
        tf: &[(W0, "worker0_002_RegisterGraph.req"), (W1, "worker1_005_RegisterGraph.req")],
    };
    let read = Run {
        feeds: &[],
        fetches: &["global_step/Read/ReadVariableOp:0"],
        targets: &[],
        tf: &[(W1, "worker1_036_RegisterGraph.req")],
    };
    check("mlp_adam", &[init, train, read], false);

    // Every variable-touching node sits with its variable on worker 1, the model on worker 0.
    let mut g = session_graph("mlp_adam");
    place(&mut g, &devices(), MASTER).unwrap();
    for n in &g.node {
        let expected =
            if n.op.contains("Variable") || n.op.starts_with("ResourceApply") || n.name.contains("Initializer") {
                W1
            } else if n.name.starts_with("gradients/") || n.name == "Mean" || n.name == "MatMul" {
                W0
            } else {
                continue;
            };
        assert_eq!(n.device, expected, "{} ({})", n.name, n.op);
    }
}

#[test]
fn output_types_are_known_for_every_captured_op() {
    for scenario in ["simple", "partial_run", "errors", "callable", "ps_sgd", "mlp_adam"] {
        for n in &session_graph(scenario).node {
            let types = super::dtypes::output_types(n).unwrap_or_else(|e| panic!("{scenario}: {e}"));
            if n.op == "VarHandleOp" {
                assert_eq!(types, [ferroflow_framework::DType::Resource]);
            }
        }
    }
}
