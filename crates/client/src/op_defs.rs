//! TF's op definitions (`OpDef`s) and what the graph builder derives from them, as TF's Python
//! `_apply_op_helper` does: type and length attrs inferred from the inputs, every attr the caller
//! did not set filled with its default, and the output dtypes.
//!
//! The built-in table is TF 2.21's own definitions of every op with a ferroflow kernel
//! (`op_defs.pb`, written by `tools/oracle/client_op_defs.py`); an imported `MetaGraphDef` adds the
//! definitions in its `stripped_op_list`. The table is read once and then shared read-only.

use crate::graph::Output;
use ferroflow_framework::{DType, Error, Result};
use ferroflow_proto::attr_value::{ListValue, Value};
use ferroflow_proto::op_def::ArgDef;
use ferroflow_proto::{AttrValue, NodeDef, OpDef, OpList};
use prost::Message;
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

static BUILT_IN: &[u8] = include_bytes!("op_defs.pb");

/// The built-in op definitions, by op name.
pub fn built_in() -> &'static HashMap<String, Arc<OpDef>> {
    static TABLE: OnceLock<HashMap<String, Arc<OpDef>>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let list = OpList::decode(BUILT_IN).expect("the built-in op_defs.pb is a valid OpList");
        list.op.into_iter().map(|op| (op.name.clone(), Arc::new(op))).collect()
    })
}

/// The error TF gives for an op it does not know.
pub fn not_registered(op: &str) -> Error {
    Error::not_found(format!("Op type not registered '{op}' in binary running on ferroflow-client. Make sure the Op and Kernel are registered in the binary running in this process."))
}

/// The inputs given for one input argument of an op.
#[derive(Debug, Clone)]
pub enum ArgValue {
    One(Output),
    List(Vec<Output>),
}

impl ArgValue {
    pub fn outputs(&self) -> &[Output] {
        match self {
            ArgValue::One(o) => std::slice::from_ref(o),
            ArgValue::List(v) => v,
        }
    }
}

fn type_attr(t: DType) -> AttrValue {
    AttrValue { value: Some(Value::Type(t.to_proto())) }
}

fn attr_type(node: &NodeDef, name: &str) -> Option<i32> {
    match node.attr.get(name)?.value.as_ref()? {
        Value::Type(t) => Some(*t),
        _ => None,
    }
}

fn type_mismatch(node: &NodeDef, op: &OpDef, arg: &str, want: i32, got: DType) -> Error {
    let want = DType::from_proto(want).map(|d| d.name().to_string()).unwrap_or_else(|_| want.to_string());
    Error::invalid_argument(format!(
        "Input '{arg}' of '{}' Op has type {got} that does not match expected type of {want}. (node {})",
        op.name, node.name
    ))
}

/// Sets the type and length attrs `node` gets from its inputs, checks fixed input types, then fills
/// in defaults; an attr still missing is INVALID_ARGUMENT, as in TF.
pub fn complete_attrs(op: &OpDef, node: &mut NodeDef, args: &[ArgValue]) -> Result<()> {
    if args.len() != op.input_arg.len() {
        return Err(Error::invalid_argument(format!(
            "{} takes {} inputs, {} given (node {})",
            op.name,
            op.input_arg.len(),
            args.len(),
            node.name
        )));
    }
    for (arg, value) in op.input_arg.iter().zip(args) {
        infer_from_arg(op, node, arg, value)?;
    }
    for attr in &op.attr {
        if node.attr.contains_key(&attr.name) {
            continue;
        }
        match &attr.default_value {
            Some(v) => {
                node.attr.insert(attr.name.clone(), v.clone());
            }
            None => {
                return Err(Error::invalid_argument(format!(
                    "NodeDef missing attr '{}' from Op<name={}>; NodeDef: {{{{node {}}}}}",
                    attr.name, op.name, node.name
                )));
            }
        }
    }
    Ok(())
}

