//! Zero-copy encoding of the messages that carry tensors (`RecvTensorResponse`, `RunGraphRequest`,
//! `RunGraphResponse`, `RunStepRequest`, `RunStepResponse`, `RunCallableRequest`,
//! `RunCallableResponse`): a gRPC message written as a list of `Bytes` chunks in which every large
//! `tensor_content` is the tensor's own shared buffer, not a copy. The chunks go to HTTP/2 as they
//! are, so a 256 MiB tensor leaves the process straight from the buffer a kernel wrote.
//!
//! The wire bytes are ordinary protobuf: the message's other fields are encoded first (by prost),
//! then the tensor fields, each `TensorProto` with its `tensor_content` last. Protobuf allows fields
//! in any order and keeps the order of repeated fields, so every parser (TF's included) reads the
//! same message prost would have written.
//!
//! Concurrency: plain values; nothing shared but the reference-counted tensor buffers.

use bytes::{BufMut, Bytes, BytesMut};
use ferroflow_proto as pb;
use prost::Message;
use prost::encoding::{WireType, encode_key, encode_varint};
use std::collections::VecDeque;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Tensor contents at least this large are sent from their own buffer; smaller ones are copied
/// into the message (a copy is cheaper than another chunk).
pub const SHARED_CONTENT_MIN: usize = 32 << 10;

/// Field number of `TensorProto.tensor_content`.
const TENSOR_CONTENT: u32 = 4;
/// Field numbers of `NamedTensorProto`.
const NAMED_NAME: u32 = 1;
const NAMED_TENSOR: u32 = 2;

/// A gRPC message (5-byte frame header included) as chunks ready for the wire.
#[derive(Debug, Default)]
pub struct EncodedMessage {
    chunks: Vec<Bytes>,
}

impl EncodedMessage {
    pub fn len(&self) -> usize {
        self.chunks.iter().map(Bytes::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.chunks.is_empty()
    }

    pub fn chunks(&self) -> &[Bytes] {
        &self.chunks
    }

    /// The message without its gRPC frame header, in one buffer (copies; for tests and small messages).
    pub fn to_message_bytes(&self) -> Bytes {
        let mut all = BytesMut::with_capacity(self.len());
        for c in &self.chunks {
            all.put_slice(c);
        }
        all.split_off(GRPC_HEADER).freeze()
    }
}

/// Length of the gRPC frame header: a compression flag and a big-endian u32 length.
pub const GRPC_HEADER: usize = 5;

/// Writes a message as chunks: small pieces are copied into a running buffer, large shared buffers
/// become chunks of their own.
struct ChunkWriter {
    done: Vec<Bytes>,
    current: BytesMut,
}

impl ChunkWriter {
    fn new() -> ChunkWriter {
        let mut current = BytesMut::with_capacity(256);
        current.put_bytes(0, GRPC_HEADER);
        ChunkWriter { done: Vec::new(), current }
    }

    fn put_shared(&mut self, bytes: &Bytes) {
        if bytes.len() < SHARED_CONTENT_MIN {
            self.current.put_slice(bytes);
        } else {
            if !self.current.is_empty() {
                self.done.push(self.current.split().freeze());
            }
            self.done.push(bytes.clone());
        }
    }

    fn put_len_prefix(&mut self, field: u32, len: usize) {
        encode_key(field, WireType::LengthDelimited, &mut self.current);
        encode_varint(len as u64, &mut self.current);
    }

    fn put_message<M: Message>(&mut self, message: &M) {
        message.encode_raw(&mut self.current);
    }

