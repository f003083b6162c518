//! Library functions: the `FunctionDef`s of a graph's `FunctionDefLibrary`, and their instantiation
//! into plain graph nodes as TF's `InstantiateFunction` does it — one `_Arg` node per argument
//! tensor (`x`, or `x_0, x_1, ...` for a list), the body's nodes with their inputs translated from
//! the function form (`node:out_arg:index`, a bare argument name) to graph form (`node:k`) and
//! `$attr` placeholders replaced by the call's attrs, and one `_Retval` node per result tensor
//! (`name_RetVal`). The master inlines such bodies in place of calls; the worker runs them as graphs.
//!
//! A body node's outputs are numbered from its op's definition (or, for a call of another library
//! function, from that function's signature), so every op in a body must be defined.
//!
//! Pure functions over borrowed data; a `FunctionLibrary` is immutable and may be shared.

use crate::error::{Error, Result};
use crate::op_def::OpRegistry;
use ferroflow_proto::attr_value::Value;
use ferroflow_proto::op_def::ArgDef;
use ferroflow_proto::{AttrValue, FunctionDef, FunctionDefLibrary, NodeDef};
use std::collections::HashMap;

/// The most tensors one argument of a function may stand for.
const MAX_ARG_TENSORS: usize = 1 << 20;

/// A graph's functions by name.
#[derive(Default, Clone)]
pub struct FunctionLibrary {
    functions: HashMap<String, FunctionDef>,
}

/// A function instantiated for one set of attrs.
#[derive(Debug, Clone)]
pub struct FunctionBody {
    /// `_Arg` nodes, the body's nodes, then `_Retval` nodes.
    pub nodes: Vec<NodeDef>,
    /// `DataType` numbers of the argument and result tensors.
    pub arg_types: Vec<i32>,
    pub ret_types: Vec<i32>,
    /// Names of the `_Arg` and `_Retval` nodes, in index order.
    pub arg_nodes: Vec<String>,
    pub ret_nodes: Vec<String>,
    /// Nodes that must run whenever the function runs (its stateful effects).
    pub control_ret: Vec<String>,
}

impl FunctionLibrary {
    pub fn new(library: Option<&FunctionDefLibrary>) -> FunctionLibrary {
        let functions = library
            .map(|l| l.function.iter().filter_map(|f| Some((f.signature.as_ref()?.name.clone(), f.clone()))).collect())
            .unwrap_or_default();
        FunctionLibrary { functions }
    }

    pub fn get(&self, name: &str) -> Option<&FunctionDef> {
        self.functions.get(name)
    }

    pub fn contains(&self, name: &str) -> bool {
        self.functions.contains_key(name)
    }

    pub fn is_empty(&self) -> bool {
        self.functions.is_empty()
    }

