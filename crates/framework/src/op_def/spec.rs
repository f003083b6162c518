//! Parsing of op signatures written in TF's `REGISTER_OP` syntax, the form every op definition in
//! ferroflow is written in (`tools/oracle/op_signatures.py` prints TF's own):
//!
//! - inputs and outputs: `x: T`, `values: N * T`, `args: Tin` (a `list(type)` attr), `handle: resource`
//!   (a fixed type), `ref: Ref(T)`;
//! - attrs: `NAME: KIND [>= MIN] [= DEFAULT]`, KIND one of `type`, `{float, double}` (allowed types),
//!   `int`, `float`, `bool`, `string`, `{'SAME', 'VALID'}` (allowed strings), `shape`, `tensor`,
//!   `func`, `list(K)`, `list({float, int32})`; defaults as TF writes them (`DT_INT32`, `0`, `1e-05`,
//!   `true`, `'NHWC'`, `[1, 1]`, `[]`), with `?` for a shape of unknown rank and `[2, -1]` for others.
//!
//! Specs are program text, not wire input: a malformed one is a bug, reported with the spec.
//! Pure functions.

use ferroflow_proto::attr_value::{ListValue, Value};
use ferroflow_proto::{AttrValue, DataType, TensorShapeProto, tensor_shape_proto};

/// The kind of value an attr holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttrKind {
    Type,
    Int,
    Float,
    Bool,
    String,
    Shape,
    Tensor,
    Func,
    List(Box<AttrKind>),
}

impl AttrKind {
    /// TF's name of the kind (`type`, `list(int)`, ...).
    pub fn name(&self) -> String {
        match self {
            AttrKind::Type => "type".into(),
            AttrKind::Int => "int".into(),
            AttrKind::Float => "float".into(),
            AttrKind::Bool => "bool".into(),
            AttrKind::String => "string".into(),
            AttrKind::Shape => "shape".into(),
            AttrKind::Tensor => "tensor".into(),
            AttrKind::Func => "func".into(),
            AttrKind::List(k) => format!("list({})", k.name()),
        }
    }

    /// The kind of an attr value as set on a node (`list(...)` judged by its non-empty field).
    pub fn of_value(v: &Value) -> AttrKind {
        match v {
            Value::Type(_) => AttrKind::Type,
            Value::I(_) => AttrKind::Int,
            Value::F(_) => AttrKind::Float,
            Value::B(_) => AttrKind::Bool,
            Value::S(_) => AttrKind::String,
            Value::Shape(_) => AttrKind::Shape,
            Value::Tensor(_) => AttrKind::Tensor,
            Value::Func(_) | Value::Placeholder(_) => AttrKind::Func,
            Value::List(l) => AttrKind::List(Box::new(list_kind(l).unwrap_or(AttrKind::Int))),
        }
    }
}

/// The element kind of a list value, `None` when the list is empty (an empty list fits any kind).
pub fn list_kind(l: &ListValue) -> Option<AttrKind> {
    Some(if !l.s.is_empty() {
        AttrKind::String
    } else if !l.i.is_empty() {
        AttrKind::Int
    } else if !l.f.is_empty() {
        AttrKind::Float
    } else if !l.b.is_empty() {
        AttrKind::Bool
    } else if !l.r#type.is_empty() {
        AttrKind::Type
    } else if !l.shape.is_empty() {
        AttrKind::Shape
    } else if !l.tensor.is_empty() {
        AttrKind::Tensor
    } else if !l.func.is_empty() {
        AttrKind::Func
    } else {
        return None;
    })
}

/// One attr of an op.
#[derive(Debug, Clone, PartialEq)]
pub struct AttrDef {
    pub name: String,
    pub kind: AttrKind,
    /// Allowed types (for `type`/`list(type)`) as `DataType` numbers, or allowed strings.
    pub allowed_types: Option<Vec<i32>>,
    pub allowed_strings: Option<Vec<String>>,
    /// For `int`: the least value; for lists: the least length.
    pub minimum: Option<i64>,
    pub default: Option<AttrValue>,
}

/// How an input or output's type is given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArgType {
    /// A fixed type (`DataType` number).
    Fixed(i32),
    /// The value of a `type` attr.
    Attr(String),
    /// The values of a `list(type)` attr: one tensor per entry.
    List(String),
}

/// One input or output of an op.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArgDef {
    pub name: String,
    pub ty: ArgType,
    /// `N * T`: this many tensors of the type, from an `int` attr.
    pub number_attr: Option<String>,
    pub is_ref: bool,
}

