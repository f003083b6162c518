//! Image summaries as TF's `ImageSummary` kernel and its summary-writer converter build them:
//! uint8 pixels as they are, float and double pixels rescaled into uint8 by TF's rule (only
//! non-negative values: times 255/max; any negative value: times 127/max|v|, plus 128; a pixel
//! with a non-finite channel becomes `bad_color`), each image PNG-encoded at zlib's default level
//! (TF's `compression = -1`). PNG bytes may differ from libpng's, the decoded pixels do not.
//! Pure functions. (TF also takes half images; ferroflow has no half dtype.)

use ferroflow_framework::{DType, Error, Result, Tensor};
use ferroflow_proto::Summary;
use ferroflow_proto::summary::{Image, Value, value};

/// The shape of a batch of images, checked as TF checks it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ImageBatch {
    pub batch: usize,
    pub height: usize,
    pub width: usize,
    pub depth: usize,
}

impl ImageBatch {
    /// TF's two shape checks: 4-D with 1, 3 or 4 channels, and small enough for a summary.
    pub fn of(tensor: &Tensor) -> Result<ImageBatch> {
        let dims = tensor.dims();
        if !(dims.len() == 4 && matches!(dims[3], 1 | 3 | 4)) {
            return Err(Error::invalid_argument(format!(
                "Tensor must be 4-D with last dim 1, 3, or 4, not {}",
                tensor.shape()
            )));
        }
        const LIMIT: i64 = 1 << 31;
        if !(dims[0] < LIMIT && dims[1] < LIMIT && dims[2] < LIMIT && dims[1] * dims[2] < (1 << 29)) {
            return Err(Error::invalid_argument(format!("Tensor too large for summary {}", tensor.shape())));
        }
        Ok(ImageBatch { batch: dims[0] as usize, height: dims[1] as usize, width: dims[2] as usize, depth: dims[3] as usize })
    }

    fn pixels(&self) -> usize {
        self.height * self.width
    }
}

/// Checks `bad_color` as `ImageSummary`'s constructor does: a uint8 vector.
pub fn check_bad_color(bad_color: &Tensor) -> Result<()> {
    if bad_color.dtype() != DType::UInt8 {
        return Err(Error::invalid_argument(format!("bad_color must be uint8, got {}", bad_color.dtype())));
    }
    if bad_color.rank() != 1 {
        return Err(Error::invalid_argument(format!("bad_color must be a vector, got shape {}", bad_color.shape())));
    }
    Ok(())
}

/// A float element type of an image tensor, with TF's arithmetic for it.
trait Pixel: Copy {
    fn is_finite(self) -> bool;
    fn to_f32(self) -> f32;
    /// TF computes `scale` and `offset` in float and converts them to the pixel type.
    fn from_f32(v: f32) -> Self;
    /// `(self * scale + offset)` in the pixel type, converted to uint8 as C++ does (truncating).
    fn scaled(self, scale: Self, offset: Self) -> u8;
}

impl Pixel for f32 {
    fn is_finite(self) -> bool {
        f32::is_finite(self)
    }
    fn to_f32(self) -> f32 {
        self
    }
    fn from_f32(v: f32) -> f32 {
        v
    }
    fn scaled(self, scale: f32, offset: f32) -> u8 {
        (self * scale + offset) as u8
    }
}

impl Pixel for f64 {
    fn is_finite(self) -> bool {
        f64::is_finite(self)
    }
    fn to_f32(self) -> f32 {
        self as f32
    }
    fn from_f32(v: f32) -> f64 {
        v as f64
    }
    fn scaled(self, scale: f64, offset: f64) -> u8 {
        (self * scale + offset) as u8
    }
}

/// TF's `NormalizeFloatImage` for one image of `depth`-channel pixels.
fn normalize<T: Pixel>(values: &[T], depth: usize, bad_color: &[u8]) -> Vec<u8> {
    let finite = |pixel: &[T]| pixel.iter().all(|v| v.is_finite());
    let (mut min, mut max) = (f32::INFINITY, f32::NEG_INFINITY);
    for pixel in values.chunks_exact(depth).filter(|p| finite(p)) {
        for v in pixel {
            min = min.min(v.to_f32());
            max = max.max(v.to_f32());
        }
    }
    const ZERO_THRESHOLD: f32 = 1e-6;
    let (scale, offset) = if min < 0.0 {
        let max_val = min.abs().max(max.abs());
        (T::from_f32(if max_val < ZERO_THRESHOLD { 0.0 } else { 127.0 / max_val }), T::from_f32(128.0))
    } else {
        (T::from_f32(if max < ZERO_THRESHOLD { 0.0 } else { 255.0 / max }), T::from_f32(0.0))
    };
    let mut out = Vec::with_capacity(values.len());
    for pixel in values.chunks_exact(depth) {
        if finite(pixel) {
            out.extend(pixel.iter().map(|v| v.scaled(scale, offset)));
        } else {
            out.extend_from_slice(&bad_color[..depth]);
        }
    }
    out
}

