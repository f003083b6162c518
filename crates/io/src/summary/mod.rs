//! `Summary` protos built as TF's summary kernels build them, over ferroflow tensors:
//!
//! - [`scalar_summary`] (`ScalarSummary`), [`histogram_summary`] (`HistogramSummary`),
//!   [`tensor_summary`] (`TensorSummaryV2`), [`merge_summaries`] (`MergeSummary`) here;
//! - [`image::image_summary`] (`ImageSummary`), [`audio::audio_summary`] (`AudioSummaryV2`);
//! - [`convert`]: what TF's v2 summary writer (`WriteScalarSummary`, ...) makes of a tensor;
//! - [`histogram`]: TF's histogram with its default buckets.
//!
//! Each function returns the `Summary` (or INVALID_ARGUMENT with TF's text); [`serialize`] and
//! [`summary_tensor`] give the string scalar a kernel outputs. Pure functions, no shared state.
//! Tags are proto `string`s here: bytes that are not UTF-8 are replaced (TF keeps them raw).

pub mod audio;
pub mod convert;
pub mod histogram;
pub mod image;

pub use audio::audio_summary;
pub use image::{default_bad_color, image_summary};

use bytes::Bytes;
use ferroflow_framework::{DType, Error, Result, Tensor, TensorShape, dispatch, tensor_to_proto};
use ferroflow_proto::summary::{Value, value};
use ferroflow_proto::{Summary, SummaryMetadata};
use histogram::Histogram;
use prost::Message;
use std::collections::HashSet;

/// The serialized form of `summary`, as TF's kernels put it in their output.
pub fn serialize(summary: &Summary) -> Bytes {
    Bytes::from(summary.encode_to_vec())
}

