//! Lowering of functional ops into the primitives of the executor, as TF's `LowerFunctionalOpsPass`
//! and function inlining do before a graph is placed and partitioned: `If`/`StatelessIf` become a
//! `Switch` of every input on the predicate, both branches inlined behind a pivot per branch, and a
//! `Merge` per output; `Case`/`StatelessCase` the same with `_SwitchN`; `While`/`StatelessWhile` an
//! `Enter`/`Merge`/`Switch`/`Exit`/`NextIteration` loop per loop variable (a constant `Enter` for
//! one the body passes through unchanged) with the condition and the body inlined in the loop's
//! frame (named after the while node); `PartitionedCall`,
//! `StatefulPartitionedCall` and calls of library functions by name are replaced by the function's
//! body. Inlined nodes are named `<call>/<node>`, keep their own device or take the caller's, and
//! those without inputs wait on the caller's gate (its pivot, or the call's control inputs), so an
//! untaken branch is dead and a loop body's constants run once per iteration (equal constants of a
//! body are kept once). Rewrites repeat until
//! no functional op is left (a function calling itself is refused).
//!
//! The master lowers a client graph before placing it; a worker lowers a partition that still holds
//! functional ops before building it. Pure functions on graphs.

use ferroflow_framework::function::{FunctionBody, FunctionLibrary};
use ferroflow_framework::graph_def::parse_input;
use ferroflow_framework::{Attrs, DType, Error, OpRegistry, Result};
use ferroflow_proto::attr_value::Value;
use ferroflow_proto::{AttrValue, GraphDef, NameAttrList, NodeDef};
use prost::Message;
use std::collections::{HashMap, HashSet};

/// Functions nested deeper than this mean a function (indirectly) calls itself.
const MAX_NESTING: usize = 1_000;

/// True if `graph` holds an op this pass rewrites.
pub fn has_functional_ops(graph: &GraphDef) -> bool {
    let library = FunctionLibrary::new(graph.library.as_ref());
    graph.node.iter().any(|n| is_functional(&n.op, &library))
}

fn is_functional(op: &str, library: &FunctionLibrary) -> bool {
    matches!(op, "If" | "StatelessIf" | "While" | "StatelessWhile" | "Case" | "StatelessCase" | "PartitionedCall" | "StatefulPartitionedCall")
        || library.contains(op)
}

/// Rewrites every functional op of `graph` into primitives (see the module doc).
pub fn lower_functional_ops(graph: &mut GraphDef, registry: &OpRegistry) -> Result<()> {
    let library = FunctionLibrary::new(graph.library.as_ref());
    let mut g = Rewriter {
        names: graph.node.iter().map(|n| n.name.clone()).collect(),
        nodes: std::mem::take(&mut graph.node),
        depth: HashMap::new(),
        current_depth: 0,
    };
    while let Some(i) = g.nodes.iter().position(|n| is_functional(&n.op, &library)) {
        let node = g.nodes.remove(i);
        g.current_depth = g.depth.get(&node.name).copied().unwrap_or(0) + 1;
        if g.current_depth > MAX_NESTING {
            g.nodes.insert(i, node);
            graph.node = g.nodes;
            return Err(Error::invalid_argument(
                "Functional ops could not all be lowered: a function calls itself (directly or through others)",
            ));
        }
        let lowered = match node.op.as_str() {
            "If" | "StatelessIf" => lower_if(&mut g, &node, &library, registry),
            "Case" | "StatelessCase" => lower_case(&mut g, &node, &library, registry),
            "While" | "StatelessWhile" => lower_while(&mut g, &node, &library, registry),
            _ => lower_call(&mut g, &node, &library, registry),
        };
        if let Err(e) = lowered {
            g.nodes.insert(i, node);
            graph.node = g.nodes;
            return Err(e);
        }
    }
    graph.node = g.nodes;
    Ok(())
}

/// The graph being rewritten: its nodes and every name taken.
struct Rewriter {
    nodes: Vec<NodeDef>,
    names: HashSet<String>,
    /// How deeply nested in inlined functions each new node is.
    depth: HashMap<String, usize>,
    /// The nesting of the nodes being added now.
    current_depth: usize,
}

/// What replaces a functional node: a tensor per output, and what stands for its completion.
struct Replacement {
    outputs: Vec<String>,
    done: Done,
}