fn bad(spec: &str, why: &str) -> String {
    format!("bad op spec '{spec}': {why}")
}

/// The `DataType` number of a TF type name (`float`, `int32`, `resource`, `variant`, `half`, ...).
pub fn dtype_by_name(name: &str) -> Option<i32> {
    DataType::from_str_name(&format!("DT_{}", name.to_ascii_uppercase())).map(|d| d as i32)
}

/// TF's lower-case name of a `DataType` number (`float`, `int32`, ...).
pub fn dtype_name(t: i32) -> String {
    DataType::try_from(t)
        .map(|d| d.as_str_name().trim_start_matches("DT_").to_ascii_lowercase())
        .unwrap_or_else(|_| format!("type{t}"))
}

/// Parses an input or output spec. Whether `T` names an attr or a type is settled later, once all
/// attrs are known (`resolve`): here a bare name is taken as an attr name.
pub fn parse_arg(spec: &str) -> Result<ArgDef, String> {
    let (name, rest) = spec.split_once(':').ok_or_else(|| bad(spec, "expected 'name: type'"))?;
    let name = name.trim();
    let mut ty = rest.trim();
    let mut is_ref = false;
    if let Some(inner) = ty.strip_prefix("Ref(").and_then(|t| t.strip_suffix(')')) {
        is_ref = true;
        ty = inner.trim();
    }
    let (number_attr, ty) = match ty.split_once('*') {
        Some((n, t)) => (Some(n.trim().to_string()), t.trim()),
        None => (None, ty),
    };
    if name.is_empty() || ty.is_empty() || !is_identifier(name) || !is_identifier(ty) {
        return Err(bad(spec, "expected 'name: T', 'name: N * T' or 'name: Ref(T)'"));
    }
    Ok(ArgDef { name: name.to_string(), ty: ArgType::Attr(ty.to_string()), number_attr, is_ref })
}

fn is_identifier(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// Settles a parsed arg's type against the op's attrs: an attr of kind `type` or `list(type)`, else a
/// type name.
pub fn resolve(arg: &mut ArgDef, attrs: &[AttrDef], spec_of_op: &str) -> Result<(), String> {
    let ArgType::Attr(name) = &arg.ty else { return Ok(()) };
    let name = name.clone();
    match attrs.iter().find(|a| a.name == name) {
        Some(a) if a.kind == AttrKind::Type => {}
        Some(a) if a.kind == AttrKind::List(Box::new(AttrKind::Type)) => {
            if arg.number_attr.is_some() {
                return Err(bad(spec_of_op, &format!("arg '{}': N * list is not a type", arg.name)));
            }
            arg.ty = ArgType::List(name);
        }
        Some(a) => return Err(bad(spec_of_op, &format!("arg '{}' names attr '{}' of kind {}", arg.name, name, a.kind.name()))),
        None => match dtype_by_name(&name) {
            Some(t) => arg.ty = ArgType::Fixed(t),
            None => return Err(bad(spec_of_op, &format!("arg '{}': '{name}' is neither an attr nor a type", arg.name))),
        },
    }
    if let Some(n) = &arg.number_attr
        && !attrs.iter().any(|a| &a.name == n && a.kind == AttrKind::Int)
    {
        return Err(bad(spec_of_op, &format!("arg '{}': '{n}' is not an int attr", arg.name)));
    }
    Ok(())
}

/// Parses an attr spec.
pub fn parse_attr(spec: &str) -> Result<AttrDef, String> {
    let (name, rest) = spec.split_once(':').ok_or_else(|| bad(spec, "expected 'name: kind'"))?;
    let name = name.trim();
    if name.is_empty() || !is_identifier(name) {
        return Err(bad(spec, "bad attr name"));
    }
    let (kind_part, default_part) = match split_default(rest) {
        Some((k, d)) => (k.trim(), Some(d.trim())),
        None => (rest.trim(), None),
    };
    let (kind_part, minimum) = match kind_part.split_once(">=") {
        Some((k, m)) => (k.trim(), Some(m.trim().parse::<i64>().map_err(|_| bad(spec, "bad minimum"))?)),
        None => (kind_part, None),
    };
    let mut def = AttrDef {
        name: name.to_string(),
        kind: AttrKind::Int,
        allowed_types: None,
        allowed_strings: None,
        minimum,
        default: None,
    };
    let (is_list, inner) = match kind_part.strip_prefix("list(").and_then(|k| k.strip_suffix(')')) {
        Some(inner) => (true, inner.trim()),
        None => (false, kind_part),
    };
    let elem = if let Some(body) = inner.strip_prefix('{').and_then(|k| k.strip_suffix('}')) {
        let items: Vec<&str> = body.split(',').map(str::trim).filter(|s| !s.is_empty()).collect();
        if items.first().is_some_and(|s| s.starts_with('\'')) {
            def.allowed_strings = Some(items.iter().map(|s| parse_string(s, spec)).collect::<Result<_, _>>()?);
            AttrKind::String
        } else {
            def.allowed_types = Some(
                items.iter().map(|s| dtype_by_name(s).ok_or_else(|| bad(spec, &format!("unknown type '{s}'")))).collect::<Result<_, _>>()?,
            );
            AttrKind::Type
        }
    } else {
        match inner {
            "type" => AttrKind::Type,
            "int" => AttrKind::Int,
            "float" => AttrKind::Float,
            "bool" => AttrKind::Bool,
            "string" => AttrKind::String,
            "shape" => AttrKind::Shape,
            "tensor" => AttrKind::Tensor,
            "func" => AttrKind::Func,
            other => return Err(bad(spec, &format!("unknown attr kind '{other}'"))),
        }
    };
    def.kind = if is_list { AttrKind::List(Box::new(elem)) } else { elem };
    if let Some(d) = default_part {
        def.default = Some(parse_default(&def.kind, d, spec)?);
    }
    Ok(def)
}

/// Splits `kind = default` at the first `=` outside quotes and braces (a `>=` is not a split).
fn split_default(s: &str) -> Option<(&str, &str)> {
    let bytes = s.as_bytes();
    let mut quoted = false;
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'\'' => quoted = !quoted,
            b'=' if !quoted && (i == 0 || bytes[i - 1] != b'>') => return Some((&s[..i], &s[i + 1..])),
            _ => {}
        }
    }
    None
}