/// A summary kernel's output: a string scalar holding the serialized `summary`.
pub fn summary_tensor(summary: &Summary) -> Tensor {
    Tensor::from_strings(TensorShape::scalar(), vec![serialize(summary)]).expect("one string fills a scalar")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The string of a scalar (or one-element) string tensor.
pub(crate) fn string_scalar(t: &Tensor) -> Result<String> {
    match t.strings()? {
        [s] => Ok(text(s)),
        _ => Err(Error::invalid_argument(format!("Expected a string scalar, got shape {}", t.shape()))),
    }
}

/// C++'s `static_cast` of a tensor element to float and double.
pub(crate) trait ToFloat: Copy {
    fn to_f64(self) -> f64;
    fn to_f32(self) -> f32;
}

macro_rules! to_float {
    ($($t:ty),*) => {$(
        impl ToFloat for $t {
            fn to_f64(self) -> f64 {
                self as f64
            }
            fn to_f32(self) -> f32 {
                self as f32
            }
        }
    )*};
}
to_float!(f32, f64, i8, i16, i32, i64, u8, u16, u32, u64);

/// Elements of a real-number tensor as `f64` (TF's `static_cast<double>`).
fn as_f64s(t: &Tensor, op: &str) -> Result<Vec<f64>> {
    dispatch!(real, t.dtype(), T => {
        Ok(t.values::<T>()?.iter().map(|&v| v.to_f64()).collect())
    }, Err(Error::invalid_argument(format!("{op} does not take {} values", t.dtype()))))
}

/// TF's `ScalarSummary`: one `simple_value` per tag, `tags` and `values` of the same shape.
pub fn scalar_summary(tags: &Tensor, values: &Tensor) -> Result<Summary> {
    if tags.shape() != values.shape() {
        let single = match tags.strings() {
            Ok([tag]) => format!(" (tag '{}')", text(tag)),
            _ => String::new(),
        };
        return Err(Error::invalid_argument(format!(
            "tags and values are not the same shape: {} != {}{single}",
            tags.shape(),
            values.shape()
        )));
    }
    let floats: Vec<f32> = dispatch!(real, values.dtype(), T => {
        values.values::<T>()?.iter().map(|&v| v.to_f32()).collect()
    }, return Err(Error::invalid_argument(format!("ScalarSummary does not take {} values", values.dtype()))));
    let value = tags
        .strings()?
        .iter()
        .zip(floats)
        .map(|(tag, v)| Value { tag: text(tag), value: Some(value::Value::SimpleValue(v)), ..Default::default() })
        .collect();
    Ok(Summary { value })
}

/// A histogram of `values` (TF's loop shared by the kernel and the converter): NaN and infinities
/// are INVALID_ARGUMENT with `nan_message` / `inf_message` followed by `name`.
fn histogram_of(values: &[f64], name: &str, nan_message: &str, inf_message: &str) -> Result<Histogram> {
    let mut histogram = Histogram::new();
    for &v in values {
        if v.is_nan() {
            return Err(Error::invalid_argument(format!("{nan_message}{name}")));
        }
        if v.is_infinite() {
            return Err(Error::invalid_argument(format!("{inf_message}{name}")));
        }
        histogram.add(v);
    }
    Ok(histogram)
}

/// TF's `HistogramSummary` run by node `node_name` (named in its NaN and infinity errors).
pub fn histogram_summary(node_name: &str, tag: &Tensor, values: &Tensor) -> Result<Summary> {
    if !tag.shape().is_scalar() {
        return Err(Error::invalid_argument("tags must be scalar"));
    }
    let values = as_f64s(values, "HistogramSummary")?;
    let histogram = histogram_of(&values, node_name, "Nan in summary histogram for: ", "Infinity in Histogram for: ")?;
    let value = Value {
        tag: string_scalar(tag)?,
        value: Some(value::Value::Histo(histogram.to_proto(false))),
        ..Default::default()
    };
    Ok(Summary { value: vec![value] })
}

/// A tensor as TF's summaries hold it: `tensor_content` for fixed-size types, `string_val` for
/// strings (`AsProtoTensorContent` / `AsProtoField`).
pub(crate) fn summary_value_tensor(t: &Tensor) -> Result<ferroflow_proto::TensorProto> {
    if t.dtype() == DType::Resource {
        return Err(Error::invalid_argument("Summaries cannot hold resource tensors"));
    }
    tensor_to_proto(t)
}

/// Parses serialized `SummaryMetadata` as TF does: bytes that do not parse give empty metadata.
fn parse_metadata(bytes: &[u8]) -> SummaryMetadata {
    SummaryMetadata::decode(bytes).unwrap_or_default()
}

/// TF's `TensorSummaryV2`: the tensor itself, with its tag and metadata.
pub fn tensor_summary(tag: &Tensor, tensor: &Tensor, serialized_metadata: &Tensor) -> Result<Summary> {
    if !tag.shape().is_scalar() {
        return Err(Error::invalid_argument("tag must be scalar"));
    }
    if !serialized_metadata.shape().is_scalar() {
        return Err(Error::invalid_argument("serialized_summary_metadata must be scalar"));
    }
    let metadata = match serialized_metadata.strings()? {
        [bytes] => parse_metadata(bytes),
        _ => unreachable!("a scalar holds one string"),
    };
    let value = Value {
        tag: string_scalar(tag)?,
        metadata: Some(metadata),
        value: Some(value::Value::Tensor(summary_value_tensor(tensor)?)),
        ..Default::default()
    };
    Ok(Summary { value: vec![value] })
}

/// TF's `MergeSummary`: the values of every serialized summary in every input, in order; a tag
/// seen twice (empty tags excepted) is INVALID_ARGUMENT.
pub fn merge_summaries(inputs: &[Tensor]) -> Result<Summary> {
    let mut merged = Summary::default();
    let mut tags = HashSet::new();
    for input in inputs {
        for serialized in input.strings()? {
            let summary = Summary::decode(serialized.as_ref())
                .map_err(|_| Error::invalid_argument("Could not parse one of the summary inputs"))?;
            for v in summary.value {
                if !v.tag.is_empty() && !tags.insert(v.tag.clone()) {
                    return Err(Error::invalid_argument(format!("Duplicate tag {} found in summary inputs ", v.tag)));
                }
                merged.value.push(v);
            }
        }
    }
    Ok(merged)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(dims: Vec<i64>, s: &[&str]) -> Tensor {
        Tensor::from_strings(dims, s.iter().map(|s| Bytes::copy_from_slice(s.as_bytes())).collect()).unwrap()
    }

    fn scalar_string(s: &str) -> Tensor {
        strings(vec![], &[s])
    }

    #[test]
    fn scalars_pair_tags_with_values() {
        let s = scalar_summary(&strings(vec![1, 2], &["a", "b"]), &Tensor::from_vec(vec![1, 2], vec![1i64, 2]).unwrap()).unwrap();
        let got: Vec<(String, Option<value::Value>)> = s.value.into_iter().map(|v| (v.tag, v.value)).collect();
        assert_eq!(got, vec![
            ("a".into(), Some(value::Value::SimpleValue(1.0))),
            ("b".into(), Some(value::Value::SimpleValue(2.0)))
        ]);
        let e = scalar_summary(&strings(vec![2], &["a", "b"]), &Tensor::from_vec(vec![3], vec![1f32, 2.0, 3.0]).unwrap()).unwrap_err();
        assert_eq!(e.message, "tags and values are not the same shape: [2] != [3]");
        let e = scalar_summary(&scalar_string("a"), &Tensor::from_vec(vec![1], vec![1f32]).unwrap()).unwrap_err();
        assert_eq!(e.message, "tags and values are not the same shape: [] != [1] (tag 'a')");
    }

    #[test]
    fn histograms_reject_nan_and_infinity_naming_the_node() {
        let values = Tensor::from_vec(vec![2], vec![1.0f32, f32::NAN]).unwrap();
        let e = histogram_summary("hist_node", &scalar_string("h"), &values).unwrap_err();
        assert_eq!(e.message, "Nan in summary histogram for: hist_node");
        let values = Tensor::from_vec(vec![2], vec![1.0f64, f64::INFINITY]).unwrap();
        let e = histogram_summary("hist_node", &scalar_string("h"), &values).unwrap_err();
        assert_eq!(e.message, "Infinity in Histogram for: hist_node");
        let e = histogram_summary("n", &strings(vec![1], &["h"]), &values).unwrap_err();
        assert_eq!(e.message, "tags must be scalar");
        let s = histogram_summary("n", &scalar_string("h"), &Tensor::from_vec(vec![3], vec![1u8, 2, 2]).unwrap()).unwrap();
        match &s.value[0].value {
            Some(value::Value::Histo(h)) => assert_eq!((h.num, h.sum, h.min, h.max), (3.0, 5.0, 1.0, 2.0)),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn tensor_summaries_keep_the_tensor_and_metadata() {
        let metadata = b"\x0a\x03\x0a\x01p";
        let s = tensor_summary(&scalar_string("t"), &strings(vec![2], &["s1", "s2"]), &scalar_string(std::str::from_utf8(metadata).unwrap())).unwrap();
        let v = &s.value[0];
        assert_eq!(v.metadata.as_ref().unwrap().plugin_data.as_ref().unwrap().plugin_name, "p");
        match &v.value {
            Some(value::Value::Tensor(t)) => assert_eq!(t.string_val, vec![Bytes::from_static(b"s1"), Bytes::from_static(b"s2")]),
            other => panic!("{other:?}"),
        }
        // Unparsable metadata gives empty metadata, still present (TF: `metadata {}`).
        let s = tensor_summary(&scalar_string("t"), &Tensor::scalar(1.5f32), &scalar_string("garbage")).unwrap();
        assert_eq!(s.value[0].metadata, Some(SummaryMetadata::default()));
        let e = tensor_summary(&strings(vec![1], &["t"]), &Tensor::scalar(1f32), &scalar_string("")).unwrap_err();
        assert_eq!(e.message, "tag must be scalar");
        let e = tensor_summary(&scalar_string("t"), &Tensor::scalar(1f32), &strings(vec![1], &[""])).unwrap_err();
        assert_eq!(e.message, "serialized_summary_metadata must be scalar");
    }

    #[test]
    fn merging_concatenates_and_refuses_duplicate_tags() {
        let one = |tag: &str, v: f32| serialize(&scalar_summary(&scalar_string(tag), &Tensor::scalar(v)).unwrap());
        let a = Tensor::from_strings(vec![1, 1], vec![one("a", 1.0)]).unwrap();
        let b = Tensor::from_strings(vec![2], vec![one("b", 2.0), one("c", 3.0)]).unwrap();
        let merged = merge_summaries(&[a.clone(), b]).unwrap();
        assert_eq!(merged.value.iter().map(|v| v.tag.as_str()).collect::<Vec<_>>(), vec!["a", "b", "c"]);
        let e = merge_summaries(&[a.clone(), a]).unwrap_err();
        assert_eq!(e.message, "Duplicate tag a found in summary inputs ");
        let garbage = Tensor::from_strings(vec![1], vec![Bytes::from_static(b"garbage\xff")]).unwrap();
        assert_eq!(merge_summaries(&[garbage]).unwrap_err().message, "Could not parse one of the summary inputs");
    }
}