/// The completion of a replaced node: an existing node, or a `NoOp` made only if a consumer has a
/// control input on the replaced node.
enum Done {
    Node(String),
    Pending { name: String, inputs: Vec<String>, device: String },
}

impl Done {
    /// Control inputs that wait for the completion.
    fn control_inputs(&self) -> Vec<String> {
        match self {
            Done::Node(n) => vec![format!("^{n}")],
            Done::Pending { inputs, .. } => inputs.clone(),
        }
    }
}

impl Rewriter {
    /// A name not yet used, `base` if free, else `base_1`, `base_2`, ...
    fn unique(&mut self, base: &str) -> String {
        let mut name = base.to_string();
        let mut k = 0;
        while self.names.contains(&name) {
            k += 1;
            name = format!("{base}_{k}");
        }
        self.names.insert(name.clone());
        self.depth.insert(name.clone(), self.current_depth);
        name
    }

    fn add(&mut self, base: &str, op: &str, inputs: Vec<String>, device: &str, attrs: Vec<(&str, AttrValue)>) -> String {
        let name = self.unique(base);
        let mut n = NodeDef { name: name.clone(), op: op.into(), input: inputs, device: device.into(), ..Default::default() };
        for (k, v) in attrs {
            n.attr.insert(k.to_string(), v);
        }
        self.nodes.push(n);
        name
    }

    /// Points every consumer of the removed node `old` at its replacement.
    fn rewire(&mut self, old: &str, with: &Replacement) -> Result<()> {
        let needs_done = self.nodes.iter().any(|n| n.input.iter().any(|i| i.strip_prefix('^') == Some(old)));
        let done = match (&with.done, needs_done) {
            (Done::Node(n), _) => n.clone(),
            (Done::Pending { name, inputs, device }, true) => self.add(name, "NoOp", inputs.clone(), device, vec![]),
            (Done::Pending { .. }, false) => String::new(),
        };
        for n in self.nodes.iter_mut() {
            for input in n.input.iter_mut() {
                let (src, slot, control) = parse_input(input);
                if src != old {
                    continue;
                }
                if control {
                    *input = format!("^{done}");
                } else {
                    *input = with.outputs.get(slot).cloned().ok_or_else(|| {
                        Error::invalid_argument(format!("Node '{}': Connecting to invalid output {slot} of source node {old}", n.name))
                    })?;
                }
            }
        }
        Ok(())
    }
}

fn ty(t: i32) -> AttrValue {
    AttrValue { value: Some(Value::Type(t)) }
}
fn int(i: i64) -> AttrValue {
    AttrValue { value: Some(Value::I(i)) }
}
fn string(s: &str) -> AttrValue {
    AttrValue { value: Some(Value::S(s.as_bytes().to_vec().into())) }
}
fn boolean(b: bool) -> AttrValue {
    AttrValue { value: Some(Value::B(b)) }
}

fn data_inputs(n: &NodeDef) -> Vec<String> {
    n.input.iter().filter(|i| !i.starts_with('^')).cloned().collect()
}

fn control_inputs(n: &NodeDef) -> Vec<String> {
    n.input.iter().filter(|i| i.starts_with('^')).cloned().collect()
}

fn func_attr(n: &NodeDef, name: &str) -> Result<NameAttrList> {
    match Attrs::new(n).get(name)?.value.as_ref() {
        Some(Value::Func(f)) => Ok(f.clone()),
        _ => Err(Error::invalid_argument(format!("Node '{}': attr '{name}' must be a function", n.name))),
    }
}

