//! Every message field ferroflow declares must have the number, type, label and message/enum type
//! that TensorFlow 2.21 gives it, or the two would not understand each other on the wire.

use prost::Message;
use prost_types::{DescriptorProto, FileDescriptorSet};
use std::collections::HashMap;

const TF_DESCRIPTORS: &[u8] = include_bytes!("../testdata/tensorflow-2.21-worker-master.fds.pb");
/// TF 2.21's descriptors of the files behind checkpoints, summaries, events, `tf.train.Example`
/// and `MetaGraphDef` (written by `tools/oracle/proto_decls.py fds`).
const TF_FORMAT_DESCRIPTORS: &[u8] = include_bytes!("../testdata/tensorflow-2.21-formats.fds.pb");

/// Every reference descriptor, the wire protocol's and the formats'.
fn reference<T>(read: fn(&[u8]) -> HashMap<String, T>) -> HashMap<String, T> {
    let mut all = read(TF_FORMAT_DESCRIPTORS);
    all.extend(read(TF_DESCRIPTORS));
    all
}

fn collect(prefix: &str, msgs: &[DescriptorProto], out: &mut HashMap<String, DescriptorProto>) {
    for m in msgs {
        let full = format!("{prefix}.{}", m.name());
        collect(&full, &m.nested_type, out);
        out.insert(full, m.clone());
    }
}

fn messages(bytes: &[u8]) -> HashMap<String, DescriptorProto> {
    let set = FileDescriptorSet::decode(bytes).expect("descriptor set decodes");
    let mut out = HashMap::new();
    for file in &set.file {
        collect(&format!(".{}", file.package()), &file.message_type, &mut out);
    }
    out
}

fn enums(bytes: &[u8]) -> HashMap<String, HashMap<String, i32>> {
    let set = FileDescriptorSet::decode(bytes).expect("descriptor set decodes");
    let mut out = HashMap::new();
    fn walk(prefix: &str, msgs: &[DescriptorProto], out: &mut HashMap<String, HashMap<String, i32>>) {
        for m in msgs {
            let full = format!("{prefix}.{}", m.name());
            for e in &m.enum_type {
                out.insert(format!("{full}.{}", e.name()), e.value.iter().map(|v| (v.name().to_string(), v.number())).collect());
            }
            walk(&full, &m.nested_type, out);
        }
    }
    for file in &set.file {
        let prefix = format!(".{}", file.package());
        for e in &file.enum_type {
            out.insert(format!("{prefix}.{}", e.name()), e.value.iter().map(|v| (v.name().to_string(), v.number())).collect());
        }
        walk(&prefix, &file.message_type, &mut out);
    }
    out
}

#[test]
fn every_declared_field_matches_tensorflow() {
    let ours = messages(ferroflow_proto::FILE_DESCRIPTOR_SET);
    let theirs = reference(messages);
    let mut checked = 0;
    let mut problems = Vec::new();
    for (name, msg) in &ours {
        if name.starts_with(".google.protobuf") {
            continue;
        }
        let Some(reference) = theirs.get(name) else {
            problems.push(format!("{name}: no such message in TF 2.21"));
            continue;
        };
        for field in &msg.field {
            let Some(tf) = reference.field.iter().find(|f| f.name() == field.name()) else {
                problems.push(format!("{name}.{}: no such field in TF 2.21", field.name()));
                continue;
            };
            if tf.number() != field.number() || tf.r#type() != field.r#type() || tf.label() != field.label() {
                problems.push(format!(
                    "{name}.{}: ours #{} {:?} {:?}, TF #{} {:?} {:?}",
                    field.name(), field.number(), field.r#type(), field.label(), tf.number(), tf.r#type(), tf.label()
                ));
            }
            // Map entries are synthesized per message, so compare their names relative to the parent.
            if tf.type_name() != field.type_name() {
                problems.push(format!("{name}.{}: type {} vs TF {}", field.name(), field.type_name(), tf.type_name()));
            }
            if tf.oneof_index.is_some() != field.oneof_index.is_some() {
                problems.push(format!("{name}.{}: oneof membership differs", field.name()));
            }
            checked += 1;
        }
    }
    assert!(problems.is_empty(), "mismatches:\n{}", problems.join("\n"));
    assert!(checked > 400, "only {checked} fields checked");
}

#[test]
fn every_declared_enum_value_matches_tensorflow() {
    let ours = enums(ferroflow_proto::FILE_DESCRIPTOR_SET);
    let theirs = reference(enums);
    for (name, values) in &ours {
        let reference = theirs.get(name).unwrap_or_else(|| panic!("{name}: no such enum in TF 2.21"));
        for (value, number) in values {
            assert_eq!(reference.get(value), Some(number), "{name}.{value}");
        }
    }
    assert!(ours.contains_key(".tensorflow.DataType"));
}

#[test]
fn service_method_paths_use_package_tensorflow() {
    let set = FileDescriptorSet::decode(ferroflow_proto::FILE_DESCRIPTOR_SET).unwrap();
    let services: Vec<String> =
        set.file.iter().flat_map(|f| f.service.iter().map(move |s| format!("{}.{}", f.package(), s.name()))).collect();
    assert!(services.contains(&"tensorflow.WorkerService".to_string()));
    assert!(services.contains(&"tensorflow.MasterService".to_string()));
}