/// PNG-encodes 8-bit pixels as TF's `png::WriteImageToBuffer` (gray, RGB or RGBA; zlib level 6).
pub fn encode_png(pixels: &[u8], width: usize, height: usize, depth: usize) -> Result<Vec<u8>> {
    let failed = || Error::internal("PNG encoding failed");
    let color = match depth {
        1 => png::ColorType::Grayscale,
        2 => png::ColorType::GrayscaleAlpha,
        3 => png::ColorType::Rgb,
        4 => png::ColorType::Rgba,
        _ => return Err(failed()),
    };
    if width == 0 || height == 0 || pixels.len() != width * height * depth {
        return Err(failed());
    }
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width as u32, height as u32);
    encoder.set_color(color);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_deflate_compression(png::DeflateCompression::Level(6));
    encoder.set_filter(png::Filter::Adaptive);
    let mut writer = encoder.write_header().map_err(|_| failed())?;
    writer.write_image_data(pixels).map_err(|_| failed())?;
    writer.finish().map_err(|_| failed())?;
    Ok(out)
}

/// The tag of image `i` of a summary asking for `max_images` images.
fn image_tag(tag: &str, max_images: i64, i: usize) -> String {
    if max_images > 1 { format!("{tag}/image/{i}") } else { format!("{tag}/image") }
}

/// Appends up to `max_images` images of `tensor` to `summary` (TF's `AddImages` with the
/// normalization of its dtype). `bad_color` must already be checked; it is used for float images.
pub(crate) fn add_images(
    summary: &mut Summary,
    tag: &str,
    tensor: &Tensor,
    dims: ImageBatch,
    max_images: i64,
    bad_color: &Tensor,
    unsupported: impl FnOnce(DType) -> Error,
) -> Result<()> {
    let per_image = dims.pixels() * dims.depth;
    let count = (max_images.max(0) as usize).min(dims.batch);
    let bad_color_for = |depth: usize| -> Result<Vec<u8>> {
        let colors = bad_color.values::<u8>()?;
        if colors.len() < depth {
            return Err(Error::invalid_argument(format!(
                "expected depth <= bad_color.size, got depth = {depth}, bad_color.size = {}",
                colors.len()
            )));
        }
        Ok(colors[..depth].to_vec())
    };
    let images: Vec<Vec<u8>> = match tensor.dtype() {
        DType::UInt8 => {
            let values = tensor.values::<u8>()?;
            (0..count).map(|i| values[i * per_image..(i + 1) * per_image].to_vec()).collect()
        }
        DType::Float => {
            let colors = bad_color_for(dims.depth)?;
            let values = tensor.values::<f32>()?;
            (0..count).map(|i| normalize(&values[i * per_image..(i + 1) * per_image], dims.depth, &colors)).collect()
        }
        DType::Double => {
            let colors = bad_color_for(dims.depth)?;
            let values = tensor.values::<f64>()?;
            (0..count).map(|i| normalize(&values[i * per_image..(i + 1) * per_image], dims.depth, &colors)).collect()
        }
        other => return Err(unsupported(other)),
    };
    for (i, pixels) in images.iter().enumerate() {
        let image = Image {
            height: dims.height as i32,
            width: dims.width as i32,
            colorspace: dims.depth as i32,
            encoded_image_string: encode_png(pixels, dims.width, dims.height, dims.depth)?,
        };
        summary.value.push(Value { tag: image_tag(tag, max_images, i), value: Some(value::Value::Image(image)), ..Default::default() });
    }
    Ok(())
}

/// TF's `ImageSummary` kernel: `tag` a string scalar, `tensor` `[batch, height, width, channels]`
/// uint8, float or double, `max_images` (attr, >= 1) and `bad_color` (attr, uint8 vector, TF's
/// default `[255, 0, 0, 255]`).
pub fn image_summary(tag: &Tensor, tensor: &Tensor, max_images: i64, bad_color: &Tensor) -> Result<Summary> {
    if max_images >= 1 << 31 {
        return Err(Error::invalid_argument("max_images must be < 2^31"));
    }
    check_bad_color(bad_color)?;
    if !tag.shape().is_scalar() {
        return Err(Error::invalid_argument("Tags must be a scalar"));
    }
    let dims = ImageBatch::of(tensor)?;
    let tag = super::string_scalar(tag)?;
    if dims.pixels() == 0 {
        let d = tensor.dims();
        return Err(Error::invalid_argument(format!(
            "input tensor must have non-zero dims. Found: [{}, {}, {}, {}].",
            d[0], d[1], d[2], d[3]
        )));
    }
    let mut summary = Summary::default();
    add_images(&mut summary, &tag, tensor, dims, max_images, bad_color, |dtype| {
        Error::invalid_argument(format!("ImageSummary does not take {dtype} images (uint8, float or double)"))
    })?;
    Ok(summary)
}

