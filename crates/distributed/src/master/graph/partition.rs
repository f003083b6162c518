//! Splitting a placed graph into one `GraphDef` per device, as TF's `Partition` does for the master:
//!
//! - every node is copied (all attrs kept) into its device's partition with its full device name;
//! - a data edge between devices becomes a `_Send` on the source device and a `_Recv` on the
//!   destination, one pair per (source output, destination device) shared by all consumers there,
//!   with TF's attrs (`T`/`tensor_type`, `tensor_name` = `edge_<id>_<src>`, `send_device`,
//!   `send_device_incarnation`, `recv_device`, `_src`, `_dst`);
//! - a control edge between devices becomes a tiny float `Const` (`<src>/ctrl_S<n>`, control-
//!   dependent on the source) sent to the destination, where an `Identity` of the `_Recv` becomes
//!   the consumer's control input;
//! - new nodes are named `<src>_S<n>` from a counter the caller keeps per session, as TF's master;
//! - client-terminated `_Send`/`_Recv` nodes (feeds, fetches) get their send device's incarnation;
//! - `versions` are copied from the input graph.
//!
//! Pure functions; the only state is the caller's name counter.

use super::dtypes;
use super::view::{GraphView, input_string};
use ferroflow_framework::device_name::DeviceName;
use ferroflow_framework::node_def::{NodeDefBuilder, Transfer};
use ferroflow_framework::{Attrs, DType, Error, Result};
use ferroflow_proto::attr_value::Value;
use ferroflow_proto::{AttrValue, GraphDef, NodeDef, TensorProto, TensorShapeProto, tensor_shape_proto};
use std::collections::{BTreeMap, HashMap};

/// Partitions a placed `graph` by device; `incarnations` maps every device name to its
/// incarnation. New node names count from `_S0`; see [`partition_with_counter`] to continue a
/// session-wide count.
pub fn partition(graph: &GraphDef, incarnations: &HashMap<String, u64>) -> Result<BTreeMap<String, GraphDef>> {
    partition_with_counter(graph, incarnations, &mut 0)
}

