//! What TF's v2 summary writer makes of a tensor (`summary_converter.cc`, used by
//! `WriteScalarSummary`, `WriteHistogramSummary`, `WriteImageSummary`, `WriteAudioSummary`):
//! the same encodings as the v1 kernels, with the converter's own checks and texts (errors name
//! the tag; bool tensors are numbers; unsupported dtypes are UNIMPLEMENTED). Pure functions.

use super::image::{ImageBatch, add_images};
use super::{ToFloat, histogram_of, text};
use ferroflow_framework::{DType, Error, Result, Tensor, dispatch};
use ferroflow_proto::Summary;
use ferroflow_proto::summary::{Value, value};

fn unsupported(dtype: DType) -> Error {
    Error::unimplemented(format!("SummaryFileWriter {dtype} not supported."))
}

/// Elements as `f64`, as the converter's `TensorValueAt` casts them (bool included).
fn as_f64s(t: &Tensor) -> Result<Vec<f64>> {
    if t.dtype() == DType::Bool {
        return Ok(t.bools()?.into_iter().map(|b| b as u8 as f64).collect());
    }
    dispatch!(real, t.dtype(), T => {
        Ok(t.values::<T>()?.iter().map(|&v| v.to_f64()).collect())
    }, Err(unsupported(t.dtype())))
}

/// `AddTensorAsScalarToSummary`: the first element as a `simple_value`.
pub fn tensor_as_scalar(t: &Tensor, tag: &str) -> Result<Summary> {
    let first: f32 = if t.dtype() == DType::Bool {
        t.bools()?.first().map(|&b| b as u8 as f32).ok_or_else(|| empty(t))?
    } else {
        dispatch!(real, t.dtype(), T => {
            t.values::<T>()?.first().map(|&v| v.to_f32()).ok_or_else(|| empty(t))?
        }, return Err(unsupported(t.dtype())))
    };
    let value = Value { tag: tag.to_string(), value: Some(value::Value::SimpleValue(first)), ..Default::default() };
    Ok(Summary { value: vec![value] })
}

fn empty(t: &Tensor) -> Error {
    Error::invalid_argument(format!("A scalar summary needs a value, got a tensor of shape {}", t.shape()))
}

/// `AddTensorAsHistogramToSummary`: NaN and infinities are errors naming the tag.
pub fn tensor_as_histogram(t: &Tensor, tag: &str) -> Result<Summary> {
    let values = as_f64s(t)?;
    let histogram = histogram_of(&values, tag, "Nan in summary histogram for: ", "Infinity in summary histogram for: ")?;
    let value = Value { tag: tag.to_string(), value: Some(value::Value::Histo(histogram.to_proto(false))), ..Default::default() };
    Ok(Summary { value: vec![value] })
}

/// `AddTensorAsImageToSummary` (`bad_color` a uint8 vector, checked by the kernel).
pub fn tensor_as_image(t: &Tensor, tag: &str, max_images: i64, bad_color: &Tensor) -> Result<Summary> {
    let dims = ImageBatch::of(t)?;
    let mut summary = Summary::default();
    add_images(&mut summary, tag, t, dims, max_images, bad_color, |dtype| {
        Error::invalid_argument(format!(
            "Only DT_INT8, DT_HALF, DT_DOUBLE, and DT_FLOAT images are supported. Got {}",
            ferroflow_proto::DataType::try_from(dtype.to_proto()).map(|d| d.as_str_name()).unwrap_or("?")
        ))
    })?;
    Ok(summary)
}

/// `AddTensorAsAudioToSummary`.
pub fn tensor_as_audio(t: &Tensor, tag: &str, max_outputs: i64, sample_rate: f32) -> Result<Summary> {
    if sample_rate.is_nan() || sample_rate <= 0.0 {
        return Err(Error::invalid_argument("sample_rate must be > 0"));
    }
    if !(2..=3).contains(&t.rank()) {
        // TF reads dim 1 unchecked; ferroflow refuses what it cannot frame.
        return Err(Error::invalid_argument(format!("Tensor must be 3-D or 2-D, got: {}", t.shape())));
    }
    let mut summary = Summary::default();
    super::audio::add_audio(&mut summary, tag, t, max_outputs, sample_rate)?;
    Ok(summary)
}

/// The tag of a writer op's string scalar.
pub fn tag_of(tag: &Tensor) -> Result<String> {
    match tag.strings()? {
        [s] => Ok(text(s)),
        _ => Err(Error::invalid_argument(format!("tag must be a scalar, got shape {}", tag.shape()))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferroflow_framework::Code;

    #[test]
    fn converter_texts_name_the_tag() {
        let t = Tensor::from_vec(vec![2], vec![1.0f32, f32::INFINITY]).unwrap();
        assert_eq!(tensor_as_histogram(&t, "h").unwrap_err().message, "Infinity in summary histogram for: h");
        let t = Tensor::from_vec(vec![1], vec![f64::NAN]).unwrap();
        assert_eq!(tensor_as_histogram(&t, "h").unwrap_err().message, "Nan in summary histogram for: h");
        let strings = Tensor::from_strings(vec![1], vec![bytes::Bytes::from_static(b"x")]).unwrap();
        let e = tensor_as_scalar(&strings, "s").unwrap_err();
        assert_eq!((e.code, e.message.as_str()), (Code::Unimplemented, "SummaryFileWriter string not supported."));
        let ints = Tensor::from_vec(vec![1, 1, 1, 1], vec![1i32]).unwrap();
        let e = tensor_as_image(&ints, "i", 3, &super::super::default_bad_color()).unwrap_err();
        assert_eq!(e.message, "Only DT_INT8, DT_HALF, DT_DOUBLE, and DT_FLOAT images are supported. Got DT_INT32");
    }

    #[test]
    fn scalars_take_the_first_element_of_any_number_tensor() {
        let s = tensor_as_scalar(&Tensor::from_bools(vec![2], vec![true, false]).unwrap(), "b").unwrap();
        assert_eq!(s.value[0].value, Some(value::Value::SimpleValue(1.0)));
        let s = tensor_as_scalar(&Tensor::from_vec(vec![2], vec![7u16, 9]).unwrap(), "u").unwrap();
        assert_eq!((s.value[0].tag.as_str(), &s.value[0].value), ("u", &Some(value::Value::SimpleValue(7.0))));
    }
}
