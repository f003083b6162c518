use super::*;
use crate::node_def::NodeDefBuilder;
use crate::{Code, Kernel, OpKernel, OpKernelContext};

struct Nothing;
impl OpKernel for Nothing {
    fn compute(&self, _ctx: &mut OpKernelContext<'_>) -> Result<()> {
        Ok(())
    }
}

fn registry() -> OpRegistry {
    let mut reg = OpRegistry::new();
    reg.op("Unpack")
        .input("value: T")
        .output("output: num * T")
        .attr("num: int >= 0")
        .attr("T: type")
        .attr("axis: int = 0")
        .cost(Cost::InputElements)
        .kernel(|init| Ok(Kernel::sync(Nothing, init.attrs.get_int("num")? as usize)));
    reg.op("Relu")
        .input("features: T")
        .output("activations: T")
        .attr("T: {float, double, int32}")
        .kernel(|_| Ok(Kernel::sync(Nothing, 1)));
    reg.op("IdentityN").input("input: T").output("output: T").attr("T: list(type) >= 1").no_kernel();
    reg.op("Conv")
        .input("input: T")
        .output("output: T")
        .attr("T: {float}")
        .attr("padding: {'SAME', 'VALID'}")
        .attr("data_format: {'NHWC', 'NCHW'} = 'NHWC'")
        .kernel(|_| Ok(Kernel::sync(Nothing, 1)));
    reg.op("Assign").input("ref: Ref(T)").input("value: T").output("output_ref: Ref(T)").attr("T: type").no_kernel();
    reg
}

#[test]
fn output_and_input_types_follow_the_signature() {
    let reg = registry();
    let n = NodeDefBuilder::new("u", "Unpack").input("x").attr_type("T", DType::Int64).attr_int("num", 3).build();
    assert_eq!(reg.output_types(&n).unwrap(), vec![DType::Int64; 3]);
    assert_eq!(reg.input_types(&n).unwrap(), vec![DType::Int64]);
    let mut list = ferroflow_proto::attr_value::ListValue::default();
    list.r#type = vec![1, 3];
    let n = NodeDefBuilder::new("i", "IdentityN")
        .attr_value("T", AttrValue { value: Some(Value::List(list)) })
        .build();
    assert_eq!(reg.output_types(&n).unwrap(), vec![DType::Float, DType::Int32]);
    let assign = NodeDefBuilder::new("a", "Assign").attr_type("T", DType::Float).build();
    let def = reg.get("Assign").unwrap();
    assert_eq!(def.input_refs(&assign).unwrap(), vec![true, false]);
    assert_eq!(def.output_refs(&assign).unwrap(), vec![true]);
}

#[test]
fn huge_counts_are_refused_not_allocated() {
    let reg = registry();
    let n = NodeDefBuilder::new("u", "Unpack").attr_type("T", DType::Float).attr_int("num", 1 << 40).build();
    let e = reg.output_types(&n).unwrap_err();
    assert_eq!(e.code, Code::InvalidArgument);
    assert!(e.message.contains("'num'") && e.message.contains("node u"), "{}", e.message);
}

