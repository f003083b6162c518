//! Building `NodeDef`s in code (the master's partitioner, tests, benchmarks): a small builder over
//! the wire message. Plain data.

use crate::dtype::DType;
use crate::shape::TensorShape;
use crate::tensor::Tensor;
use crate::tensor_proto::tensor_to_proto;
use ferroflow_proto::{AttrValue, NodeDef, attr_value};

/// A `NodeDef` under construction; `.0` is the message.
#[derive(Debug, Clone)]
pub struct NodeDefBuilder(pub NodeDef);

impl NodeDefBuilder {
    /// A node named `name` running `op`.
    pub fn new(name: &str, op: &str) -> NodeDefBuilder {
        NodeDefBuilder(NodeDef { name: name.to_string(), op: op.to_string(), ..Default::default() })
    }

    pub fn name(mut self, n: &str) -> Self {
        self.0.name = n.into();
        self
    }

    pub fn device(mut self, d: &str) -> Self {
        self.0.device = d.into();
        self
    }

    /// Adds a data or control (`^node`) input.
    pub fn input(mut self, i: &str) -> Self {
        self.0.input.push(i.into());
        self
    }

    pub fn attr_value(mut self, k: &str, v: AttrValue) -> Self {
        self.0.attr.insert(k.into(), v);
        self
    }

    fn set(self, k: &str, v: attr_value::Value) -> Self {
        self.attr_value(k, AttrValue { value: Some(v) })
    }

    pub fn attr_type(self, k: &str, t: DType) -> Self {
        self.set(k, attr_value::Value::Type(t.to_proto()))
    }

    pub fn attr_bool(self, k: &str, b: bool) -> Self {
        self.set(k, attr_value::Value::B(b))
    }

    pub fn attr_int(self, k: &str, i: i64) -> Self {
        self.set(k, attr_value::Value::I(i))
    }

    pub fn attr_float(self, k: &str, f: f32) -> Self {
        self.set(k, attr_value::Value::F(f))
    }

    pub fn attr_str(self, k: &str, s: &str) -> Self {
        self.set(k, attr_value::Value::S(s.as_bytes().to_vec().into()))
    }

    pub fn attr_tensor(self, k: &str, t: &Tensor) -> Self {
        // Builders make attrs of plain tensors; a variant (which has no attr form) becomes an empty tensor.
        self.set(k, attr_value::Value::Tensor(tensor_to_proto(t).unwrap_or_default()))
    }

    pub fn attr_shape(self, k: &str, dims: &[i64]) -> Self {
        self.set(k, attr_value::Value::Shape(TensorShape::new(dims.to_vec()).to_proto()))
    }

    pub fn attr_list_str(self, k: &str, v: &[&str]) -> Self {
        let list = attr_value::ListValue { s: v.iter().map(|s| s.as_bytes().to_vec().into()).collect(), ..Default::default() };
        self.set(k, attr_value::Value::List(list))
    }

    pub fn attr_list_int(self, k: &str, v: &[i64]) -> Self {
        let list = attr_value::ListValue { i: v.to_vec(), ..Default::default() };
        self.set(k, attr_value::Value::List(list))
    }

    pub fn attr_list_type(self, k: &str, v: &[DType]) -> Self {
        let list = attr_value::ListValue { r#type: v.iter().map(|d| d.to_proto()).collect(), ..Default::default() };
        self.set(k, attr_value::Value::List(list))
    }

    /// A shape attr of unknown rank (what `Placeholder` and `VarHandleOp` get when no shape is known).
    pub fn attr_unknown_shape(self, k: &str) -> Self {
        self.set(k, attr_value::Value::Shape(ferroflow_proto::TensorShapeProto { dim: vec![], unknown_rank: true }))
    }

    pub fn build(self) -> NodeDef {
        self.0
    }
}

/// A `Const` node holding `value`.
pub fn const_node(name: &str, value: &Tensor) -> NodeDefBuilder {
    NodeDefBuilder::new(name, "Const").attr_type("dtype", value.dtype()).attr_tensor("value", value)
}

/// Where a `_Send`/`_Recv` pair moves a tensor: TF's attributes of both nodes.
#[derive(Debug, Clone)]
pub struct Transfer<'a> {
    pub dtype: DType,
    pub tensor_name: &'a str,
    pub send_device: &'a str,
    pub send_device_incarnation: u64,
    pub recv_device: &'a str,
    pub client_terminated: bool,
}

impl Transfer<'_> {
    fn apply(&self, b: NodeDefBuilder) -> NodeDefBuilder {
        let b = b
            .attr_str("tensor_name", self.tensor_name)
            .attr_str("send_device", self.send_device)
            // TF keeps the u64 incarnation's bit pattern in an int64 attr.
            .attr_int("send_device_incarnation", self.send_device_incarnation as i64)
            .attr_str("recv_device", self.recv_device);
        if self.client_terminated { b.attr_bool("client_terminated", true) } else { b }
    }

    /// The `_Send` of `input`, placed on the sending device.
    pub fn send_node(&self, name: &str, input: &str) -> NodeDefBuilder {
        self.apply(NodeDefBuilder::new(name, "_Send").input(input).device(self.send_device).attr_type("T", self.dtype))
    }

    /// The `_Recv`, placed on the receiving device.
    pub fn recv_node(&self, name: &str) -> NodeDefBuilder {
        self.apply(NodeDefBuilder::new(name, "_Recv").device(self.recv_device).attr_type("tensor_type", self.dtype))
    }

    /// The rendezvous key both nodes use.
    pub fn key(&self) -> crate::ParsedKey {
        crate::ParsedKey::new(self.send_device, self.send_device_incarnation, self.recv_device, self.tensor_name, (0, 0))
    }
}