    /// Instantiates function `name` for a call whose attrs are `call_attrs` (values for the
    /// signature's attrs and `$placeholders`).
    pub fn instantiate(&self, name: &str, call_attrs: &HashMap<String, AttrValue>, registry: &OpRegistry) -> Result<FunctionBody> {
        let fdef = self.get(name).ok_or_else(|| Error::not_found(format!("Function {name} is not defined.")))?;
        let sig = fdef.signature.as_ref().ok_or_else(|| Error::invalid_argument(format!("Function {name} has no signature")))?;
        // The function's own attrs (defaults of its signature are rare in FunctionDefs) and the call's.
        let mut attrs: HashMap<String, AttrValue> = fdef.attr.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        attrs.extend(call_attrs.iter().map(|(k, v)| (k.clone(), v.clone())));
        for a in &sig.attr {
            if let (false, Some(d)) = (attrs.contains_key(&a.name), &a.default_value) {
                attrs.insert(a.name.clone(), d.clone());
            }
        }

        let mut body = FunctionBody {
            nodes: Vec::new(),
            arg_types: Vec::new(),
            ret_types: Vec::new(),
            arg_nodes: Vec::new(),
            ret_nodes: Vec::new(),
            control_ret: Vec::new(),
        };
        // Argument name -> the graph tensors standing for it.
        let mut arg_tensors: HashMap<&str, Vec<String>> = HashMap::new();
        for arg in &sig.input_arg {
            let types = arg_types(arg, &attrs, name)?;
            let names: Vec<String> = if is_list(arg) {
                (0..types.len()).map(|k| format!("{}_{k}", arg.name)).collect()
            } else {
                vec![arg.name.clone()]
            };
            for (node_name, t) in names.iter().zip(&types) {
                let index = body.arg_nodes.len() as i64;
                body.nodes.push(arg_node(node_name, *t, index));
                body.arg_nodes.push(node_name.clone());
                body.arg_types.push(*t);
            }
            arg_tensors.insert(arg.name.as_str(), names);
        }

        // Output ranges of every body node, by output arg name.
        let mut ranges: HashMap<&str, HashMap<String, (usize, usize)>> = HashMap::new();
        let mut rewritten = Vec::with_capacity(fdef.node_def.len());
        for n in &fdef.node_def {
            let mut node = n.clone();
            substitute_placeholders(&mut node, &attrs, name)?;
            ranges.insert(n.name.as_str(), self.output_ranges(&node, registry)?);
            rewritten.push(node);
        }
        let resolve = |input: &str| -> Result<Vec<String>> { resolve_input(input, &arg_tensors, &ranges, name) };
        for mut node in rewritten {
            let mut inputs = Vec::with_capacity(node.input.len());
            for input in &node.input {
                inputs.extend(resolve(input)?);
            }
            node.input = inputs;
            body.nodes.push(node);
        }

        for arg in &sig.output_arg {
            let types = arg_types(arg, &attrs, name)?;
            let source = fdef.ret.get(&arg.name).ok_or_else(|| {
                Error::invalid_argument(format!("Function {name}: return value {} is not bound", arg.name))
            })?;
            let tensors = resolve(source)?;
            if tensors.len() != types.len() {
                return Err(Error::invalid_argument(format!(
                    "Function {name}: return value {} has {} tensors, its signature {}",
                    arg.name,
                    tensors.len(),
                    types.len()
                )));
            }
            for (k, (tensor, t)) in tensors.into_iter().zip(types).enumerate() {
                let node_name = if is_list(arg) { format!("{}_{k}_RetVal", arg.name) } else { format!("{}_RetVal", arg.name) };
                let index = body.ret_nodes.len() as i64;
                body.nodes.push(retval_node(&node_name, &tensor, t, index));
                body.ret_nodes.push(node_name);
                body.ret_types.push(t);
            }
        }
        let mut control: Vec<&String> = fdef.control_ret.values().collect();
        control.sort();
        body.control_ret = control.into_iter().cloned().collect();
        Ok(body)
    }

    /// Output arg name -> (first output, count) for a body node.
    fn output_ranges(&self, node: &NodeDef, registry: &OpRegistry) -> Result<HashMap<String, (usize, usize)>> {
        let mut out = HashMap::new();
        let mut start = 0;
        if let Some(def) = registry.get(&node.op) {
            let node = def.with_defaults(node);
            for (arg, count) in def.outputs.iter().zip(def.output_arg_sizes(&node)?) {
                out.insert(arg.name.clone(), (start, count));
                start += count;
            }
            return Ok(out);
        }
        if let Some(f) = self.get(&node.op).and_then(|f| f.signature.as_ref()) {
            let attrs: HashMap<String, AttrValue> = node.attr.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
            for arg in &f.output_arg {
                let count = arg_types(arg, &attrs, &node.op)?.len();
                out.insert(arg.name.clone(), (start, count));
                start += count;
            }
            return Ok(out);
        }
        Err(Error::not_found(format!(
            "Op type not registered '{}' in binary running on ferroflow. Make sure the Op and Kernel are registered in the binary running in this process.",
            node.op
        )))
    }
}

fn is_list(arg: &ArgDef) -> bool {
    !arg.number_attr.is_empty() || !arg.type_list_attr.is_empty()
}

