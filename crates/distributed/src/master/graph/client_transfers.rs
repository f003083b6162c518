//! Moves the client-terminated transfers of a placed client graph from the client device to the
//! tensors they carry: a fetch's `_Send` to its producer's device, a feed's `_Recv` to its
//! consumers' device when they all share one. The master then passes feeds in the `RunGraph`
//! request of the partition that uses them and gets fetches back in that partition's reply,
//! instead of routing each through its own partition with a `RecvTensor` call to or from a worker:
//! one round trip fewer on the step's critical path for every fed or fetched tensor. TF keeps them
//! on the client device; what runs and what it computes are the same.
//!
//! Pure function on a placed graph.

use super::view::GraphView;
use ferroflow_framework::{Attrs, Result};
use ferroflow_proto::attr_value::Value;
use ferroflow_proto::{AttrValue, GraphDef};
use std::collections::HashMap;

/// Where each client-terminated transfer ended up.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct TransferDevices {
    /// Rendezvous tensor name of a feed -> device of its `_Recv`.
    pub feeds: HashMap<String, String>,
    /// Rendezvous tensor name of a fetch -> device of its `_Send`.
    pub fetches: HashMap<String, String>,
}

fn is_client_transfer(node: &ferroflow_proto::NodeDef, client_device: &str) -> bool {
    (node.op == "_Send" || node.op == "_Recv")
        && node.device == client_device
        && Attrs::new(node).get_bool_or("client_terminated", false).unwrap_or(false)
}

fn set_string(node: &mut ferroflow_proto::NodeDef, name: &str, value: &str) {
    node.attr.insert(name.to_string(), AttrValue { value: Some(Value::S(value.as_bytes().to_vec().into())) });
}

/// Moves the transfers (see the module doc) and reports every client-terminated transfer's device.
pub fn localize_client_transfers(graph: &mut GraphDef, client_device: &str) -> Result<TransferDevices> {
    let moves: Vec<(usize, String)> = {
        let view = GraphView::new(graph)?;
        (0..view.len())
            .filter(|&i| is_client_transfer(&graph.node[i], client_device))
            .filter_map(|i| {
                let node = &graph.node[i];
                let target = if node.op == "_Send" {
                    view.inputs[i].iter().find(|e| e.slot.is_some()).map(|e| graph.node[e.src].device.clone())
                } else {
                    let mut devices = view.outputs[i].iter().map(|e| &graph.node[e.dst].device);
                    let first = devices.next()?.clone();
                    devices.all(|d| *d == first).then_some(first)
                };
                target.filter(|d| !d.is_empty() && d != client_device).map(|d| (i, d))
            })
            .collect()
    };
    for (i, device) in moves {
        let node = &mut graph.node[i];
        node.device = device.clone();
        set_string(node, "send_device", &device);
        set_string(node, "recv_device", &device);
        node.attr.insert("send_device_incarnation".into(), AttrValue { value: Some(Value::I(0)) });
    }
    let mut found = TransferDevices::default();
    for node in &graph.node {
        let attrs = Attrs::new(node);
        if !attrs.get_bool_or("client_terminated", false).unwrap_or(false) || !(node.op == "_Send" || node.op == "_Recv") {
            continue;
        }
        let tensor = attrs.get_string("tensor_name")?;
        let table = if node.op == "_Recv" { &mut found.feeds } else { &mut found.fetches };
        table.insert(tensor, node.device.clone());
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::master::graph::{build_client_graph, place};
    use ferroflow_framework::DType;
    use ferroflow_framework::node_def::NodeDefBuilder;

    const CLIENT: &str = "/job:master/replica:0/task:0/device:CPU:0";
    const W0: &str = "/job:worker/replica:0/task:0/device:CPU:0";
    const W1: &str = "/job:worker/replica:0/task:1/device:CPU:0";

    fn node(name: &str, op: &str, inputs: &[&str], device: &str) -> ferroflow_proto::NodeDef {
        let mut b = NodeDefBuilder::new(name, op).device(device).attr_type("T", DType::Float).attr_type("dtype", DType::Float);
        for i in inputs {
            b = b.input(i);
        }
        b.build()
    }

    fn placed(nodes: Vec<ferroflow_proto::NodeDef>, feeds: &[&str], fetches: &[&str]) -> GraphDef {
        let graph = GraphDef { node: nodes, ..Default::default() };
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let (mut g, _) = build_client_graph(&graph, &s(feeds), &s(fetches), &[], CLIENT).unwrap();
        place(&mut g, &[CLIENT.to_string(), W0.to_string(), W1.to_string()], CLIENT).unwrap();
        g
    }

    fn device_of<'a>(g: &'a GraphDef, name: &str) -> &'a str {
        &g.node.iter().find(|n| n.name == name).unwrap().device
    }

    #[test]
    fn feeds_and_fetches_move_to_the_workers_that_use_them() {
        let mut g = placed(
            vec![node("a", "Placeholder", &[], W0), node("b", "Square", &["a"], W0), node("c", "Neg", &["b"], W1)],
            &["a:0"],
            &["c:0"],
        );
        let devices = localize_client_transfers(&mut g, CLIENT).unwrap();
        assert_eq!(devices.feeds["a:0"], W0);
        assert_eq!(devices.fetches["c:0"], W1);
        assert_eq!(device_of(&g, "_recv_a_0"), W0);
        assert_eq!(device_of(&g, "_send_c_0"), W1);
        let send = g.node.iter().find(|n| n.name == "_send_c_0").unwrap();
        let attrs = Attrs::new(send);
        assert_eq!(attrs.get_string("send_device").unwrap(), W1);
        assert_eq!(attrs.get_string("recv_device").unwrap(), W1);
        assert!(attrs.get_bool_or("client_terminated", false).unwrap());
    }

    #[test]
    fn a_feed_used_on_two_devices_stays_on_the_client_device() {
        let mut g = placed(
            vec![node("a", "Placeholder", &[], W0), node("b", "Square", &["a"], W0), node("c", "Neg", &["a"], W1), node("d", "AddV2", &["b", "c"], W1)],
            &["a:0"],
            &["d:0"],
        );
        let devices = localize_client_transfers(&mut g, CLIENT).unwrap();
        assert_eq!(devices.feeds["a:0"], CLIENT);
        assert_eq!(devices.fetches["d:0"], W1);
    }
}
