//! Device placement of a graph, following TF's `Placer` and `ColocationGraph` as the master runs
//! them (no default local device; soft placement off unless asked):
//!
//! 1. Every node starts in its own colocation group with its requested (possibly partial) device
//!    spec: full names, partial ones (`/job:worker/task:1`, `/device:CPU:0`), legacy `/cpu:0`.
//! 2. Resource edges colocate: a node consuming a `DT_RESOURCE` output (e.g. a `ReadVariableOp` of a
//!    `VarHandleOp`) joins its producer's group, and when their requests conflict the producer's
//!    wins, as in TF.
//! 3. `_class` attrs (`loc:@other`) put nodes in `other`'s group; merging incompatible requests is
//!    INVALID_ARGUMENT `Cannot colocate nodes ...` (ignored under soft placement).
//! 4. Nodes are assigned in the importer's topological order: a group's candidates are the devices
//!    matching its merged spec (all devices if none), sorted by device type priority (GPU, then CPU)
//!    and then by name, so an unconstrained node lands on the first one — for a `{master, worker}`
//!    cluster the master's CPU. Heuristics: metadata ops (`Shape`, `Size`, `Rank`, `ShapeN`) go
//!    with their input, generators (no inputs, one output) go with their consumers when those all
//!    share a device. Once a node is assigned its whole group is pinned to that device.
//! 5. A spec no device matches is INVALID_ARGUMENT `Cannot assign a device for operation X: ...`.
//!
//! Pure functions on the graph they are given.

use super::dtypes;
use super::view::{GraphView, spec_string};
use ferroflow_framework::device_name::DeviceName;
use ferroflow_framework::node_def::NodeDefBuilder;
use ferroflow_framework::{Attrs, DType, Error, Result};
use ferroflow_proto::GraphDef;
use ferroflow_proto::attr_value::Value;
use std::collections::HashMap;

/// Placement options (TF's `ConfigProto.allow_soft_placement`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PlacerOptions {
    /// When a spec names no device, retry without its device type and id; ignore colocation
    /// requests that conflict.
    pub allow_soft_placement: bool,
}

/// Assigns every node of `graph` a full device name from `devices` (the full names of all cluster
/// devices), with soft placement off (TF's default). Client-terminated `_Send`/`_Recv` nodes without
/// a device go to `client_device`.
pub fn place(graph: &mut GraphDef, devices: &[String], client_device: &str) -> Result<()> {
    place_with_options(graph, devices, client_device, &PlacerOptions::default())
}

/// [`place`] with explicit options.
pub fn place_with_options(
    graph: &mut GraphDef,
    devices: &[String],
    client_device: &str,
    opts: &PlacerOptions,
) -> Result<()> {
    if devices.is_empty() {
        return Err(Error::failed_precondition("No devices are registered"));
    }
    let devs = devices
        .iter()
        .map(|d| match DeviceName::parse(d) {
            Ok(p) if p.full_name().is_some() => Ok(Dev { name: p.full_name().unwrap_or_default(), parsed: p }),
            _ => Err(Error::internal(format!("placer given a device that is not a full device name: '{d}'"))),
        })
        .collect::<Result<Vec<_>>>()?;
    let assignment = {
        let view = GraphView::new(graph)?;
        let mut placer = Placer::new(&view, &devs, opts.allow_soft_placement, client_device)?;
        let order = view.topo_order();
        placer.colocate_resource_edges(&order)?;
        placer.colocate_groups(&order)?;
        placer.assign(&order)?
    };
    for (node, d) in graph.node.iter_mut().zip(assignment) {
        node.device = devs[d].name.clone();
    }
    Ok(())
}

struct Dev {
    name: String,
    parsed: DeviceName,
}

/// One node's slot in the union-find forest; the root's fields describe the whole group.
#[derive(Clone)]
struct Member {
    parent: usize,
    rank: u32,
    requested: DeviceName,
    assigned: Option<usize>,
    possible: Option<Vec<usize>>,
}

/// Ops whose resource inputs do not force colocation (they forward them to placed function bodies).
const RESOURCE_COLOCATION_EXEMPT: &[&str] = &["PartitionedCall", "StatefulPartitionedCall"];

/// Ops that only read their input's metadata.
const METADATA_OPS: &[&str] = &["Shape", "ShapeN", "Size", "Rank"];

/// Ops producing reference-typed outputs (never treated as generators).
const REF_PRODUCERS: &[&str] = &["VariableV2", "Variable", "TemporaryVariable"];

