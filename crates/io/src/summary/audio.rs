//! Audio summaries as TF's `AudioSummaryV2` kernel and its summary-writer converter build them:
//! each clip of a `[batch, frames]` or `[batch, frames, channels]` float tensor encoded as a
//! 16-bit PCM WAV exactly as TF's `wav::EncodeAudioAsS16LEWav` writes it (byte-identical), tagged
//! `tag/audio` or `tag/audio/N`. Pure functions.

use ferroflow_framework::{Error, Result, Tensor};
use ferroflow_proto::Summary;
use ferroflow_proto::summary::{Audio, Value, value};

/// TF's sample conversion: `round(x * 32768)` clamped to int16 (NaN becomes 0, as x86 does).
fn to_i16_sample(x: f32) -> i16 {
    (x * 32768.0).round().clamp(-32768.0, 32767.0) as i16
}

/// A WAV file of 16-bit little-endian PCM: RIFF header, 16-byte `fmt ` chunk, `data` chunk.
/// `samples` are interleaved frames of `num_channels` samples.
pub fn encode_wav(samples: &[f32], sample_rate: u64, num_channels: u64, num_frames: u64) -> Result<Vec<u8>> {
    const HEADER: u64 = 44;
    if samples.is_empty() && num_frames > 0 {
        return Err(Error::invalid_argument("audio is null"));
    }
    if sample_rate == 0 || sample_rate > u32::MAX as u64 {
        return Err(Error::invalid_argument(format!("sample_rate must be in (0, 2^32), got: {sample_rate}")));
    }
    if num_channels == 0 || num_channels > u16::MAX as u64 {
        return Err(Error::invalid_argument(format!("num_channels must be in (0, 2^16), got: {num_channels}")));
    }
    let num_samples = num_frames.checked_mul(num_channels);
    let file_size = num_samples.and_then(|n| n.checked_mul(2)).and_then(|n| n.checked_add(HEADER));
    let (Some(num_samples), Some(file_size)) = (num_samples, file_size) else {
        return Err(Error::invalid_argument("Provided channels and frames cannot be encoded as a WAV."));
    };
    if file_size > u32::MAX as u64 || samples.len() as u64 != num_samples {
        return Err(Error::invalid_argument("Provided channels and frames cannot be encoded as a WAV."));
    }
    let mut wav = Vec::with_capacity(file_size as usize);
    wav.extend_from_slice(b"RIFF");
    wav.extend_from_slice(&((file_size - 8) as u32).to_le_bytes());
    wav.extend_from_slice(b"WAVEfmt ");
    wav.extend_from_slice(&16u32.to_le_bytes());
    wav.extend_from_slice(&1u16.to_le_bytes()); // PCM
    wav.extend_from_slice(&(num_channels as u16).to_le_bytes());
    wav.extend_from_slice(&(sample_rate as u32).to_le_bytes());
    // TF computes bytes per second in size_t and stores its low 32 bits.
    wav.extend_from_slice(&((sample_rate * 2 * num_channels) as u32).to_le_bytes());
    wav.extend_from_slice(&((2 * num_channels) as u16).to_le_bytes());
    wav.extend_from_slice(&16u16.to_le_bytes());
    wav.extend_from_slice(b"data");
    wav.extend_from_slice(&((num_samples * 2) as u32).to_le_bytes());
    for &x in samples {
        wav.extend_from_slice(&to_i16_sample(x).to_le_bytes());
    }
    Ok(wav)
}

/// Appends up to `max_outputs` clips of `tensor` to `summary` (TF's loop shared by the kernel and
/// the converter). `tensor` is 2-D or 3-D float, `sample_rate` already checked positive.
pub(crate) fn add_audio(summary: &mut Summary, tag: &str, tensor: &Tensor, max_outputs: i64, sample_rate: f32) -> Result<()> {
    let dims = tensor.dims();
    let batch = dims[0] as usize;
    let frames = dims[1] as u64;
    let channels = if dims.len() == 2 { 1 } else { dims[dims.len() - 1] as u64 };
    let values = tensor.values::<f32>()?;
    let per_clip = (frames * channels) as usize;
    // TF rounds to the nearest integer (lrintf, ties to even; out of range it is LONG_MIN, read
    // as 2^63) and uses 1 for rates below 0.5.
    let rounded = sample_rate.round_ties_even();
    let rate = match if rounded >= 9.223_372e18 { 1 << 63 } else { rounded as u64 } {
        0 => 1,
        r => r,
    };
    for i in 0..(max_outputs.max(0) as usize).min(batch) {
        let tag = if max_outputs > 1 { format!("{tag}/audio/{i}") } else { format!("{tag}/audio") };
        let clip = &values[i * per_clip..(i + 1) * per_clip];
        let audio = Audio {
            sample_rate,
            num_channels: channels as i64,
            length_frames: frames as i64,
            encoded_audio_string: encode_wav(clip, rate, channels, frames)?,
            content_type: "audio/wav".into(),
        };
        summary.value.push(Value { tag, value: Some(value::Value::Audio(audio)), ..Default::default() });
    }
    Ok(())
}