fn type_list(n: &NodeDef, name: &str) -> Result<Vec<i32>> {
    match n.attr.get(name).and_then(|v| v.value.as_ref()) {
        Some(Value::List(l)) => Ok(l.r#type.clone()),
        None => Ok(Vec::new()),
        _ => Err(Error::invalid_argument(format!("Node '{}': attr '{name}' must be a list of types", n.name))),
    }
}

/// Inlines `f` with `args` as its arguments under `prefix` on `device`; nodes without inputs wait
/// on `gate`, and so do nodes whose inputs all come from arguments marked in `invariant_args`
/// (values a loop frame holds in every iteration, which would otherwise run them in the
/// iteration that leaves the loop too — TF's `_MaybeAddControlDependency`). Arguments and results
/// are wired straight through (no nodes stand for them): the results are the tensors the body
/// returns, and completion is what must have run (its results' producers and its control outputs).
#[allow(clippy::too_many_arguments)]
fn inline(
    g: &mut Rewriter,
    f: &NameAttrList,
    prefix: &str,
    args: &[String],
    invariant_args: &[bool],
    gate: Option<&str>,
    gate_args: bool,
    device: &str,
    library: &FunctionLibrary,
    registry: &OpRegistry,
) -> Result<Replacement> {
    let body = instantiate(f, library, registry)?;
    if body.arg_nodes.len() != args.len() {
        return Err(Error::invalid_argument(format!(
            "Function {} takes {} arguments, the call gives {}",
            f.name,
            body.arg_nodes.len(),
            args.len()
        )));
    }
    // The caller's tensor for each argument node; behind an Identity waiting on the gate when the
    // call's own control inputs must come first (the arguments need not be ready after them).
    let gated_args: Vec<String> = match (gate_args, gate) {
        (true, Some(gate)) => body
            .arg_nodes
            .iter()
            .zip(args)
            .zip(&body.arg_types)
            .map(|((name, arg), &t)| g.add(&format!("{prefix}/{name}"), "Identity", vec![arg.clone(), format!("^{gate}")], device, vec![("T", ty(t))]))
            .collect(),
        _ => args.to_vec(),
    };
    let arg_of: HashMap<&str, &str> = body.arg_nodes.iter().map(String::as_str).zip(gated_args.iter().map(String::as_str)).collect();
    let invariant: HashSet<&str> =
        body.arg_nodes.iter().zip(invariant_args).filter(|&(_, &inv)| inv).map(|(name, _)| name.as_str()).collect();
    let duplicate_of = duplicate_constants(&body.nodes);
    let mut renamed: HashMap<String, String> = HashMap::with_capacity(body.nodes.len());
    for n in body.nodes.iter().filter(|n| n.op != "_Arg" && n.op != "_Retval" && !duplicate_of.contains_key(&n.name)) {
        let name = g.unique(&format!("{prefix}/{}", n.name));
        renamed.insert(n.name.clone(), name);
    }
    for (dup, first) in &duplicate_of {
        let name = renamed[first].clone();
        renamed.insert(dup.clone(), name);
    }
    let rename_input = |input: &str| -> String {
        let (src, slot, control) = parse_input(input);
        if let Some(&caller) = arg_of.get(src) {
            return if control { format!("^{}", parse_input(caller).0) } else { caller.to_string() };
        }
        let src = renamed.get(src).cloned().unwrap_or_else(|| src.to_string());
        match (control, slot) {
            (true, _) => format!("^{src}"),
            (false, 0) => src,
            (false, k) => format!("{src}:{k}"),
        }
    };
    let mut outputs = vec![String::new(); body.ret_nodes.len()];
    let mut done_inputs = Vec::new();
    for n in body.nodes {
        if duplicate_of.contains_key(&n.name) {
            continue;
        }
        match n.op.as_str() {
            "_Arg" => continue,
            "_Retval" => {
                let index = Attrs::new(&n).get_int("index")? as usize;
                let source = n.input.first().ok_or_else(|| Error::invalid_argument(format!("Function {}: result {index} has no input", f.name)))?;
                outputs[index] = rename_input(source);
                done_inputs.push(format!("^{}", parse_input(&outputs[index]).0));
                continue;
            }
            _ => {}
        }
        let mut node = n.clone();
        let only_invariant_inputs = n.input.iter().all(|i| invariant.contains(parse_input(i).0));
        node.name = renamed[&n.name].clone();
        node.input = n.input.iter().map(|i| rename_input(i)).collect();
        if node.device.is_empty() {
            node.device = device.to_string();
        }
        if let Some(Value::List(l)) = node.attr.get_mut("_class").and_then(|v| v.value.as_mut()) {
            for s in l.s.iter_mut() {
                if let Some(target) = std::str::from_utf8(s).ok().and_then(|t| t.strip_prefix("loc:@"))
                    && let Some(new) = renamed.get(target)
                {
                    *s = format!("loc:@{new}").into_bytes().into();
                }
            }
        }
        if only_invariant_inputs
            && let Some(gate) = gate
        {
            node.input.push(format!("^{gate}"));
        }
        g.nodes.push(node);
    }
    for c in &body.control_ret {
        if let Some(name) = renamed.get(c) {
            done_inputs.push(format!("^{name}"));
        }
    }
    if let Some(gate) = gate {
        done_inputs.push(format!("^{gate}"));
    }
    done_inputs.sort();
    done_inputs.dedup();
    Ok(Replacement { outputs, done: Done::Pending { name: format!("{prefix}/output_control_node"), inputs: done_inputs, device: device.to_string() } })
}

/// Constants of a function body equal to an earlier one (same value, type, device and inputs),
/// each mapped to that first one: an inlined body keeps one of them, as TF's graph optimizer
/// deduplicates them (in a loop body each would otherwise run every iteration).
fn duplicate_constants(nodes: &[NodeDef]) -> HashMap<String, String> {
    let mut first: HashMap<(String, Vec<String>, Vec<(String, Vec<u8>)>), &str> = HashMap::new();
    let mut duplicates = HashMap::new();
    for n in nodes.iter().filter(|n| n.op == "Const") {
        let mut attrs: Vec<(String, Vec<u8>)> = n.attr.iter().map(|(k, v)| (k.clone(), v.encode_to_vec())).collect();
        attrs.sort();
        let mut inputs = n.input.clone();
        inputs.sort();
        match first.entry((n.device.clone(), inputs, attrs)) {
            std::collections::hash_map::Entry::Occupied(e) => {
                duplicates.insert(n.name.clone(), e.get().to_string());
            }
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(&n.name);
            }
        }
    }
    duplicates
}