struct Placer<'v, 'a> {
    view: &'v GraphView<'a>,
    devices: &'v [Dev],
    soft: bool,
    members: Vec<Member>,
    types: Vec<Option<Vec<DType>>>,
    node_device: Vec<Option<usize>>,
}

impl<'v, 'a> Placer<'v, 'a> {
    fn new(view: &'v GraphView<'a>, devices: &'v [Dev], soft: bool, client_device: &str) -> Result<Placer<'v, 'a>> {
        let mut members = Vec::with_capacity(view.len());
        for (i, n) in view.def.node.iter().enumerate() {
            let mut spec = n.device.as_str();
            let client_terminated = Attrs::new(n).get_bool_or("client_terminated", false).unwrap_or(false);
            if spec.is_empty() && client_terminated && (n.op == "_Send" || n.op == "_Recv") {
                spec = client_device;
            }
            let requested = DeviceName::parse(spec).map_err(|_| {
                Error::invalid_argument(format!(
                    "Malformed device specification '{spec}' in node: {{name:'{}' op:'{}'}}",
                    n.name, n.op
                ))
            })?;
            members.push(Member { parent: i, rank: 0, requested, assigned: None, possible: None });
        }
        let types = view.def.node.iter().map(|n| dtypes::output_types(n).ok()).collect();
        Ok(Placer { view, devices, soft, members, types, node_device: vec![None; view.len()] })
    }

    fn find(&mut self, i: usize) -> usize {
        let mut root = i;
        while self.members[root].parent != root {
            root = self.members[root].parent;
        }
        let mut j = i;
        while self.members[j].parent != root {
            let next = self.members[j].parent;
            self.members[j].parent = root;
            j = next;
        }
        root
    }

    fn root_of(&self, i: usize) -> usize {
        let mut root = i;
        while self.members[root].parent != root {
            root = self.members[root].parent;
        }
        root
    }

    /// Merges the groups of `x` and `y` (TF's `ColocateNodes`); nothing changes on error.
    fn colocate(&mut self, x: usize, y: usize) -> Result<()> {
        let (xr, yr) = (self.find(x), self.find(y));
        if xr == yr {
            return Ok(());
        }
        let (new, old) = if self.members[xr].rank < self.members[yr].rank { (yr, xr) } else { (xr, yr) };
        let merged =
            merge_specs(&self.members[new].requested, &self.members[old].requested, self.soft).map_err(|m| {
                Error::invalid_argument(format!(
                    "Cannot colocate nodes {{{{colocation_node {}}}}} and {{{{colocation_node {}}}}}: {m}",
                    self.view.name(x),
                    self.view.name(y)
                ))
            })?;
        if self.members[new].rank == self.members[old].rank {
            self.members[new].rank += 1;
        }
        self.members[old].parent = new;
        let root = &mut self.members[new];
        root.requested = merged;
        root.possible = None;
        Ok(())
    }

    fn is_resource_edge(&self, src: usize, slot: usize, dst: usize, dst_slot: usize) -> bool {
        match &self.types[src] {
            Some(types) => types.get(slot) == Some(&DType::Resource),
            None => dtypes::is_resource_input(&self.view.def.node[dst], dst_slot),
        }
    }

    /// Colocates every resource consumer with the resource's producer.
    fn colocate_resource_edges(&mut self, order: &[usize]) -> Result<()> {
        let view = self.view;
        for &dst in order {
            if RESOURCE_COLOCATION_EXEMPT.contains(&view.def.node[dst].op.as_str()) {
                continue;
            }
            let mut dst_slot = 0;
            for e in &view.inputs[dst] {
                let Some(slot) = e.slot else { continue };
                if self.is_resource_edge(e.src, slot, dst, dst_slot) {
                    let (sr, dr) = (self.find(e.src), self.find(dst));
                    if !compatible(&self.members[sr].requested, &self.members[dr].requested) {
                        // The producer's device wins over the consumer's request.
                        self.members[dr].requested = self.members[sr].requested.clone();
                    }
                    self.colocate(e.src, dst).map_err(|err| {
                        Error::invalid_argument(format!(
                            "Nodes were connected by a reference connection (requiring them to be on the same device), \
                             but the two nodes were assigned two different devices: {}",
                            err.message
                        ))
                        .with_node(view.name(dst))
                    })?;
                }
                dst_slot += 1;
            }
        }
        Ok(())
    }

