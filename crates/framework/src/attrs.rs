//! Typed access to a `NodeDef`'s attributes, with TF's error messages for missing or ill-typed ones.
//! Borrowed views only; no shared state.

use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::tensor::Tensor;
use crate::tensor_proto::tensor_from_proto;
use ferroflow_proto::attr_value::Value;
use ferroflow_proto::{AttrValue, NodeDef};

/// A node's attributes, read with the node's name at hand for error messages.
#[derive(Clone, Copy)]
pub struct Attrs<'a> {
    node: &'a NodeDef,
}

impl<'a> Attrs<'a> {
    pub fn new(node: &'a NodeDef) -> Attrs<'a> {
        Attrs { node }
    }

    pub fn node(&self) -> &'a NodeDef {
        self.node
    }

    fn missing(&self, name: &str) -> Error {
        Error::invalid_argument(format!(
            "NodeDef missing attr '{name}' from Op<name={}>; NodeDef: {{{{node {}}}}}",
            self.node.op, self.node.name
        ))
    }

    fn wrong(&self, name: &str, wanted: &str) -> Error {
        Error::invalid_argument(format!(
            "AttrValue for '{name}' must have type '{wanted}'; NodeDef: {{{{node {}}}}}",
            self.node.name
        ))
    }

    pub fn has(&self, name: &str) -> bool {
        self.node.attr.get(name).is_some_and(|a| a.value.is_some())
    }

    pub fn get(&self, name: &str) -> Result<&'a AttrValue> {
        self.node.attr.get(name).filter(|a| a.value.is_some()).ok_or_else(|| self.missing(name))
    }

    pub fn get_type(&self, name: &str) -> Result<DType> {
        match &self.get(name)?.value {
            Some(Value::Type(t)) => DType::from_proto(*t).map_err(|e| e.with_node(&self.node.name)),
            _ => Err(self.wrong(name, "type")),
        }
    }

    /// A type attr that must be one of `allowed` (TF: "Value for attr 'T' of X is not in the list").
    pub fn get_type_in(&self, name: &str, allowed: &[DType]) -> Result<DType> {
        let t = match &self.get(name)?.value {
            Some(Value::Type(t)) => *t,
            _ => return Err(self.wrong(name, "type")),
        };
        let dtype = DType::from_proto(t).ok().filter(|d| allowed.contains(d));
        dtype.ok_or_else(|| {
            let shown = DType::from_proto(t).map(|d| d.name().to_string()).unwrap_or_else(|_| {
                ferroflow_proto::DataType::try_from(t).map(|d| d.as_str_name().to_string()).unwrap_or(t.to_string())
            });
            let list: Vec<&str> = allowed.iter().map(|d| d.name()).collect();
            Error::invalid_argument(format!(
                "Value for attr '{name}' of {shown} is not in the list of allowed values: {}\n\t; NodeDef: {{{{node {}}}}}; Op<name={}>",
                list.join(", "),
                self.node.name,
                self.node.op
            ))
        })
    }

    pub fn get_type_or(&self, name: &str, default: DType) -> Result<DType> {
        if self.has(name) { self.get_type(name) } else { Ok(default) }
    }

    pub fn get_bool(&self, name: &str) -> Result<bool> {
        match &self.get(name)?.value {
            Some(Value::B(b)) => Ok(*b),
            _ => Err(self.wrong(name, "bool")),
        }
    }

    pub fn get_bool_or(&self, name: &str, default: bool) -> Result<bool> {
        if self.has(name) { self.get_bool(name) } else { Ok(default) }
    }

    pub fn get_int(&self, name: &str) -> Result<i64> {
        match &self.get(name)?.value {
            Some(Value::I(i)) => Ok(*i),
            _ => Err(self.wrong(name, "int")),
        }
    }

    pub fn get_int_or(&self, name: &str, default: i64) -> Result<i64> {
        if self.has(name) { self.get_int(name) } else { Ok(default) }
    }

    pub fn get_float(&self, name: &str) -> Result<f32> {
        match &self.get(name)?.value {
            Some(Value::F(f)) => Ok(*f),
            _ => Err(self.wrong(name, "float")),
        }
    }

    pub fn get_float_or(&self, name: &str, default: f32) -> Result<f32> {
        if self.has(name) { self.get_float(name) } else { Ok(default) }
    }

    pub fn get_string(&self, name: &str) -> Result<String> {
        match &self.get(name)?.value {
            Some(Value::S(s)) => Ok(String::from_utf8_lossy(s).into_owned()),
            _ => Err(self.wrong(name, "string")),
        }
    }

    pub fn get_string_or(&self, name: &str, default: &str) -> Result<String> {
        if self.has(name) { self.get_string(name) } else { Ok(default.to_string()) }
    }

    /// A shape attr as dimension sizes (-1 for unknown), `None` for unknown rank.
    pub fn get_shape(&self, name: &str) -> Result<Option<Vec<i64>>> {
        match &self.get(name)?.value {
            Some(Value::Shape(s)) if s.unknown_rank => Ok(None),
            Some(Value::Shape(s)) => Ok(Some(s.dim.iter().map(|d| d.size).collect())),
            _ => Err(self.wrong(name, "shape")),
        }
    }

    pub fn get_tensor(&self, name: &str) -> Result<Tensor> {
        match &self.get(name)?.value {
            Some(Value::Tensor(t)) => tensor_from_proto(t).map_err(|e| e.with_node(&self.node.name)),
            _ => Err(self.wrong(name, "tensor")),
        }
    }

    fn list(&self, name: &str, wanted: &str) -> Result<Option<&'a ferroflow_proto::attr_value::ListValue>> {
        if !self.has(name) {
            return Ok(None);
        }
        match &self.get(name)?.value {
            Some(Value::List(l)) => Ok(Some(l)),
            _ => Err(self.wrong(name, wanted)),
        }
    }

    /// A `list(int)` attr; absent means empty.
    pub fn get_list_int(&self, name: &str) -> Result<Vec<i64>> {
        Ok(self.list(name, "list(int)")?.map(|l| l.i.clone()).unwrap_or_default())
    }

    /// A `list(string)` attr; absent means empty.
    pub fn get_list_string(&self, name: &str) -> Result<Vec<String>> {
        Ok(self
            .list(name, "list(string)")?
            .map(|l| l.s.iter().map(|s| String::from_utf8_lossy(s).into_owned()).collect())
            .unwrap_or_default())
    }

    /// A `list(type)` attr; absent means empty.
    pub fn get_list_type(&self, name: &str) -> Result<Vec<DType>> {
        let Some(l) = self.list(name, "list(type)")? else { return Ok(Vec::new()) };
        l.r#type.iter().map(|&t| DType::from_proto(t).map_err(|e| e.with_node(&self.node.name))).collect()
    }
}