fn instantiate(f: &NameAttrList, library: &FunctionLibrary, registry: &OpRegistry) -> Result<FunctionBody> {
    let attrs: HashMap<String, AttrValue> = f.attr.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    library.instantiate(&f.name, &attrs, registry)
}

/// A `PartitionedCall`, `StatefulPartitionedCall` or a call of a library function by name.
fn lower_call(g: &mut Rewriter, n: &NodeDef, library: &FunctionLibrary, registry: &OpRegistry) -> Result<()> {
    let f = if n.op == "PartitionedCall" || n.op == "StatefulPartitionedCall" {
        func_attr(n, "f")?
    } else {
        NameAttrList { name: n.op.clone(), attr: n.attr.iter().filter(|(k, _)| !k.starts_with('_')).map(|(k, v)| (k.clone(), v.clone())).collect() }
    };
    let controls = control_inputs(n);
    let gate = (!controls.is_empty()).then(|| g.add(&format!("{}/input_control_node", n.name), "NoOp", controls, &n.device, vec![]));
    let r = inline(g, &f, &n.name, &data_inputs(n), &[], gate.as_deref(), true, &n.device, library, registry)?;
    g.rewire(&n.name, &r)
}

/// The predicate of a conditional as a bool tensor (a numeric one is true when nonzero).
fn bool_pred(g: &mut Rewriter, n: &NodeDef, cond: &str, cond_type: i32) -> Result<String> {
    if cond_type == DType::Bool.to_proto() {
        return Ok(cond.to_string());
    }
    if DType::from_proto(cond_type).is_ok_and(|d| d.is_float() || d.is_integer()) {
        let attrs = vec![("SrcT", ty(cond_type)), ("DstT", ty(DType::Bool.to_proto())), ("Truncate", boolean(false))];
        return Ok(g.add(&format!("{}/cond_to_bool", n.name), "Cast", vec![cond.to_string()], &n.device, attrs));
    }
    Err(Error::unimplemented(format!("Node '{}': a conditional on a {} predicate", n.name, ferroflow_framework::op_def::spec::dtype_name(cond_type))))
}