    /// Fills in the frame header (no compression, the message length) and returns the chunks.
    fn finish(mut self) -> ferroflow_framework::Result<EncodedMessage> {
        if !self.current.is_empty() {
            self.done.push(self.current.split().freeze());
        }
        let total: usize = self.done.iter().map(Bytes::len).sum::<usize>() - GRPC_HEADER;
        let length = u32::try_from(total).map_err(|_| {
            ferroflow_framework::Error::resource_exhausted(format!("message of {total} bytes exceeds gRPC's 4 GiB frame limit"))
        })?;
        let first = &mut self.done[0];
        let mut head = BytesMut::from(first.as_ref());
        head[0] = 0;
        head[1..GRPC_HEADER].copy_from_slice(&length.to_be_bytes());
        *first = head.freeze();
        Ok(EncodedMessage { chunks: self.done })
    }
}

fn content_is_shared(t: &pb::TensorProto) -> bool {
    t.tensor_content.len() >= SHARED_CONTENT_MIN
}

/// Encoded length of a `TensorProto` (the same however it is written).
fn tensor_len(t: &pb::TensorProto) -> usize {
    t.encoded_len()
}

/// A `TensorProto` as field `field`, its content last and shared when large.
fn put_tensor(w: &mut ChunkWriter, field: u32, t: &pb::TensorProto) {
    w.put_len_prefix(field, tensor_len(t));
    if content_is_shared(t) {
        let rest = pb::TensorProto { tensor_content: Bytes::new(), ..t.clone() };
        w.put_message(&rest);
        w.put_len_prefix(TENSOR_CONTENT, t.tensor_content.len());
        w.put_shared(&t.tensor_content);
    } else {
        w.put_message(t);
    }
}

fn named_len(n: &pb::NamedTensorProto) -> usize {
    n.encoded_len()
}

/// A `NamedTensorProto` as field `field`: its name, then its tensor.
fn put_named_tensor(w: &mut ChunkWriter, field: u32, n: &pb::NamedTensorProto) {
    w.put_len_prefix(field, named_len(n));
    if !n.name.is_empty() {
        prost::encoding::string::encode(NAMED_NAME, &n.name, &mut w.current);
    }
    if let Some(t) = &n.tensor {
        put_tensor(w, NAMED_TENSOR, t);
    }
}

/// `head` (the message with its tensor field emptied), then `tensors` as repeated field `field`.
pub fn encode_with_named_tensors<M: Message>(head: &M, field: u32, tensors: &[pb::NamedTensorProto]) -> ferroflow_framework::Result<EncodedMessage> {
    let mut w = ChunkWriter::new();
    w.put_message(head);
    for n in tensors {
        put_named_tensor(&mut w, field, n);
    }
    w.finish()
}

/// `head` (the message with its tensor field emptied), then `tensors` as repeated field `field`.
pub fn encode_with_tensors<M: Message>(head: &M, field: u32, tensors: &[pb::TensorProto]) -> ferroflow_framework::Result<EncodedMessage> {
    let mut w = ChunkWriter::new();
    w.put_message(head);
    for t in tensors {
        put_tensor(&mut w, field, t);
    }
    w.finish()
}

/// Messages that carry tensors and are encoded without copying them: the message with its tensor
/// field taken out is encoded by prost, then the tensors after it.
pub trait ZeroCopyEncode: Message + Sized {
    fn encode_chunks(self) -> ferroflow_framework::Result<EncodedMessage>;
}

macro_rules! zero_copy_named {
    ($($message:ty => $field:ident = $number:expr;)*) => {
        $(impl ZeroCopyEncode for $message {
            fn encode_chunks(mut self) -> ferroflow_framework::Result<EncodedMessage> {
                let tensors = std::mem::take(&mut self.$field);
                encode_with_named_tensors(&self, $number, &tensors)
            }
        })*
    };
}

zero_copy_named! {
    pb::RunGraphRequest => send = 3;
    pb::RunGraphResponse => recv = 1;
    pb::RunStepRequest => feed = 2;
    pb::RunStepResponse => tensor = 1;
}

impl ZeroCopyEncode for pb::RunCallableResponse {
    fn encode_chunks(mut self) -> ferroflow_framework::Result<EncodedMessage> {
        let tensors = std::mem::take(&mut self.fetch);
        encode_with_tensors(&self, 1, &tensors)
    }
}

impl ZeroCopyEncode for pb::RunCallableRequest {
    fn encode_chunks(mut self) -> ferroflow_framework::Result<EncodedMessage> {
        let tensors = std::mem::take(&mut self.feed);
        encode_with_tensors(&self, 3, &tensors)
    }
}

impl ZeroCopyEncode for pb::RecvTensorResponse {
    fn encode_chunks(mut self) -> ferroflow_framework::Result<EncodedMessage> {
        let tensor = self.tensor.take();
        encode_with_tensors(&self, 1, tensor.as_slice())
    }
}

/// A message without tensors: encoded as it is, in one chunk.
impl ZeroCopyEncode for pb::RecvTensorRequest {
    fn encode_chunks(self) -> ferroflow_framework::Result<EncodedMessage> {
        let mut w = ChunkWriter::new();
        w.put_message(&self);
        w.finish()
    }
}

/// A gRPC body: the chunks of one message, then the trailers (`grpc-status: 0`).
pub struct GrpcBody {
    chunks: VecDeque<Bytes>,
    trailers: Option<http::HeaderMap>,
}

impl GrpcBody {
    /// A successful reply carrying `message`.
    pub fn ok(message: EncodedMessage) -> GrpcBody {
        let mut trailers = http::HeaderMap::new();
        trailers.insert("grpc-status", http::HeaderValue::from_static("0"));
        GrpcBody { chunks: message.chunks.into(), trailers: Some(trailers) }
    }

    /// A request body: the chunks of one message, no trailers.
    pub fn request(message: EncodedMessage) -> GrpcBody {
        GrpcBody { chunks: message.chunks.into(), trailers: None }
    }
}

impl http_body::Body for GrpcBody {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
        let this = self.get_mut();
        if let Some(chunk) = this.chunks.pop_front() {
            return Poll::Ready(Some(Ok(http_body::Frame::data(chunk))));
        }
        Poll::Ready(this.trailers.take().map(|t| Ok(http_body::Frame::trailers(t))))
    }

