//! The client graph of one run signature, as TF's `RewriteGraphForExecution` builds it for a
//! remote session: every fed tensor is replaced by a client-terminated `_Recv` (`_recv_<node>_<k>`)
//! on the client device, every fetched tensor gets a client-terminated `_Send` (`_send_<node>_<k>`)
//! there, both using the tensor's name as given (`a:0`) as the rendezvous tensor name, and the graph
//! is pruned to what the fetches and targets need (data and control inputs count; a fed tensor cuts
//! the graph above it). Errors use TF's codes and wording (`FeedInputs: ...`, `FetchOutputs ...`,
//! `PruneForTargets: ...`).
//!
//! Pure function on borrowed graphs.

use super::dtypes;
use super::view::{GraphView, input_string, parse_tensor_name};
use ferroflow_framework::node_def::Transfer;
use ferroflow_framework::{DType, Error, Result};
use ferroflow_proto::{GraphDef, NodeDef};
use ferroflow_framework::graph_def::parse_input;
use std::collections::{HashMap, HashSet};

/// Rendezvous names of the client-terminated transfers of a client graph.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientGraphNames {
    /// (fed tensor as given, rendezvous tensor name), in the order given. A feed whose `_Recv` was
    /// pruned away (nothing needs it) is also listed in `unused_feeds`; sending it is harmless.
    pub feeds: Vec<(String, String)>,
    /// (fetched tensor as given, rendezvous tensor name), in the order given.
    pub fetches: Vec<(String, String)>,
    /// Element types of the feeds and fetches, parallel to `feeds` and `fetches`.
    pub feed_types: Vec<DType>,
    pub fetch_types: Vec<DType>,
    /// Feeds nothing in the pruned graph consumes.
    pub unused_feeds: Vec<String>,
}

/// The name of the `_Recv` that replaces fed tensor `node:slot` (TF's `_recv_<node>_<slot>`).
pub fn feed_node_name(node: &str, slot: usize) -> String {
    format!("_recv_{node}_{slot}")
}

/// The name of the `_Send` that delivers fetched tensor `node:slot` (TF's `_send_<node>_<slot>`).
pub fn fetch_node_name(node: &str, slot: usize) -> String {
    format!("_send_{node}_{slot}")
}