fn lower_if(g: &mut Rewriter, n: &NodeDef, library: &FunctionLibrary, registry: &OpRegistry) -> Result<()> {
    let inputs = data_inputs(n);
    let (cond, args) = inputs.split_first().ok_or_else(|| Error::invalid_argument(format!("Node '{}' has no predicate", n.name)))?;
    let tin = type_list(n, "Tin")?;
    let tout = type_list(n, "Tout")?;
    let cond_type = match n.attr.get("Tcond").and_then(|v| v.value.as_ref()) {
        Some(Value::Type(t)) => *t,
        _ => DType::Bool.to_proto(),
    };
    let pred = bool_pred(g, n, cond, cond_type)?;
    let d = n.device.as_str();
    let bool_t = ty(DType::Bool.to_proto());
    let mut pred_inputs = vec![pred.clone(), pred.clone()];
    pred_inputs.extend(control_inputs(n));
    let switch_pred = g.add(&format!("{}/switch_pred", n.name), "Switch", pred_inputs, d, vec![("T", bool_t.clone())]);
    let pivot_f = g.add(&format!("{}/pivot_f", n.name), "Identity", vec![switch_pred.clone()], d, vec![("T", bool_t.clone())]);
    let pivot_t = g.add(&format!("{}/pivot_t", n.name), "Identity", vec![format!("{switch_pred}:1")], d, vec![("T", bool_t.clone())]);
    let mut then_args = Vec::new();
    let mut else_args = Vec::new();
    for (k, arg) in args.iter().enumerate() {
        let t = *tin.get(k).ok_or_else(|| Error::invalid_argument(format!("Node '{}': Tin has no type for input {k}", n.name)))?;
        let sw = g.add(&format!("{}/input_{k}", n.name), "Switch", vec![arg.clone(), pred.clone()], d, vec![("T", ty(t))]);
        else_args.push(sw.clone());
        then_args.push(format!("{sw}:1"));
    }
    let then_r = inline(g, &func_attr(n, "then_branch")?, &format!("{}/then", n.name), &then_args, &[], Some(&pivot_t), false, d, library, registry)?;
    let else_r = inline(g, &func_attr(n, "else_branch")?, &format!("{}/else", n.name), &else_args, &[], Some(&pivot_f), false, d, library, registry)?;
    merge_branches(g, n, &tout, &[else_r, then_r], &[pivot_f, pivot_t], DType::Bool.to_proto())
}

fn lower_case(g: &mut Rewriter, n: &NodeDef, library: &FunctionLibrary, registry: &OpRegistry) -> Result<()> {
    let inputs = data_inputs(n);
    let (index, args) = inputs.split_first().ok_or_else(|| Error::invalid_argument(format!("Node '{}' has no branch index", n.name)))?;
    let tin = type_list(n, "Tin")?;
    let tout = type_list(n, "Tout")?;
    let branches: Vec<NameAttrList> = match n.attr.get("branches").and_then(|v| v.value.as_ref()) {
        Some(Value::List(l)) if !l.func.is_empty() => l.func.clone(),
        _ => return Err(Error::invalid_argument(format!("Node '{}': attr 'branches' must list functions", n.name))),
    };
    let d = n.device.as_str();
    let k_out = branches.len() as i64;
    let int_t = ty(DType::Int32.to_proto());
    let mut idx_inputs = vec![index.clone(), index.clone()];
    idx_inputs.extend(control_inputs(n));
    let switch_index = g.add(&format!("{}/switch_index", n.name), "_SwitchN", idx_inputs, d, vec![("T", int_t.clone()), ("num_outs", int(k_out))]);
    let pivots: Vec<String> = (0..branches.len())
        .map(|b| {
            let src = if b == 0 { switch_index.clone() } else { format!("{switch_index}:{b}") };
            g.add(&format!("{}/pivot_{b}", n.name), "Identity", vec![src], d, vec![("T", int_t.clone())])
        })
        .collect();
    let mut switched = Vec::new();
    for (k, arg) in args.iter().enumerate() {
        let t = *tin.get(k).ok_or_else(|| Error::invalid_argument(format!("Node '{}': Tin has no type for input {k}", n.name)))?;
        switched.push(g.add(&format!("{}/input_{k}", n.name), "_SwitchN", vec![arg.clone(), index.clone()], d, vec![("T", ty(t)), ("num_outs", int(k_out))]));
    }
    let mut results = Vec::new();
    for (b, f) in branches.iter().enumerate() {
        let branch_args: Vec<String> = switched.iter().map(|s| if b == 0 { s.clone() } else { format!("{s}:{b}") }).collect();
        results.push(inline(g, f, &format!("{}/branch{b}", n.name), &branch_args, &[], Some(&pivots[b]), false, d, library, registry)?);
    }
    merge_branches(g, n, &tout, &results, &pivots, DType::Int32.to_proto())
}