/// [`partition`], naming new nodes `<prefix>_S<n>` with `n` taken from (and advancing) `next_id`.
pub fn partition_with_counter(
    graph: &GraphDef,
    incarnations: &HashMap<String, u64>,
    next_id: &mut u64,
) -> Result<BTreeMap<String, GraphDef>> {
    let view = GraphView::new(graph)?;
    let devices = graph
        .node
        .iter()
        .map(|n| match DeviceName::parse(&n.device).ok().and_then(|d| d.full_name()) {
            Some(full) => Ok(full),
            None => Err(Error::internal(format!(
                "Node '{}' is not placed on a device (device '{}'); place the graph before partitioning",
                n.name, n.device
            ))),
        })
        .collect::<Result<Vec<String>>>()?;
    let incarnation = |d: &str| {
        incarnations.get(d).copied().ok_or_else(|| Error::internal(format!("No incarnation is known for device {d}")))
    };

    let mut parts: BTreeMap<String, Vec<NodeDef>> = BTreeMap::new();
    // (source, source slot or None for control, destination device) -> node consumers use.
    let mut transferred: HashMap<(usize, Option<usize>, &str), String> = HashMap::new();
    let mut edge_id = 0usize;
    for (dst, node) in graph.node.iter().enumerate() {
        let dst_dev = devices[dst].as_str();
        let mut copy = node.clone();
        copy.device = dst_dev.to_string();
        copy.input.clear();
        let mut controls = Vec::new();
        let mut received = Vec::new();
        for e in &view.inputs[dst] {
            let id = edge_id;
            edge_id += 1;
            let src_name = view.name(e.src);
            let src_dev = devices[e.src].as_str();
            if src_dev == dst_dev {
                let input = input_string(src_name, e.slot);
                if e.slot.is_some() {
                    copy.input.push(input)
                } else {
                    controls.push(input)
                }
                continue;
            }
            let key = (e.src, e.slot, dst_dev);
            let via = match transferred.get(&key) {
                Some(name) => name.clone(),
                None => {
                    let tensor_name = format!("edge_{id}_{src_name}");
                    let transfer = |dtype| Transfer {
                        dtype,
                        tensor_name: &tensor_name,
                        send_device: src_dev,
                        send_device_incarnation: 0,
                        recv_device: dst_dev,
                        client_terminated: false,
                    };
                    let tag = |b: NodeDefBuilder| b.attr_str("_src", src_name).attr_str("_dst", &node.name);
                    let inc = incarnation(src_dev)?;
                    let src_part = parts.entry(src_dev.to_string()).or_default();
                    let via = match e.slot {
                        Some(slot) => {
                            let dtype = dtypes::output_type(&graph.node[e.src], slot).map_err(|err| {
                                err.context(format!(
                                    "Cannot send {} to '{}' on {dst_dev}: ",
                                    input_string(src_name, e.slot),
                                    node.name
                                ))
                            })?;
                            let t = Transfer { send_device_incarnation: inc, ..transfer(dtype) };
                            let send = t.send_node(&new_name(src_name, next_id), &input_string(src_name, e.slot));
                            src_part.push(tag(send).build());
                            let recv_name = new_name(src_name, next_id);
                            received.push(tag(t.recv_node(&recv_name)).build());
                            recv_name
                        }
                        None => {
                            let t = Transfer { send_device_incarnation: inc, ..transfer(DType::Float) };
                            let dummy =
                                control_const(&new_name(&format!("{src_name}/ctrl"), next_id), src_name, src_dev);
                            let send = t.send_node(&new_name(src_name, next_id), &dummy.name);
                            src_part.push(dummy);
                            src_part.push(tag(send).build());
                            let recv_name = new_name(src_name, next_id);
                            received.push(tag(t.recv_node(&recv_name)).build());
                            let id_name = new_name(src_name, next_id);
                            let identity = NodeDefBuilder::new(&id_name, "Identity")
                                .device(dst_dev)
                                .input(&recv_name)
                                .attr_type("T", DType::Float);
                            received.push(identity.build());
                            id_name
                        }
                    };
                    transferred.insert(key, via.clone());
                    via
                }
            };
            match e.slot {
                Some(_) => copy.input.push(via),
                None => controls.push(input_string(&via, None)),
            }
        }
        copy.input.extend(controls);
        let part = parts.entry(dst_dev.to_string()).or_default();
        part.push(copy);
        part.extend(received);
    }

    Ok(parts
        .into_iter()
        .map(|(device, mut node)| {
            for n in node.iter_mut() {
                fill_incarnation(n, incarnations);
            }
            (device, GraphDef { node, versions: graph.versions.clone(), version: graph.version, library: graph.library.clone() })
        })
        .collect())
}

/// The next `<prefix>_S<n>` name.
fn new_name(prefix: &str, next_id: &mut u64) -> String {
    let name = format!("{prefix}_S{next_id}");
    *next_id += 1;
    name
}

/// The empty float tensor sent in place of a control edge, run after `src`.
fn control_const(name: &str, src: &str, device: &str) -> NodeDef {
    let empty = TensorProto {
        dtype: DType::Float.to_proto(),
        tensor_shape: Some(TensorShapeProto {
            dim: vec![tensor_shape_proto::Dim { size: 0, ..Default::default() }],
            ..Default::default()
        }),
        ..Default::default()
    };
    NodeDefBuilder::new(name, "Const")
        .device(device)
        .input(&input_string(src, None))
        .attr_type("dtype", DType::Float)
        .attr_value("value", AttrValue { value: Some(Value::Tensor(empty)) })
        .build()
}

/// Sets a `_Send`/`_Recv`'s missing (or 0) `send_device_incarnation` from its send device, as TF's
/// `SetIncarnation`; left alone when the device is unknown.
fn fill_incarnation(n: &mut NodeDef, incarnations: &HashMap<String, u64>) {
    if n.op != "_Send" && n.op != "_Recv" {
        return;
    }
    let a = Attrs::new(n);
    if a.get_int_or("send_device_incarnation", 0).unwrap_or(0) != 0 {
        return;
    }
    let Ok(send_device) = a.get_string("send_device") else { return };
    if let Some(&inc) = incarnations.get(&send_device) {
        n.attr.insert("send_device_incarnation".into(), AttrValue { value: Some(Value::I(inc as i64)) });
    }
}

#[cfg(test)]
#[path = "partition_tests.rs"]
mod tests;