#[test]
fn building_fills_defaults_and_validates_like_tensorflow() {
    let reg = registry();
    // axis omitted: filled in from the default.
    let n = NodeDefBuilder::new("u", "Unpack").input("x").attr_type("T", DType::Float).attr_int("num", 2).build();
    assert_eq!(reg.build(&n, 1).unwrap().num_outputs, 2);
    assert_eq!(format!("{:?}", reg.build(&n, 1).unwrap().cost()), "InputElements");
    let e = reg.build(&n, 2).err().unwrap();
    assert!(e.message.starts_with("NodeDef expected inputs 'float' do not match 2 inputs specified"), "{}", e.message);
    let e = reg.build(&NodeDefBuilder::new("r", "Relu").attr_type("T", DType::Bool).build(), 1).err().unwrap();
    assert_eq!(e.code, Code::InvalidArgument);
    assert!(
        e.message.starts_with("Value for attr 'T' of bool is not in the list of allowed values: float, double, int32"),
        "{}",
        e.message
    );
    let e = reg.build(&NodeDefBuilder::new("r", "Relu").build(), 1).err().unwrap();
    assert!(e.message.starts_with("NodeDef missing attr 'T' from Op<name=Relu;"), "{}", e.message);
    let e = reg.build(&NodeDefBuilder::new("r", "Relu").attr_type("T", DType::Float).attr_int("x", 1).build(), 1).err().unwrap();
    assert!(e.message.starts_with("NodeDef mentions attr 'x' not in Op<name=Relu;"), "{}", e.message);
    let ok_private = NodeDefBuilder::new("r", "Relu").attr_type("T", DType::Float).attr_str("_class", "loc:@v").build();
    assert!(reg.build(&ok_private, 1).is_ok());
    let e = reg.build(&NodeDefBuilder::new("r", "Relu").attr_int("T", 1).build(), 1).err().unwrap();
    assert!(e.message.starts_with("AttrValue had value with type 'int' when 'type' expected"), "{}", e.message);
    let e = reg.build(&NodeDefBuilder::new("c", "Conv").attr_type("T", DType::Float).attr_str("padding", "FULL").build(), 1).err().unwrap();
    assert!(e.message.starts_with("Value for attr 'padding' of \"FULL\" is not in the list of allowed values: \"SAME\", \"VALID\""), "{}", e.message);
    let e = reg.build(&NodeDefBuilder::new("u", "Unpack").attr_type("T", DType::Float).attr_int("num", -1).build(), 1).err().unwrap();
    assert!(e.message.starts_with("Value for attr 'num' of -1 must be at least minimum 0"), "{}", e.message);
}

#[test]
fn unknown_ops_and_ops_without_kernels_are_not_found() {
    let reg = registry();
    let e = reg.build(&NodeDefBuilder::new("q", "Fancy").build(), 0).err().unwrap();
    assert_eq!(e.code, Code::NotFound);
    assert!(e.message.starts_with("Op type not registered 'Fancy'"), "{}", e.message);
    let mut list = ferroflow_proto::attr_value::ListValue::default();
    list.r#type = vec![1];
    let n = NodeDefBuilder::new("i", "IdentityN").attr_value("T", AttrValue { value: Some(Value::List(list)) }).build();
    let e = reg.build(&n, 1).err().unwrap();
    assert_eq!(e.code, Code::NotFound);
    assert!(e.message.starts_with("No registered 'IdentityN' OpKernel for 'CPU' devices"), "{}", e.message);
    assert!(!reg.contains("IdentityN") && reg.contains("Relu"));
    assert_eq!(reg.op_names(), vec!["Conv", "Relu", "Unpack"]);
}

#[test]
fn definitions_render_as_tensorflow_op_defs() {
    let reg = registry();
    let p = reg.get("Unpack").unwrap().to_proto();
    assert_eq!(p.output_arg[0].number_attr, "num");
    assert_eq!(p.output_arg[0].type_attr, "T");
    assert!(p.attr[0].has_minimum);
    assert_eq!(p.attr[2].default_value.as_ref().unwrap().value, Some(Value::I(0)));
    assert_eq!(
        reg.get("Unpack").unwrap().summary(),
        "Op<name=Unpack; signature=value:T -> output:num*T; attr=num:int,min=0; attr=T:type; attr=axis:int,default=0>"
    );
}

#[test]
fn cost_estimates_follow_output_size_not_input_size() {
    let t = |dims: Vec<i64>| Tensor::zeros(DType::Float, dims).unwrap();
    let (col, row) = (t(vec![4096, 1]), t(vec![1, 4096]));
    assert_eq!(Cost::Elementwise.estimate(&[&col, &row]), Some(4096 * 4096));
    assert_eq!(Cost::InputElements.estimate(&[&col, &row]), Some(8192));
    let (a, b) = (t(vec![4096, 2]), t(vec![2, 4096]));
    assert_eq!(Cost::MatMul.estimate(&[&a, &b]), Some(4096 * 4096 * 2));
    assert_eq!(Cost::Trivial.estimate(&[&a]), Some(0));
    assert_eq!(Cost::Expensive.estimate(&[&a]), None);
}

#[test]
#[should_panic(expected = "op Bad: bad op spec")]
fn malformed_definitions_panic_at_registration() {
    let mut reg = OpRegistry::new();
    reg.op("Bad").input("x: Q").no_kernel();
}