/// Builds the client graph of (`feeds`, `fetches`, `targets`) over `graph`. The added `_Recv` and
/// `_Send` nodes are placed on `client_device` with `send_device_incarnation` 0; partitioning fills
/// in the client device's incarnation, as TF's `SetIncarnation` does.
pub fn build_client_graph(
    graph: &GraphDef,
    feeds: &[String],
    fetches: &[String],
    targets: &[String],
    client_device: &str,
) -> Result<(GraphDef, ClientGraphNames)> {
    if fetches.is_empty() && targets.is_empty() {
        return Err(Error::invalid_argument("Must specify at least one target to fetch or execute."));
    }
    let mut fed: HashSet<&str> = HashSet::new();
    for f in feeds {
        if !fed.insert(f.as_str()) {
            return Err(Error::invalid_argument(format!("Endpoint \"{f}\" fed more than once.")));
        }
    }
    if let Some(f) = fetches.iter().find(|f| fed.contains(f.as_str())) {
        return Err(Error::invalid_argument(format!("{f} is both fed and fetched.")));
    }
    // Validates names and inputs of the whole graph, as TF's import of it would have.
    GraphView::new(graph)?;

    let mut nodes: Vec<NodeDef> = graph.node.clone();
    let mut index: HashMap<String, usize> = nodes.iter().enumerate().map(|(i, n)| (n.name.clone(), i)).collect();
    let mut names = ClientGraphNames::default();
    let mut feed_nodes = Vec::with_capacity(feeds.len());

    for f in feeds {
        let (node_name, slot) = parse_tensor_name(f);
        let &i = index
            .get(node_name)
            .filter(|_| slot.is_some())
            .ok_or_else(|| Error::not_found(format!("FeedInputs: unable to find feed output {f}")))?;
        let slot = slot.unwrap_or(0);
        let dtype = match known_output_count(&nodes[i])? {
            Some(count) if slot >= count => {
                return Err(Error::invalid_argument(format!("FeedInputs: {f} should have output index < {count}")));
            }
            _ => dtypes::output_type(&nodes[i], slot)?,
        };
        let recv_name = feed_node_name(node_name, slot);
        let rewire_control = matches!(nodes[i].op.as_str(), "Placeholder" | "PlaceholderV2");
        let src = node_name.to_string();
        for n in nodes.iter_mut() {
            for input in n.input.iter_mut() {
                let (s, k, control) = parse_input(input);
                if s != src {
                    continue;
                }
                if !control && k == slot {
                    *input = recv_name.clone();
                } else if control && rewire_control {
                    *input = input_string(&recv_name, None);
                }
            }
        }
        let recv = client_transfer(dtype, f, client_device).recv_node(&recv_name).build();
        index.insert(recv_name.clone(), nodes.len());
        feed_nodes.push(nodes.len());
        nodes.push(recv);
        names.feeds.push((f.clone(), f.clone()));
        names.feed_types.push(dtype);
    }

    let mut roots = Vec::with_capacity(fetches.len() + targets.len());
    for f in fetches {
        let (node_name, slot) = parse_tensor_name(f);
        let &i = index
            .get(node_name)
            .filter(|_| slot.is_some())
            .ok_or_else(|| Error::not_found(format!("FetchOutputs node {f}: not found")))?;
        let slot = slot.unwrap_or(0);
        match known_output_count(&nodes[i])? {
            Some(0) => {
                return Err(Error::invalid_argument(format!(
                    "Tried to fetch data for '{f}', which produces no output.  To run to a node but not fetch any data, \
                     pass '{f}' as an argument to the 'target_node_names' argument of the Session::Run API."
                )));
            }
            Some(count) if slot >= count => {
                return Err(Error::invalid_argument(format!("FetchOutputs {f}: output index too large, must be < {count}")));
            }
            _ => {}
        }
        let dtype = dtypes::output_type(&nodes[i], slot)?;
        let send_name = fetch_node_name(node_name, slot);
        let input = input_string(node_name, Some(slot));
        let send = client_transfer(dtype, f, client_device).send_node(&send_name, &input).build();
        index.insert(send_name, nodes.len());
        roots.push(nodes.len());
        nodes.push(send);
        names.fetches.push((f.clone(), f.clone()));
        names.fetch_types.push(dtype);
    }

    let mut not_found = String::new();
    for t in targets {
        let (node_name, _) = parse_tensor_name(t);
        match index.get(node_name) {
            Some(&i) => roots.push(i),
            None => not_found.push_str(&format!("{t} ")),
        }
    }
    if !not_found.is_empty() {
        return Err(Error::not_found(format!("PruneForTargets: Some target nodes not found: {not_found}")));
    }

    let rewritten = GraphDef { node: nodes, ..graph.clone() };
    let keep = reverse_reachable(&rewritten, &roots)?;
    for (k, &i) in feed_nodes.iter().enumerate() {
        if !keep[i] {
            names.unused_feeds.push(feeds[k].clone());
        }
    }
    let node = rewritten.node.into_iter().zip(keep).filter_map(|(n, k)| k.then_some(n)).collect();
    Ok((GraphDef { node, ..graph.clone() }, names))
}

/// How many outputs `node` has, when its op is defined (`None` for an op only other runtimes know).
fn known_output_count(node: &NodeDef) -> Result<Option<usize>> {
    match dtypes::output_types(node) {
        Ok(types) => Ok(Some(types.len())),
        Err(e) if e.code == ferroflow_framework::Code::Unimplemented => Ok(None),
        Err(e) => Err(e),
    }
}

/// A client-terminated transfer on the client device under rendezvous name `tensor`.
fn client_transfer<'a>(dtype: DType, tensor: &'a str, client_device: &'a str) -> Transfer<'a> {
    Transfer {
        dtype,
        tensor_name: tensor,
        send_device: client_device,
        send_device_incarnation: 0,
        recv_device: client_device,
        client_terminated: true,
    }
}

/// Which nodes `roots` reach through data and control inputs.
fn reverse_reachable(graph: &GraphDef, roots: &[usize]) -> Result<Vec<bool>> {
    let view = GraphView::new(graph)?;
    let mut keep = vec![false; view.len()];
    let mut stack: Vec<usize> = roots.to_vec();
    while let Some(i) = stack.pop() {
        if std::mem::replace(&mut keep[i], true) {
            continue;
        }
        stack.extend(view.inputs[i].iter().map(|e| e.src).filter(|&s| !keep[s]));
    }
    Ok(keep)
}

#[cfg(test)]
#[path = "client_graph_tests.rs"]
mod tests;
