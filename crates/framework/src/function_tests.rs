use super::*;
use ferroflow_proto::OpDef as OpDefProto;
use ferroflow_proto::attr_value::ListValue;

fn registry() -> OpRegistry {
    let mut reg = OpRegistry::new();
    reg.op("Mul").input("x: T").input("y: T").output("z: T").attr("T: type").no_kernel();
    reg.op("Const").output("output: dtype").attr("value: tensor").attr("dtype: type").no_kernel();
    reg.op("Identity").input("input: T").output("output: T").attr("T: type").no_kernel();
    reg.op("Unpack").input("value: T").output("output: num * T").attr("num: int >= 0").attr("T: type").attr("axis: int = 0").no_kernel();
    reg
}

fn ty(t: i32) -> AttrValue {
    AttrValue { value: Some(Value::Type(t)) }
}

fn node(name: &str, op: &str, inputs: &[&str], attrs: &[(&str, AttrValue)]) -> NodeDef {
    NodeDef {
        name: name.into(),
        op: op.into(),
        input: inputs.iter().map(|s| s.to_string()).collect(),
        attr: attrs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect(),
        ..Default::default()
    }
}

fn arg(name: &str, type_attr: &str, number_attr: &str) -> ArgDef {
    ArgDef { name: name.into(), type_attr: type_attr.into(), number_attr: number_attr.into(), ..Default::default() }
}

/// f(a: T, parts: N * T) -> (prod: T, pieces: 2 * T, echo: T)
fn function() -> FunctionDef {
    let sig = OpDefProto {
        name: "f".into(),
        input_arg: vec![arg("a", "T", ""), arg("parts", "T", "N")],
        output_arg: vec![arg("prod", "T", ""), arg("pieces", "T", "two"), arg("echo", "T", "")],
        ..Default::default()
    };
    let placeholder = AttrValue { value: Some(Value::Placeholder("T".into())) };
    FunctionDef {
        signature: Some(sig),
        node_def: vec![
            node("mul", "Mul", &["a", "parts:0"], &[("T", placeholder.clone())]),
            node("split", "Unpack", &["mul:z:0", "^a"], &[("T", placeholder.clone()), ("num", AttrValue { value: Some(Value::I(2)) })]),
            node("last", "Identity", &["split:output:1"], &[("T", placeholder)]),
        ],
        ret: [("prod".to_string(), "mul:z:0".to_string()), ("pieces".to_string(), "split:output".to_string()), ("echo".to_string(), "a".to_string())]
            .into_iter()
            .collect(),
        control_ret: [("effect".to_string(), "last".to_string())].into_iter().collect(),
        ..Default::default()
    }
}

fn library() -> FunctionLibrary {
    FunctionLibrary::new(Some(&FunctionDefLibrary { function: vec![function()], ..Default::default() }))
}

#[test]
fn instantiation_makes_args_body_and_retvals_in_graph_form() {
    let attrs: HashMap<String, AttrValue> = [("T".to_string(), ty(1)), ("N".to_string(), AttrValue { value: Some(Value::I(2)) }), ("two".to_string(), AttrValue { value: Some(Value::I(2)) })]
        .into_iter()
        .collect();
    let body = library().instantiate("f", &attrs, &registry()).unwrap();
    assert_eq!(body.arg_nodes, vec!["a", "parts_0", "parts_1"]);
    assert_eq!(body.arg_types, vec![1, 1, 1]);
    assert_eq!(body.ret_nodes, vec!["prod_RetVal", "pieces_0_RetVal", "pieces_1_RetVal", "echo_RetVal"]);
    let get = |name: &str| body.nodes.iter().find(|n| n.name == name).unwrap();
    // "parts:0" is element 0 of the list argument.
    assert_eq!(get("mul").input, vec!["a", "parts_0"]);
    assert_eq!(get("split").input, vec!["mul", "^a"]);
    assert_eq!(get("last").input, vec!["split:1"]);
    assert_eq!(get("split").attr["T"], ty(1), "placeholders replaced");
    assert_eq!(get("pieces_1_RetVal").input, vec!["split:1"]);
    assert_eq!(get("echo_RetVal").input, vec!["a"]);
    assert_eq!(get("parts_1").attr["index"].value, Some(Value::I(2)));
    assert_eq!(body.control_ret, vec!["last"]);
}

#[test]
fn bad_references_and_missing_attrs_are_errors() {
    let lib = library();
    let reg = registry();
    let e = lib.instantiate("f", &HashMap::new(), &reg).unwrap_err();
    assert!(e.message.contains("attr T of argument a is not set"), "{}", e.message);
    let e = lib.instantiate("g", &HashMap::new(), &reg).unwrap_err();
    assert_eq!(e.code, crate::Code::NotFound);
    let mut bad = function();
    bad.node_def[2].input = vec!["split:output:7".into()];
    let lib = FunctionLibrary::new(Some(&FunctionDefLibrary { function: vec![bad], ..Default::default() }));
    let attrs: HashMap<String, AttrValue> =
        [("T".to_string(), ty(1)), ("N".to_string(), AttrValue { value: Some(Value::I(1)) }), ("two".to_string(), AttrValue { value: Some(Value::I(2)) })]
            .into_iter()
            .collect();
    let e = lib.instantiate("f", &attrs, &reg).unwrap_err();
    assert!(e.message.contains("input 'split:output:7' names nothing"), "{}", e.message);
    let mut huge = attrs.clone();
    huge.insert("N".into(), AttrValue { value: Some(Value::I(1 << 40)) });
    assert!(library().instantiate("f", &huge, &reg).is_err());
    let _ = ListValue::default();
}