    fn is_end_stream(&self) -> bool {
        self.chunks.is_empty() && self.trailers.is_none()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        let data: usize = self.chunks.iter().map(Bytes::len).sum();
        if self.trailers.is_none() { http_body::SizeHint::with_exact(data as u64) } else { http_body::SizeHint::default() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn big_tensor(n: usize) -> pb::TensorProto {
        let content: Vec<u8> = (0..n).map(|i| (i % 251) as u8).collect();
        pb::TensorProto {
            dtype: 4,
            tensor_shape: Some(pb::TensorShapeProto { dim: vec![pb::tensor_shape_proto::Dim { size: n as i64, name: String::new() }], unknown_rank: false }),
            tensor_content: Bytes::from(content),
            ..Default::default()
        }
    }

    fn frame_length(m: &EncodedMessage) -> usize {
        let c = &m.chunks()[0];
        assert_eq!(c[0], 0, "no compression");
        u32::from_be_bytes(c[1..5].try_into().unwrap()) as usize
    }

    #[test]
    fn recv_tensor_response_decodes_to_the_same_message_and_shares_the_content() {
        let tensor = big_tensor(100_000);
        let resp = pb::RecvTensorResponse { tensor: Some(tensor.clone()), is_dead: false, send_start_micros: 77, ..Default::default() };
        let encoded = resp.clone().encode_chunks().unwrap();
        assert_eq!(frame_length(&encoded), resp.encoded_len());
        assert_eq!(encoded.len(), resp.encoded_len() + GRPC_HEADER);
        let shared = encoded.chunks().iter().find(|c| c.len() == 100_000).expect("content is a chunk of its own");
        assert_eq!(shared.as_ptr(), tensor.tensor_content.as_ptr(), "content not copied");
        assert_eq!(pb::RecvTensorResponse::decode(encoded.to_message_bytes()).unwrap(), resp);
    }

    #[test]
    fn run_graph_response_with_several_tensors_round_trips() {
        let resp = pb::RunGraphResponse {
            recv: vec![
                pb::NamedTensorProto { name: "a".into(), tensor: Some(big_tensor(40_000)) },
                pb::NamedTensorProto { name: "small".into(), tensor: Some(big_tensor(10)) },
                pb::NamedTensorProto { name: String::new(), tensor: None },
                pb::NamedTensorProto { name: "b".into(), tensor: Some(big_tensor(70_000)) },
            ],
            status_code: 3,
            status_error_message: "x".into(),
            ..Default::default()
        };
        let encoded = resp.clone().encode_chunks().unwrap();
        assert_eq!(frame_length(&encoded), resp.encoded_len());
        assert_eq!(pb::RunGraphResponse::decode(encoded.to_message_bytes()).unwrap(), resp);
    }

    #[test]
    fn step_and_callable_replies_round_trip() {
        let step = pb::RunStepResponse {
            tensor: vec![pb::NamedTensorProto { name: "y:0".into(), tensor: Some(big_tensor(50_000)) }],
            status_error_message: "ok".into(),
            ..Default::default()
        };
        assert_eq!(pb::RunStepResponse::decode(step.clone().encode_chunks().unwrap().to_message_bytes()).unwrap(), step);
        let callable = pb::RunCallableResponse { fetch: vec![big_tensor(33_000), big_tensor(3)], ..Default::default() };
        assert_eq!(pb::RunCallableResponse::decode(callable.clone().encode_chunks().unwrap().to_message_bytes()).unwrap(), callable);
        let request = pb::RunGraphRequest {
            graph_handle: "g".into(),
            step_id: 9,
            send: vec![pb::NamedTensorProto { name: "k".into(), tensor: Some(big_tensor(64 << 10)) }],
            recv_key: vec!["r".into()],
            ..Default::default()
        };
        assert_eq!(pb::RunGraphRequest::decode(request.clone().encode_chunks().unwrap().to_message_bytes()).unwrap(), request);
        let call = pb::RunCallableRequest { session_handle: "s".into(), handle: 3, feed: vec![big_tensor(40_000), big_tensor(2)], request_id: 8 };
        assert_eq!(pb::RunCallableRequest::decode(call.clone().encode_chunks().unwrap().to_message_bytes()).unwrap(), call);
    }

    #[test]
    fn a_message_without_tensors_is_one_chunk() {
        let resp = pb::RecvTensorResponse { is_dead: true, ..Default::default() };
        let encoded = resp.clone().encode_chunks().unwrap();
        assert_eq!(encoded.chunks().len(), 1);
        assert_eq!(pb::RecvTensorResponse::decode(encoded.to_message_bytes()).unwrap(), resp);
    }
}