    /// Applies `_class` colocation groups; each node is also in the group named after itself.
    fn colocate_groups(&mut self, order: &[usize]) -> Result<()> {
        let def: &'a GraphDef = self.view.def;
        let mut roots: HashMap<&'a str, usize> = HashMap::new();
        for &i in order {
            let node = &def.node[i];
            if let Some(Value::List(list)) = node.attr.get("_class").and_then(|a| a.value.as_ref()) {
                for class in &list.s {
                    if let Some(group) = std::str::from_utf8(class).ok().and_then(|c| c.strip_prefix("loc:@")) {
                        self.join_group(&mut roots, i, group)?;
                    }
                }
            }
            self.join_group(&mut roots, i, node.name.as_str())?;
        }
        Ok(())
    }

    fn join_group(&mut self, roots: &mut HashMap<&'a str, usize>, i: usize, group: &'a str) -> Result<()> {
        match roots.get(group) {
            None => {
                roots.insert(group, i);
            }
            Some(&root) => {
                if let Err(e) = self.colocate(i, root)
                    && !self.soft
                {
                    return Err(e.with_node(self.view.name(i)));
                }
            }
        }
        Ok(())
    }

    /// Candidate devices of `i`'s group, best first.
    fn devices_for(&mut self, i: usize) -> Result<Vec<usize>> {
        let r = self.find(i);
        if let Some(d) = self.members[r].assigned {
            return Ok(vec![d]);
        }
        if let Some(p) = &self.members[r].possible {
            return Ok(p.clone());
        }
        let requested = self.members[r].requested.clone();
        let mut found = if requested == DeviceName::default() {
            (0..self.devices.len()).collect()
        } else {
            let mut found = self.matching(&requested);
            if found.is_empty() && self.soft {
                let relaxed = DeviceName { device_type: None, id: None, ..requested.clone() };
                found = self.matching(&relaxed);
            }
            if found.is_empty() {
                return Err(self.no_device_error(i, r));
            }
            found
        };
        let devices = self.devices;
        found.sort_by(|&a, &b| {
            let prio = |d: usize| type_priority(devices[d].parsed.device_type.as_deref());
            prio(b).cmp(&prio(a)).then_with(|| devices[a].name.cmp(&devices[b].name))
        });
        self.members[r].possible = Some(found.clone());
        Ok(found)
    }

    fn matching(&self, spec: &DeviceName) -> Vec<usize> {
        (0..self.devices.len()).filter(|&d| spec.matches(&self.devices[d].parsed)).collect()
    }

    fn no_device_error(&self, i: usize, root: usize) -> Error {
        let node = &self.view.def.node[i];
        let spec = node.device.as_str();
        let merged = &self.members[root].requested;
        let mut sorted: Vec<&str> = self.devices.iter().map(|d| d.name.as_str()).collect();
        sorted.sort();
        let own = DeviceName::parse(spec).ok();
        if own.as_ref() == Some(merged) {
            if self.matching(merged).is_empty() {
                return Error::invalid_argument(format!(
                    "{{{{node {}}}}} was explicitly assigned to {spec} but available devices are [ {} ]. Make sure the \
                     device specification refers to a valid device.",
                    node.name,
                    sorted.join(", ")
                ));
            }
            return Error::invalid_argument(format!(
                "Could not satisfy explicit device specification '{spec}'{}",
                self.debug_info(root)
            ));
        }
        let all: Vec<&str> = self.devices.iter().map(|d| d.name.as_str()).collect();
        Error::invalid_argument(format!(
            "Could not satisfy explicit device specification '{spec}' because the node {{{{colocation_node {}}}}} was \
             colocated with a group of nodes that required incompatible device '{}'. All available devices [{}]. {}",
            node.name,
            spec_string(merged),
            all.join(", "),
            self.debug_info(root)
        ))
    }

    /// The members of a colocation group, as TF's colocation debug info lists them.
    fn debug_info(&self, root: usize) -> String {
        let mut s = format!(
            "\nColocation Debug Info:\nColocation group had the following requested device: '{}'\n\nColocation members, \
             user-requested devices, and framework assigned devices, if any:\n",
            spec_string(&self.members[root].requested)
        );
        for (j, n) in self.view.def.node.iter().enumerate() {
            if self.root_of(j) == root {
                s.push_str(&format!("  {} ({}) {}\n", n.name, n.op, n.device));
            }
        }
        s
    }

    fn is_generator(&self, i: usize) -> bool {
        self.view.num_data_inputs(i) == 0
            && self.types[i].as_ref().is_some_and(|t| t.len() == 1)
            && !REF_PRODUCERS.contains(&self.view.def.node[i].op.as_str())
    }

    fn assign_node(&mut self, i: usize, d: usize) {
        self.node_device[i] = Some(d);
        let r = self.find(i);
        self.members[r].assigned = Some(d);
        self.members[r].possible = None;
    }