fn infer_from_arg(op: &OpDef, node: &mut NodeDef, arg: &ArgDef, value: &ArgValue) -> Result<()> {
    let outputs = value.outputs();
    if !arg.type_list_attr.is_empty() {
        let list = ListValue { r#type: outputs.iter().map(|o| o.dtype().to_proto()).collect(), ..Default::default() };
        node.attr.entry(arg.type_list_attr.clone()).or_insert(AttrValue { value: Some(Value::List(list)) });
        return Ok(());
    }
    if !arg.number_attr.is_empty() {
        let ArgValue::List(list) = value else {
            return Err(Error::invalid_argument(format!("Expected list for '{}' argument to '{}' Op (node {})", arg.name, op.name, node.name)));
        };
        node.attr.entry(arg.number_attr.clone()).or_insert(AttrValue { value: Some(Value::I(list.len() as i64)) });
    } else if matches!(value, ArgValue::List(_)) {
        return Err(Error::invalid_argument(format!("'{}' argument to '{}' Op takes one tensor (node {})", arg.name, op.name, node.name)));
    }
    for o in outputs {
        let got = o.dtype();
        if !arg.type_attr.is_empty() {
            match attr_type(node, &arg.type_attr) {
                Some(want) if DType::from_proto(want).ok() != Some(got) => return Err(type_mismatch(node, op, &arg.name, want, got)),
                Some(_) => {}
                None => {
                    node.attr.insert(arg.type_attr.clone(), type_attr(got));
                }
            }
        } else if arg.r#type != 0 && DType::from_proto(arg.r#type).ok() != Some(got) {
            return Err(type_mismatch(node, op, &arg.name, arg.r#type, got));
        }
    }
    Ok(())
}

/// The dtypes of the outputs of `node` (its attrs complete).
pub fn output_types(op: &OpDef, node: &NodeDef) -> Result<Vec<DType>> {
    let mut out = Vec::new();
    for arg in &op.output_arg {
        arg_types(op, node, arg, &mut out)?;
    }
    Ok(out)
}

/// The dtypes of the inputs `node` expects, in order.
pub fn input_types(op: &OpDef, node: &NodeDef) -> Result<Vec<DType>> {
    let mut out = Vec::new();
    for arg in &op.input_arg {
        arg_types(op, node, arg, &mut out)?;
    }
    Ok(out)
}

fn arg_types(op: &OpDef, node: &NodeDef, arg: &ArgDef, out: &mut Vec<DType>) -> Result<()> {
    let missing = |a: &str| Error::invalid_argument(format!("NodeDef missing attr '{a}' from Op<name={}>; NodeDef: {{{{node {}}}}}", op.name, node.name));
    if !arg.type_list_attr.is_empty() {
        let Some(Value::List(list)) = node.attr.get(&arg.type_list_attr).and_then(|a| a.value.as_ref()) else {
            return Err(missing(&arg.type_list_attr));
        };
        for &t in &list.r#type {
            out.push(DType::from_proto(t)?);
        }
        return Ok(());
    }
    let one = if !arg.type_attr.is_empty() {
        DType::from_proto(attr_type(node, &arg.type_attr).ok_or_else(|| missing(&arg.type_attr))?)?
    } else {
        DType::from_proto(arg.r#type)?
    };
    let n = if arg.number_attr.is_empty() {
        1
    } else {
        match node.attr.get(&arg.number_attr).and_then(|a| a.value.as_ref()) {
            Some(Value::I(n)) if *n >= 0 => *n as usize,
            _ => return Err(missing(&arg.number_attr)),
        }
    };
    out.extend(std::iter::repeat_n(one, n));
    Ok(())
}

/// True when TF marks the op stateful (never constant-folded, never deduplicated).
pub fn is_stateful(op: &OpDef) -> bool {
    op.is_stateful
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_table_has_tf_definitions_with_defaults() {
        let matmul = &built_in()["MatMul"];
        let names: Vec<&str> = matmul.attr.iter().map(|a| a.name.as_str()).collect();
        for want in ["transpose_a", "transpose_b", "T", "grad_a", "grad_b"] {
            assert!(names.contains(&want), "{names:?}");
        }
        assert!(built_in()["VarHandleOp"].is_stateful);
        assert!(built_in().contains_key("ResourceApplyAdam"));
    }

    #[test]
    fn output_types_follow_type_attrs_and_lists() {
        let mut node = NodeDef { name: "n".into(), op: "SparseSoftmaxCrossEntropyWithLogits".into(), ..Default::default() };
        node.attr.insert("T".into(), type_attr(DType::Double));
        node.attr.insert("Tlabels".into(), type_attr(DType::Int64));
        let op = &built_in()["SparseSoftmaxCrossEntropyWithLogits"];
        assert_eq!(output_types(op, &node).unwrap(), vec![DType::Double, DType::Double]);
        assert_eq!(input_types(op, &node).unwrap(), vec![DType::Double, DType::Int64]);
        node.attr.remove("T");
        assert_eq!(output_types(op, &node).unwrap_err().code, ferroflow_framework::Code::InvalidArgument);
    }
}