fn parse_string(s: &str, spec: &str) -> Result<String, String> {
    let body = s.strip_prefix('\'').and_then(|b| b.strip_suffix('\'')).ok_or_else(|| bad(spec, &format!("bad string {s}")))?;
    let mut out = String::with_capacity(body.len());
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            // C escapes, as TF unescapes its op registrations' defaults (`end: string = '\\n'`).
            out.push(match chars.next().ok_or_else(|| bad(spec, "dangling escape"))? {
                'n' => '\n',
                't' => '\t',
                'r' => '\r',
                '0' => '\0',
                other => other,
            });
        } else {
            out.push(c);
        }
    }
    Ok(out)
}

fn parse_type_value(s: &str, spec: &str) -> Result<i32, String> {
    let lower = s.strip_prefix("DT_").map(str::to_ascii_lowercase).unwrap_or_else(|| s.to_string());
    dtype_by_name(&lower).ok_or_else(|| bad(spec, &format!("unknown type '{s}'")))
}

fn parse_shape(s: &str, spec: &str) -> Result<TensorShapeProto, String> {
    if s == "?" {
        return Ok(TensorShapeProto { unknown_rank: true, ..Default::default() });
    }
    let body = s.strip_prefix('[').and_then(|b| b.strip_suffix(']')).ok_or_else(|| bad(spec, &format!("bad shape {s}")))?;
    let dim = split_items(body)
        .into_iter()
        .map(|d| d.parse::<i64>().map(|size| tensor_shape_proto::Dim { size, name: String::new() }))
        .collect::<Result<_, _>>()
        .map_err(|_| bad(spec, &format!("bad shape {s}")))?;
    Ok(TensorShapeProto { dim, unknown_rank: false })
}