    fn cannot_assign(&self, i: usize, e: Error) -> Error {
        let name = self.view.name(i);
        Error::invalid_argument(format!("Cannot assign a device for operation {name}: {}", e.message)).with_node(name)
    }

    /// Assigns every node (generators in a second pass); returns device indices by node.
    fn assign(&mut self, order: &[usize]) -> Result<Vec<usize>> {
        let mut second_pass = Vec::new();
        for &i in order {
            if self.is_generator(i) {
                second_pass.push(i);
                continue;
            }
            let candidates = self.devices_for(i).map_err(|e| self.cannot_assign(i, e))?;
            let mut chosen = None;
            if METADATA_OPS.contains(&self.view.def.node[i].op.as_str()) {
                let input = self.view.inputs[i].iter().find(|e| e.slot.is_some()).map(|e| e.src);
                chosen = input.and_then(|src| self.node_device[src]).filter(|d| candidates.contains(d));
            }
            self.assign_node(i, chosen.unwrap_or(candidates[0]));
        }
        for i in second_pass {
            let candidates = self.devices_for(i).map_err(|e| self.cannot_assign(i, e))?;
            let consumers: Vec<Option<usize>> = self.view.outputs[i].iter().map(|e| self.node_device[e.dst]).collect();
            let chosen = match consumers.first() {
                Some(&Some(d)) if consumers.iter().all(|c| *c == Some(d)) && candidates.contains(&d) => Some(d),
                _ => None,
            };
            self.assign_node(i, chosen.unwrap_or(candidates[0]));
        }
        self.node_device
            .iter()
            .enumerate()
            .map(|(i, d)| {
                d.ok_or_else(|| Error::internal(format!("placer left node '{}' unassigned", self.view.name(i))))
            })
            .collect()
    }
}

fn type_priority(t: Option<&str>) -> u8 {
    match t {
        Some("GPU") => 2,
        Some("CPU") => 1,
        _ => 0,
    }
}

/// True when no part is set differently in `a` and `b` (TF's `AreCompatibleDevNames`).
fn compatible(a: &DeviceName, b: &DeviceName) -> bool {
    fn ok<T: PartialEq>(x: &Option<T>, y: &Option<T>) -> bool {
        x.is_none() || y.is_none() || x == y
    }
    ok(&a.job, &b.job)
        && ok(&a.replica, &b.replica)
        && ok(&a.task, &b.task)
        && ok(&a.device_type, &b.device_type)
        && ok(&a.id, &b.id)
}

/// Merges `other` into `target` (TF's `MergeDevNames`): parts set in both must agree, except the
/// device type and id under soft placement, which are then dropped.
fn merge_specs(target: &DeviceName, other: &DeviceName, soft: bool) -> std::result::Result<DeviceName, String> {
    let mut t = target.clone();
    let incompatible = |what: &str, t: &DeviceName| {
        format!("Cannot merge devices with incompatible {what}: '{}' and '{}'", spec_string(t), spec_string(other))
    };
    match (&t.job, &other.job) {
        (Some(a), Some(b)) if a != b => return Err(incompatible("jobs", &t)),
        (None, Some(b)) => t.job = Some(b.clone()),
        _ => {}
    }
    match (t.replica, other.replica) {
        (Some(a), Some(b)) if a != b => return Err(incompatible("replicas", &t)),
        (None, Some(b)) => t.replica = Some(b),
        _ => {}
    }
    match (t.task, other.task) {
        (Some(a), Some(b)) if a != b => return Err(incompatible("tasks", &t)),
        (None, Some(b)) => t.task = Some(b),
        _ => {}
    }
    match (&t.device_type, &other.device_type) {
        (Some(a), Some(b)) if a != b => {
            if !soft {
                return Err(incompatible("types", &t));
            }
            t.device_type = None;
            t.id = None;
            return Ok(t);
        }
        (None, Some(b)) => t.device_type = Some(b.clone()),
        _ => {}
    }
    match (t.id, other.id) {
        (Some(a), Some(b)) if a != b => {
            if !soft {
                return Err(incompatible("ids", &t));
            }
            t.id = None;
        }
        (None, Some(b)) => t.id = Some(b),
        _ => {}
    }
    Ok(t)
}

/// A node in colocation group `group` (`_class: ["loc:@group"]`), for tests and callers building
/// graphs by hand.
pub fn colocate_with(b: NodeDefBuilder, group: &str) -> NodeDefBuilder {
    b.attr_list_str("_class", &[&format!("loc:@{group}")])
}

#[cfg(test)]
#[path = "placer_tests.rs"]
mod tests;