/// The types of the tensors an argument stands for, from the attrs.
fn arg_types(arg: &ArgDef, attrs: &HashMap<String, AttrValue>, function: &str) -> Result<Vec<i32>> {
    let missing = |a: &str| Error::invalid_argument(format!("Function {function}: attr {a} of argument {} is not set", arg.name));
    if !arg.type_list_attr.is_empty() {
        return match attrs.get(&arg.type_list_attr).and_then(|v| v.value.as_ref()) {
            Some(Value::List(l)) if l.r#type.len() <= MAX_ARG_TENSORS => Ok(l.r#type.clone()),
            _ => Err(missing(&arg.type_list_attr)),
        };
    }
    let t = if !arg.type_attr.is_empty() {
        match attrs.get(&arg.type_attr).and_then(|v| v.value.as_ref()) {
            Some(Value::Type(t)) => *t,
            _ => return Err(missing(&arg.type_attr)),
        }
    } else {
        arg.r#type
    };
    if arg.number_attr.is_empty() {
        return Ok(vec![t]);
    }
    match attrs.get(&arg.number_attr).and_then(|v| v.value.as_ref()) {
        Some(Value::I(n)) if (0..=MAX_ARG_TENSORS as i64).contains(n) => Ok(vec![t; *n as usize]),
        _ => Err(missing(&arg.number_attr)),
    }
}

fn substitute_placeholders(node: &mut NodeDef, attrs: &HashMap<String, AttrValue>, function: &str) -> Result<()> {
    for (name, value) in node.attr.iter_mut() {
        if let Some(Value::Placeholder(p)) = &value.value {
            *value = attrs.get(p).cloned().ok_or_else(|| {
                Error::invalid_argument(format!("Function {function}: node {} attr {name} refers to unset attr ${p}", node.name))
            })?;
        }
    }
    Ok(())
}

/// Translates one input of a body node from function form to graph tensors.
fn resolve_input(
    input: &str,
    args: &HashMap<&str, Vec<String>>,
    ranges: &HashMap<&str, HashMap<String, (usize, usize)>>,
    function: &str,
) -> Result<Vec<String>> {
    let (control, spec) = match input.strip_prefix('^') {
        Some(s) => (true, s),
        None => (false, input),
    };
    let unknown = || Error::invalid_argument(format!("Function {function}: input '{input}' names nothing in the function"));
    let mut parts = spec.split(':');
    let node = parts.next().unwrap_or("");
    let out_arg = parts.next();
    let index = parts.next();
    if parts.next().is_some() {
        return Err(unknown());
    }
    let tensors: Vec<String> = match (out_arg, index) {
        (None, _) => {
            if let Some(t) = args.get(node) {
                t.clone()
            } else if control && ranges.contains_key(node) {
                return Ok(vec![format!("^{node}")]);
            } else {
                return Err(unknown());
            }
        }
        (Some(k), None) if args.contains_key(node) => {
            let k: usize = k.parse().map_err(|_| unknown())?;
            vec![args[node].get(k).cloned().ok_or_else(unknown)?]
        }
        (Some(out), index) => {
            let (start, count) = *ranges.get(node).and_then(|r| r.get(out)).ok_or_else(unknown)?;
            match index {
                Some(i) => {
                    let i: usize = i.parse().map_err(|_| unknown())?;
                    if i >= count {
                        return Err(unknown());
                    }
                    vec![tensor_name(node, start + i)]
                }
                None => (start..start + count).map(|k| tensor_name(node, k)).collect(),
            }
        }
    };
    if control {
        let mut nodes: Vec<String> = tensors.iter().map(|t| format!("^{}", t.split(':').next().unwrap_or(t))).collect();
        nodes.dedup();
        return Ok(nodes);
    }
    Ok(tensors)
}

fn tensor_name(node: &str, slot: usize) -> String {
    if slot == 0 { node.to_string() } else { format!("{node}:{slot}") }
}

fn arg_node(name: &str, dtype: i32, index: i64) -> NodeDef {
    let mut n = NodeDef { name: name.to_string(), op: "_Arg".into(), ..Default::default() };
    n.attr.insert("T".into(), AttrValue { value: Some(Value::Type(dtype)) });
    n.attr.insert("index".into(), AttrValue { value: Some(Value::I(index)) });
    n
}

fn retval_node(name: &str, input: &str, dtype: i32, index: i64) -> NodeDef {
    let mut n = NodeDef { name: name.to_string(), op: "_Retval".into(), input: vec![input.to_string()], ..Default::default() };
    n.attr.insert("T".into(), AttrValue { value: Some(Value::Type(dtype)) });
    n.attr.insert("index".into(), AttrValue { value: Some(Value::I(index)) });
    n
}

#[cfg(test)]
#[path = "function_tests.rs"]
mod tests;