/// A `Merge` per output over the branches' results, and one that fires when any branch has run
/// (each branch's pivot value, `pivot_type`, once the branch is done).
fn merge_branches(g: &mut Rewriter, n: &NodeDef, tout: &[i32], branches: &[Replacement], pivots: &[String], pivot_type: i32) -> Result<()> {
    let d = n.device.as_str();
    let mut outputs = Vec::with_capacity(tout.len());
    for (j, &t) in tout.iter().enumerate() {
        let inputs: Vec<String> = branches
            .iter()
            .map(|b| {
                b.outputs.get(j).cloned().ok_or_else(|| Error::invalid_argument(format!("Node '{}': a branch returns fewer than {} values", n.name, j + 1)))
            })
            .collect::<Result<_>>()?;
        outputs.push(g.add(&format!("{}/output_{j}", n.name), "Merge", inputs, d, vec![("T", ty(t)), ("N", int(branches.len() as i64))]));
    }
    let done_values: Vec<String> = branches
        .iter()
        .zip(pivots)
        .enumerate()
        .map(|(b, (r, pivot))| {
            let mut inputs = vec![pivot.clone()];
            inputs.extend(r.done.control_inputs().into_iter().filter(|c| c != &format!("^{pivot}")));
            g.add(&format!("{}/branch_done_{b}", n.name), "Identity", inputs, d, vec![("T", ty(pivot_type))])
        })
        .collect();
    let count = done_values.len() as i64;
    let done = g.add(&format!("{}/branch_executed", n.name), "Merge", done_values, d, vec![("T", ty(pivot_type)), ("N", int(count))]);
    g.rewire(&n.name, &Replacement { outputs, done: Done::Node(done) })
}

/// Which loop variables a while body passes through unchanged (its result `k` is its argument `k`)
/// and never uses as a control input (`controlled`, per argument): those enter the frame once as loop invariants (constant
/// `Enter`s) instead of circulating through a `Merge`, `Switch` and `NextIteration` every
/// iteration, as TF's loop optimizer leaves them. None when every variable would be (some variable
/// must carry the loop).
fn loop_invariants(body: &FunctionBody, controlled: &[bool]) -> Vec<bool> {
    let invariant: Vec<bool> = body
        .ret_nodes
        .iter()
        .enumerate()
        .map(|(k, ret)| {
            let source = body.nodes.iter().find(|n| &n.name == ret).and_then(|n| n.input.first());
            let Some(arg) = body.arg_nodes.get(k) else { return false };
            source.is_some_and(|i| parse_input(i) == (arg.as_str(), 0, false)) && !controlled[k]
        })
        .collect();
    if invariant.iter().all(|&inv| inv) { vec![false; invariant.len()] } else { invariant }
}

/// Arguments of a function used as a control input somewhere in its body.
fn controlled_args(body: &FunctionBody) -> Vec<bool> {
    let controlled: HashSet<&str> =
        body.nodes.iter().flat_map(|n| &n.input).filter_map(|i| i.strip_prefix('^')).collect();
    body.arg_nodes.iter().map(|a| controlled.contains(a.as_str())).collect()
}