/// TF's `AudioSummaryV2` kernel: `tag` a string scalar, `tensor` float `[batch, frames]` or
/// `[batch, frames, channels]`, `sample_rate` a float with one element, `max_outputs` (attr, > 0).
pub fn audio_summary(tag: &Tensor, tensor: &Tensor, sample_rate: &Tensor, max_outputs: i64) -> Result<Summary> {
    if max_outputs <= 0 {
        return Err(Error::invalid_argument("max_outputs must be > 0"));
    }
    if !tag.shape().is_scalar() {
        return Err(Error::invalid_argument("Tag must be a scalar"));
    }
    if !(2..=3).contains(&tensor.rank()) {
        return Err(Error::invalid_argument(format!("Tensor must be 3-D or 2-D, got: {}", tensor.shape())));
    }
    let tag = super::string_scalar(tag)?;
    if sample_rate.num_elements() != 1 {
        return Err(Error::invalid_argument("sample_rate must be rank-0 or contain a single value"));
    }
    let rate = sample_rate.scalar_value::<f32>()?;
    if rate.is_nan() || rate <= 0.0 {
        return Err(Error::invalid_argument("sample_rate must be > 0"));
    }
    let mut summary = Summary::default();
    add_audio(&mut summary, &tag, tensor, max_outputs, rate)?;
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn tag(s: &str) -> Tensor {
        Tensor::from_strings(ferroflow_framework::TensorShape::scalar(), vec![Bytes::copy_from_slice(s.as_bytes())]).unwrap()
    }

    fn clip(s: &Summary, i: usize) -> (&str, &Audio) {
        match &s.value[i].value {
            Some(value::Value::Audio(a)) => (s.value[i].tag.as_str(), a),
            other => panic!("not audio: {other:?}"),
        }
    }

    #[test]
    fn wav_bytes_match_tf() {
        // TF 2.21's AudioSummaryV2("t", zeros([1, 2, 1]), 10.0) encodes exactly these bytes.
        let tf = b"RIFF(\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00\n\x00\x00\x00\x14\x00\x00\x00\x02\x00\x10\x00data\x04\x00\x00\x00\x00\x00\x00\x00";
        assert_eq!(encode_wav(&[0.0, 0.0], 10, 1, 2).unwrap(), tf.to_vec());
        let wav = encode_wav(&[1.0, -1.0, 0.5, f32::NAN, 2.0, -0.00001], 8000, 2, 3).unwrap();
        let samples: Vec<i16> = wav[44..].chunks(2).map(|c| i16::from_le_bytes([c[0], c[1]])).collect();
        assert_eq!(samples, vec![32767, -32768, 16384, 0, 32767, 0]);
    }

    #[test]
    fn clips_are_tagged_and_rates_rounded_as_tf_does() {
        let t = Tensor::from_vec(vec![3, 2], vec![0.0f32; 6]).unwrap();
        let s = audio_summary(&tag("a"), &t, &Tensor::scalar(0.3f32), 2).unwrap();
        assert_eq!(s.value.len(), 2);
        let (name, audio) = clip(&s, 1);
        assert_eq!((name, audio.sample_rate, audio.num_channels, audio.length_frames), ("a/audio/1", 0.3, 1, 2));
        assert_eq!(&audio.encoded_audio_string[24..28], &1u32.to_le_bytes(), "a rate below 0.5 is written as 1");
        assert_eq!(audio.content_type, "audio/wav");
        let s = audio_summary(&tag("a"), &t, &Tensor::from_vec(vec![1], vec![8000.5f32]).unwrap(), 1).unwrap();
        let (name, audio) = clip(&s, 0);
        assert_eq!(name, "a/audio");
        assert_eq!(&audio.encoded_audio_string[24..28], &8000u32.to_le_bytes(), "ties round to even");
    }

    #[test]
    fn bad_inputs_get_tf_errors() {
        let t = Tensor::from_vec(vec![1, 2], vec![0.0f32; 2]).unwrap();
        let rate = Tensor::scalar(10.0f32);
        let msg = |tg: &Tensor, t: &Tensor, r: &Tensor| audio_summary(tg, t, r, 3).unwrap_err().message;
        let one = Tensor::from_strings(vec![1], vec![Bytes::from_static(b"t")]).unwrap();
        assert_eq!(msg(&one, &t, &rate), "Tag must be a scalar");
        assert_eq!(msg(&tag("t"), &Tensor::from_vec(vec![1], vec![0f32]).unwrap(), &rate), "Tensor must be 3-D or 2-D, got: [1]");
        let two = Tensor::from_vec(vec![2], vec![1f32, 2.0]).unwrap();
        assert_eq!(msg(&tag("t"), &t, &two), "sample_rate must be rank-0 or contain a single value");
        assert_eq!(msg(&tag("t"), &t, &Tensor::scalar(0f32)), "sample_rate must be > 0");
        let no_channels = Tensor::from_vec(vec![1, 2, 0], Vec::<f32>::new()).unwrap();
        assert_eq!(msg(&tag("t"), &no_channels, &rate), "audio is null");
        assert_eq!(msg(&tag("t"), &t, &Tensor::scalar(1e10f32)), "sample_rate must be in (0, 2^32), got: 10000000000");
        assert_eq!(audio_summary(&tag("t"), &t, &rate, 0).unwrap_err().message, "max_outputs must be > 0");
    }
}
