//! Execution plans of a master session: for one signature (feeds, fetches, targets), the client
//! graph built, placed and partitioned, each partition registered on its task, and for every feed
//! and fetch the partition and rendezvous key through which it enters or leaves (in that
//! partition's `RunGraph` request or reply). Built once per signature and cached; immutable
//! afterwards and shared by `Arc` among the steps that run it.

use crate::interface::WorkerInterface;
use crate::master::graph;
use crate::worker_cache::WorkerCache;
use ferroflow_framework::device_name::DeviceName;
use ferroflow_framework::{Error, ParsedKey, Result};
use ferroflow_proto as pb;
use std::collections::HashMap;
use std::sync::Arc;

/// Feeds, fetches and targets of a run, in the client's order.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Signature {
    pub feeds: Vec<String>,
    pub fetches: Vec<String>,
    pub targets: Vec<String>,
}

/// A tensor name as `node:index` (TF accepts `node` for output 0).
pub fn canonical_tensor_name(name: &str) -> String {
    match name.rsplit_once(':') {
        Some((_, idx)) if !idx.is_empty() && idx.bytes().all(|b| b.is_ascii_digit()) => name.to_string(),
        _ => format!("{name}:0"),
    }
}

impl Signature {
    pub fn new(feeds: &[String], fetches: &[String], targets: &[String]) -> Signature {
        Signature {
            feeds: feeds.iter().map(|f| canonical_tensor_name(f)).collect(),
            fetches: fetches.iter().map(|f| canonical_tensor_name(f)).collect(),
            targets: targets.iter().map(|t| t.trim_start_matches('^').to_string()).collect(),
        }
    }

    /// The cache key: order does not change what runs.
    pub fn key(&self) -> Signature {
        let sorted = |v: &[String]| {
            let mut v = v.to_vec();
            v.sort();
            v.dedup();
            v
        };
        Signature { feeds: sorted(&self.feeds), fetches: sorted(&self.fetches), targets: sorted(&self.targets) }
    }
}

/// One registered partition.
pub struct Partition {
    pub task: String,
    pub device: String,
    pub worker: Arc<dyn WorkerInterface>,
    pub graph_handle: String,
    /// The graph registered (returned to clients that ask for partition graphs).
    pub graph: pb::GraphDef,
}

/// Where a feed enters or a fetch leaves a step.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// The partition whose `RunGraph` carries it; `None` for a feed nothing in the graph uses.
    pub partition: Option<usize>,
    /// The rendezvous key of its client-terminated transfer.
    pub key: String,
}

/// A signature's partitions and the endpoints of its feeds and fetches.
pub struct Plan {
    pub partitions: Vec<Partition>,
    /// Feed tensor name (as the client gives it) -> endpoint.
    pub feeds: HashMap<String, Endpoint>,
    /// Fetch tensor name -> endpoint.
    pub fetches: HashMap<String, Endpoint>,
}

/// What building a plan needs from the session.
pub struct PlanContext<'a> {
    pub session_handle: &'a str,
    pub graph: &'a pb::GraphDef,
    pub devices: &'a [pb::DeviceAttributes],
    pub client_device: &'a str,
    pub client_incarnation: u64,
    pub worker_cache: &'a WorkerCache,
    /// The session's count of nodes added by partitioning (names unique across its plans).
    pub partition_node_count: &'a parking_lot::Mutex<u64>,
}

impl Plan {
    /// Builds, places and partitions the client graph, then registers every partition.
    pub async fn build(ctx: PlanContext<'_>, sig: &Signature) -> Result<Plan> {
        let (client_graph, names) = graph::build_client_graph(ctx.graph, &sig.feeds, &sig.fetches, &sig.targets, ctx.client_device)?;
        // Functional ops (If, While, Case, function calls) become primitives before placement, so
        // the nodes of a loop's body are placed and partitioned like any other.
        let mut placed = client_graph;
        ferroflow_runtime::lower::lower_functional_ops(&mut placed, &ferroflow_kernels::registry())?;
        let device_names: Vec<String> = ctx.devices.iter().map(|d| d.name.clone()).collect();
        graph::place(&mut placed, &device_names, ctx.client_device)?;
        let transfer_devices = graph::localize_client_transfers(&mut placed, ctx.client_device)?;
        let mut incarnations: HashMap<String, u64> = ctx.devices.iter().map(|d| (d.name.clone(), d.incarnation)).collect();
        incarnations.entry(ctx.client_device.to_string()).or_insert(ctx.client_incarnation);
        let partitions = graph::partition_with_counter(&placed, &incarnations, &mut ctx.partition_node_count.lock())?;
        // (device, key) of each transfer; a pruned feed keeps the client device.
        let key_for = |devices: &HashMap<String, String>, tensor_name: &str| {
            let device = devices.get(tensor_name).map(String::as_str).unwrap_or(ctx.client_device);
            let incarnation = incarnations.get(device).copied().unwrap_or(ctx.client_incarnation);
            (device.to_string(), ParsedKey::new(device, incarnation, device, tensor_name, (0, 0)).as_str().to_string())
        };
        let feed_keys: Vec<(String, (String, String))> =
            names.feeds.iter().map(|(t, r)| (t.clone(), key_for(&transfer_devices.feeds, r))).collect();
        let fetch_keys: Vec<(String, (String, String))> =
            names.fetches.iter().map(|(t, r)| (t.clone(), key_for(&transfer_devices.fetches, r))).collect();

        let registrations = partitions.into_iter().map(|(device, graph_def)| async move {
            let task = DeviceName::parse(&device)?
                .task_name()
                .ok_or_else(|| Error::internal(format!("partition device {device} names no task")))?;
            let worker = ctx.worker_cache.worker(&task)?;
            if tracing::enabled!(tracing::Level::DEBUG) {
                let nodes: Vec<String> =
                    graph_def.node.iter().map(|n| format!("{} = {}({}) @{}", n.name, n.op, n.input.join(", "), n.device)).collect();
                tracing::debug!(%device, "registering partition:\n  {}", nodes.join("\n  "));
            }
            let resp = worker
                .register_graph(pb::RegisterGraphRequest {
                    session_handle: ctx.session_handle.to_string(),
                    create_worker_session_called: true,
                    graph_def: Some(graph_def.clone()),
                    ..Default::default()
                })
                .await
                .map_err(|e| e.context(format!("From {task}:\n")))?;
            Ok::<_, Error>(Partition { task, device, worker, graph_handle: resp.graph_handle, graph: graph_def })
        });
        let partitions: Vec<Partition> = futures::future::try_join_all(registrations).await?;
        let endpoints = |keys: Vec<(String, (String, String))>| -> HashMap<String, Endpoint> {
            keys.into_iter()
                .map(|(tensor, (device, key))| (tensor, Endpoint { partition: partitions.iter().position(|p| p.device == device), key }))
                .collect()
        };
        let feeds = endpoints(feed_keys);
        let fetches = endpoints(fetch_keys);
        Ok(Plan { partitions, feeds, fetches })
    }

    /// Deregisters every partition (errors ignored: the worker may be gone).
    pub async fn deregister(&self, session_handle: &str) {
        let calls = self.partitions.iter().map(|p| {
            p.worker.deregister_graph(pb::DeregisterGraphRequest {
                session_handle: session_handle.to_string(),
                create_worker_session_called: true,
                graph_handle: p.graph_handle.clone(),
            })
        });
        let _ = futures::future::join_all(calls).await;
    }
}