fn lower_while(g: &mut Rewriter, n: &NodeDef, library: &FunctionLibrary, registry: &OpRegistry) -> Result<()> {
    let vars = data_inputs(n);
    if vars.is_empty() {
        return Err(Error::invalid_argument(format!("Node '{}': a while loop needs at least one loop variable", n.name)));
    }
    let types = type_list(n, "T")?;
    if types.len() != vars.len() {
        return Err(Error::invalid_argument(format!("Node '{}': T lists {} types for {} inputs", n.name, types.len(), vars.len())));
    }
    let parallel = Attrs::new(n).get_int_or("parallel_iterations", 10)?;
    let d = n.device.as_str();
    let frame = n.name.clone();
    let controls = control_inputs(n);
    let body_f = func_attr(n, "body")?;
    let body_fn = instantiate(&body_f, library, registry)?;
    if body_fn.ret_nodes.len() != types.len() || body_fn.arg_nodes.len() != types.len() {
        return Err(Error::invalid_argument(format!(
            "Node '{}': the body takes {} and returns {} values for {} loop variables",
            n.name,
            body_fn.arg_nodes.len(),
            body_fn.ret_nodes.len(),
            types.len()
        )));
    }
    let controlled = controlled_args(&body_fn);
    let invariant = loop_invariants(&body_fn, &controlled);
    // The variable whose merge and switch gate the condition's and the body's input-less nodes.
    let carrier = invariant.iter().position(|&inv| !inv).unwrap_or(0);
    // Per variable: the tensor the condition sees (a merge, or an invariant's enter).
    let mut cond_args = Vec::new();
    let mut nexts = Vec::new();
    for (k, (var, &t)) in vars.iter().zip(&types).enumerate() {
        let mut enter_inputs = vec![var.clone()];
        enter_inputs.extend(controls.iter().cloned());
        let enter = g.add(
            &format!("{}/enter_{k}", n.name),
            "Enter",
            enter_inputs,
            d,
            vec![("T", ty(t)), ("frame_name", string(&frame)), ("is_constant", boolean(invariant[k])), ("parallel_iterations", int(parallel))],
        );
        if invariant[k] {
            cond_args.push(enter);
            nexts.push(String::new());
            continue;
        }
        // The NextIteration is named now and added once the body exists.
        let next = g.unique(&format!("{}/next_{k}", n.name));
        cond_args.push(g.add(&format!("{}/merge_{k}", n.name), "Merge", vec![enter, next.clone()], d, vec![("T", ty(t)), ("N", int(2))]));
        nexts.push(next);
    }
    let cond_gate = cond_args[carrier].clone();
    let cond = inline(g, &func_attr(n, "cond")?, &format!("{}/cond", n.name), &cond_args, &[], Some(&cond_gate), false, d, library, registry)?;
    let pred = cond.outputs.first().cloned().ok_or_else(|| Error::invalid_argument(format!("Node '{}': the condition returns nothing", n.name)))?;
    let loop_cond = g.add(&format!("{}/loop_cond", n.name), "LoopCond", vec![pred], d, vec![]);
    let mut exits: Vec<Option<String>> = Vec::new();
    let mut body_args = Vec::new();
    for (k, &t) in types.iter().enumerate() {
        if invariant[k] {
            exits.push(None);
            body_args.push(cond_args[k].clone());
            continue;
        }
        let sw = g.add(&format!("{}/switch_{k}", n.name), "Switch", vec![cond_args[k].clone(), loop_cond.clone()], d, vec![("T", ty(t))]);
        exits.push(Some(g.add(&format!("{}/exit_{k}", n.name), "Exit", vec![sw.clone()], d, vec![("T", ty(t))])));
        // The taken side of the switch feeds the body directly, except behind the pivot (the gate
        // of the body's input-less nodes) and where the body waits on the argument itself: a
        // control edge from a switch would fire in the iteration that leaves the loop too.
        body_args.push(if k == carrier || controlled[k] {
            g.add(&format!("{}/body_input_{k}", n.name), "Identity", vec![format!("{sw}:1")], d, vec![("T", ty(t))])
        } else {
            format!("{sw}:1")
        });
    }
    let gate = body_args[carrier].clone();
    let body = inline(g, &body_f, &format!("{}/body", n.name), &body_args, &invariant, Some(&gate), false, d, library, registry)?;
    for (k, &t) in types.iter().enumerate() {
        if invariant[k] {
            continue;
        }
        g.nodes.push(NodeDef {
            name: nexts[k].clone(),
            op: "NextIteration".into(),
            input: vec![body.outputs[k].clone()],
            device: d.into(),
            attr: [("T".to_string(), ty(t))].into_iter().collect(),
            ..Default::default()
        });
    }
    // An invariant's result is its input, once the loop is over.
    let carrier_exit = exits[carrier].clone().ok_or_else(|| Error::internal(format!("Node '{}': no loop variable carries the loop", n.name)))?;
    let outputs: Vec<String> = exits
        .iter()
        .enumerate()
        .map(|(k, exit)| match exit {
            Some(e) => e.clone(),
            None => g.add(&format!("{}/invariant_{k}", n.name), "Identity", vec![vars[k].clone(), format!("^{carrier_exit}")], d, vec![("T", ty(types[k]))]),
        })
        .collect();
    let done = Done::Pending { name: format!("{}/exit_control", n.name), inputs: outputs.iter().map(|e| format!("^{}", parse_input(e).0)).collect(), device: d.to_string() };
    g.rewire(&n.name, &Replacement { outputs, done })
}

#[cfg(test)]
#[path = "lower_tests.rs"]
mod tests;