/// TF's default `bad_color` attr: opaque red.
pub fn default_bad_color() -> Tensor {
    Tensor::from_vec(vec![4], vec![255u8, 0, 0, 255]).expect("four values fill [4]")
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use ferroflow_framework::Code;

    fn tag(s: &str) -> Tensor {
        Tensor::from_strings(ferroflow_framework::TensorShape::scalar(), vec![Bytes::copy_from_slice(s.as_bytes())]).unwrap()
    }

    fn decode(png_bytes: &[u8]) -> (png::OutputInfo, Vec<u8>) {
        let mut reader = png::Decoder::new(std::io::Cursor::new(png_bytes)).read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buf).unwrap();
        buf.truncate(info.buffer_size());
        (info, buf)
    }

    fn images(s: &Summary) -> Vec<(&str, &Image)> {
        s.value
            .iter()
            .map(|v| match &v.value {
                Some(value::Value::Image(i)) => (v.tag.as_str(), i),
                other => panic!("not an image: {other:?}"),
            })
            .collect()
    }

    #[test]
    fn float_images_are_scaled_as_tf_scales_them() {
        // Non-negative: times 255 / max. With a negative value: times 127 / max|v|, plus 128.
        assert_eq!(normalize(&[0.0f32, 0.5, 1.0, 2.0], 1, &[9]), vec![0, 63, 127, 255]);
        assert_eq!(normalize(&[-1.0f32, 0.0, 0.5, 1.0], 1, &[9]), vec![1, 128, 191, 255]);
        // A pixel with a non-finite channel is bad_color and is left out of min and max.
        // Double pixels use a float scale: 255/100 is 2.5499999523..., so 100 maps to 254.
        assert_eq!(normalize(&[1.0f64, 2.0, f64::NAN, 4.0, 100.0, 100.0], 2, &[7, 8]), vec![2, 5, 7, 8, 254, 254]);
        assert_eq!(normalize(&[1.0f32, 100.0], 1, &[0]), vec![2, 255]);
        // All below the zero threshold: scale 0.
        assert_eq!(normalize(&[1e-7f32, 0.0], 1, &[0]), vec![0, 0]);
    }

    #[test]
    fn images_are_tagged_counted_and_decodable() {
        let pixels: Vec<u8> = (0..3 * 2 * 3 * 3).map(|i| (i * 7) as u8).collect();
        let t = Tensor::from_vec(vec![3, 2, 3, 3], pixels.clone()).unwrap();
        let s = image_summary(&tag("img"), &t, 2, &default_bad_color()).unwrap();
        let got = images(&s);
        assert_eq!(got.iter().map(|g| g.0).collect::<Vec<_>>(), vec!["img/image/0", "img/image/1"]);
        let (info, decoded) = decode(&got[1].1.encoded_image_string);
        assert_eq!((info.width, info.height, info.color_type), (3, 2, png::ColorType::Rgb));
        assert_eq!((got[1].1.height, got[1].1.width, got[1].1.colorspace), (2, 3, 3));
        assert_eq!(decoded, &pixels[18..36]);
        let s = image_summary(&tag("img"), &t, 1, &default_bad_color()).unwrap();
        assert_eq!(images(&s)[0].0, "img/image");
    }

    #[test]
    fn bad_inputs_get_tf_errors() {
        let t = Tensor::from_vec(vec![1, 2, 2, 2], vec![0u8; 8]).unwrap();
        let e = image_summary(&tag("t"), &t, 3, &default_bad_color()).unwrap_err();
        assert_eq!(e.message, "Tensor must be 4-D with last dim 1, 3, or 4, not [1,2,2,2]");
        let empty = Tensor::from_vec(vec![1, 0, 2, 3], Vec::<u8>::new()).unwrap();
        let e = image_summary(&tag("t"), &empty, 3, &default_bad_color()).unwrap_err();
        assert_eq!(e.message, "input tensor must have non-zero dims. Found: [1, 0, 2, 3].");
        let rgba = Tensor::from_vec(vec![1, 1, 1, 4], vec![0f32; 4]).unwrap();
        let short = Tensor::from_vec(vec![3], vec![1u8, 2, 3]).unwrap();
        let e = image_summary(&tag("t"), &rgba, 3, &short).unwrap_err();
        assert_eq!(e.message, "expected depth <= bad_color.size, got depth = 4, bad_color.size = 3");
        let rgba8 = Tensor::from_vec(vec![1, 1, 1, 4], vec![0u8; 4]).unwrap();
        assert!(image_summary(&tag("t"), &rgba8, 3, &short).is_ok(), "uint8 images never use bad_color");
        let e = image_summary(&tag("t"), &rgba8, 3, &Tensor::scalar(1u8)).unwrap_err();
        assert_eq!(e.message, "bad_color must be a vector, got shape []");
        let e = image_summary(&tag("t"), &rgba8, 3, &Tensor::from_vec(vec![1], vec![1i32]).unwrap()).unwrap_err();
        assert_eq!(e.message, "bad_color must be uint8, got int32");
        let vector_tag = Tensor::from_strings(vec![1], vec![Bytes::from_static(b"t")]).unwrap();
        assert_eq!(image_summary(&vector_tag, &rgba8, 3, &short).unwrap_err().message, "Tags must be a scalar");
        assert_eq!(encode_png(&[], 0, 0, 1).unwrap_err().code, Code::Internal);
    }
}