/// Splits a list body at top-level commas (not inside quotes or brackets).
fn split_items(body: &str) -> Vec<&str> {
    let mut items = Vec::new();
    let (mut depth, mut quoted, mut start) = (0i32, false, 0);
    for (i, b) in body.bytes().enumerate() {
        match b {
            b'\'' => quoted = !quoted,
            b'[' if !quoted => depth += 1,
            b']' if !quoted => depth -= 1,
            b',' if !quoted && depth == 0 => {
                items.push(body[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    let last = body[start..].trim();
    if !last.is_empty() {
        items.push(last);
    }
    items
}

fn parse_scalar(kind: &AttrKind, s: &str, spec: &str) -> Result<Value, String> {
    Ok(match kind {
        AttrKind::Type => Value::Type(parse_type_value(s, spec)?),
        AttrKind::Int => Value::I(s.parse().map_err(|_| bad(spec, &format!("bad int {s}")))?),
        AttrKind::Float => Value::F(match s {
            "inf" => f32::INFINITY,
            "-inf" => f32::NEG_INFINITY,
            "nan" => f32::NAN,
            _ => s.parse().map_err(|_| bad(spec, &format!("bad float {s}")))?,
        }),
        AttrKind::Bool => Value::B(match s {
            "true" => true,
            "false" => false,
            _ => return Err(bad(spec, &format!("bad bool {s}"))),
        }),
        AttrKind::String => Value::S(parse_string(s, spec)?.into_bytes().into()),
        AttrKind::Shape => Value::Shape(parse_shape(s, spec)?),
        AttrKind::Tensor => Value::Tensor(parse_tensor_text(s, spec)?),
        other => return Err(bad(spec, &format!("no defaults for attrs of kind {}", other.name()))),
    })
}

/// A tensor default in the text format TF's op registrations write it in:
/// `{ dtype: DT_UINT8 tensor_shape: { dim { size: 4 } } int_val: 255 int_val: 0 }` (dtype, shape,
/// and `int_val`/`float_val` elements).
fn parse_tensor_text(s: &str, spec: &str) -> Result<ferroflow_proto::TensorProto, String> {
    let spaced = s.replace(['{', '}', ':'], " ");
    let mut tokens = spaced.split_whitespace();
    let mut tensor = ferroflow_proto::TensorProto::default();
    let mut shape = TensorShapeProto::default();
    while let Some(field) = tokens.next() {
        if matches!(field, "tensor_shape" | "dim") {
            continue;
        }
        let value = tokens.next().ok_or_else(|| bad(spec, &format!("tensor default: no value for {field}")))?;
        let number = |what: &str| bad(spec, &format!("tensor default: bad {what} {value}"));
        match field {
            "dtype" => tensor.dtype = DataType::from_str_name(value).ok_or_else(|| number("dtype"))? as i32,
            "size" => shape.dim.push(tensor_shape_proto::Dim { size: value.parse().map_err(|_| number("size"))?, name: String::new() }),
            "int_val" => tensor.int_val.push(value.parse().map_err(|_| number("int_val"))?),
            "float_val" => tensor.float_val.push(value.parse().map_err(|_| number("float_val"))?),
            other => return Err(bad(spec, &format!("tensor default: unsupported field {other}"))),
        }
    }
    tensor.tensor_shape = Some(shape);
    Ok(tensor)
}

fn parse_default(kind: &AttrKind, s: &str, spec: &str) -> Result<AttrValue, String> {
    let value = match kind {
        AttrKind::List(elem) => {
            let body = s.strip_prefix('[').and_then(|b| b.strip_suffix(']')).ok_or_else(|| bad(spec, "list default must be [...]"))?;
            let mut list = ListValue::default();
            for item in split_items(body) {
                match parse_scalar(elem, item, spec)? {
                    Value::Type(t) => list.r#type.push(t),
                    Value::I(i) => list.i.push(i),
                    Value::F(f) => list.f.push(f),
                    Value::B(b) => list.b.push(b),
                    Value::S(x) => list.s.push(x),
                    Value::Shape(x) => list.shape.push(x),
                    _ => return Err(bad(spec, "unsupported list default")),
                }
            }
            Value::List(list)
        }
        k => parse_scalar(k, s, spec)?,
    };
    Ok(AttrValue { value: Some(value) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attrs_parse_with_kinds_constraints_and_defaults() {
        let a = parse_attr("T: {half, float, double}").unwrap();
        assert_eq!(a.kind, AttrKind::Type);
        assert_eq!(a.allowed_types.unwrap(), vec![DataType::DtHalf as i32, 1, 2]);
        let a = parse_attr("num: int >= 0").unwrap();
        assert_eq!((a.kind, a.minimum, a.default), (AttrKind::Int, Some(0), None));
        let a = parse_attr("axis: int = -1").unwrap();
        assert_eq!(a.default.unwrap().value, Some(Value::I(-1)));
        let a = parse_attr("data_format: {'NHWC', 'NCHW'} = 'NHWC'").unwrap();
        assert_eq!(a.allowed_strings.unwrap(), vec!["NHWC", "NCHW"]);
        assert_eq!(a.default.unwrap().value, Some(Value::S(b"NHWC".to_vec().into())));
        let a = parse_attr("dilations: list(int) = [1, 1, 1, 1]").unwrap();
        assert_eq!(a.kind, AttrKind::List(Box::new(AttrKind::Int)));
        match a.default.unwrap().value {
            Some(Value::List(l)) => assert_eq!(l.i, vec![1, 1, 1, 1]),
            v => panic!("{v:?}"),
        }
        let a = parse_attr("Tidx: {int32, int64} = DT_INT32").unwrap();
        assert_eq!(a.default.unwrap().value, Some(Value::Type(3)));
        let a = parse_attr("epsilon: float = 0.0001").unwrap();
        assert_eq!(a.default.unwrap().value, Some(Value::F(0.0001)));
        let a = parse_attr("shape: shape = ?").unwrap();
        assert!(matches!(a.default.unwrap().value, Some(Value::Shape(s)) if s.unknown_rank));
        let a = parse_attr("container: string = ''").unwrap();
        assert_eq!(a.default.unwrap().value, Some(Value::S(Vec::new().into())));
        let a = parse_attr(
            "bad_color: tensor = { dtype: DT_UINT8 tensor_shape: { dim { size: 4 } } int_val: 255 int_val: 0 int_val: 0 int_val: 255 }",
        )
        .unwrap();
        match a.default.unwrap().value {
            Some(Value::Tensor(t)) => {
                assert_eq!((t.dtype, t.int_val), (DataType::DtUint8 as i32, vec![255, 0, 0, 255]));
                assert_eq!(t.tensor_shape.unwrap().dim.iter().map(|d| d.size).collect::<Vec<_>>(), vec![4]);
            }
            v => panic!("{v:?}"),
        }
        assert!(parse_attr("t: tensor = { dtype: DT_FLOAT float_val: x }").is_err());
        assert!(parse_attr("t: tensor = { dtype: DT_NOPE }").is_err());
        let a = parse_attr("Tin: list(type) >= 0").unwrap();
        assert_eq!((a.kind, a.minimum), (AttrKind::List(Box::new(AttrKind::Type)), Some(0)));
        let a = parse_attr("dtypes: list({float, int64})").unwrap();
        assert_eq!(a.allowed_types.unwrap(), vec![1, 9]);
        let a = parse_attr("pattern: string = 'a=b, \\'c\\''").unwrap();
        assert_eq!(a.default.unwrap().value, Some(Value::S(b"a=b, 'c'".to_vec().into())));
        let a = parse_attr("output_shapes: list(shape) = [[2, -1], ?]").unwrap();
        match a.default.unwrap().value {
            Some(Value::List(l)) => {
                assert_eq!(l.shape.len(), 2);
                assert_eq!(l.shape[0].dim.len(), 2);
                assert!(l.shape[1].unknown_rank);
            }
            v => panic!("{v:?}"),
        }
    }

    #[test]
    fn args_resolve_against_attrs() {
        let attrs = vec![parse_attr("T: type").unwrap(), parse_attr("N: int").unwrap(), parse_attr("Tin: list(type)").unwrap()];
        let mut a = parse_arg("values: N * T").unwrap();
        resolve(&mut a, &attrs, "op").unwrap();
        assert_eq!((a.ty, a.number_attr.as_deref()), (ArgType::Attr("T".into()), Some("N")));
        let mut a = parse_arg("args: Tin").unwrap();
        resolve(&mut a, &attrs, "op").unwrap();
        assert_eq!(a.ty, ArgType::List("Tin".into()));
        let mut a = parse_arg("handle: resource").unwrap();
        resolve(&mut a, &attrs, "op").unwrap();
        assert_eq!(a.ty, ArgType::Fixed(DataType::DtResource as i32));
        let mut a = parse_arg("ref: Ref(T)").unwrap();
        resolve(&mut a, &attrs, "op").unwrap();
        assert!(a.is_ref);
        let mut a = parse_arg("x: Nope").unwrap();
        assert!(resolve(&mut a, &attrs, "op").is_err());
    }

    #[test]
    fn malformed_specs_are_errors() {
        assert!(parse_attr("T").is_err());
        assert!(parse_attr("T: weird").is_err());
        assert!(parse_attr("N: int >= x").is_err());
        assert!(parse_arg("x T").is_err());
        assert!(parse_attr("f: float = abc").is_err());
    }
}
