//! Receiving one gRPC message into a buffer made for tensors (see [`crate::recv_buffer`]):
//! allocated once at the size the frame header announces, and placed so that the first tensor's
//! content starts on a 64-byte boundary. HTTP/2 frames are copied in as they arrive (the only copy
//! on the receiving side), large ones by a blocking-pool thread while the I/O thread goes on
//! reading the socket, so the copy overlaps the transfer; the decoded tensor is used in place.
//!
//! Concurrency: a `MessageAssembler` belongs to the one task reading a body; its offloaded copies
//! write disjoint ranges of the buffer and are all awaited before the message is handed out.

use bytes::Bytes;
use ferroflow_framework::{Error, Result};

use crate::chunked::GRPC_HEADER;
use crate::recv_buffer::{CONTENT_ALIGNMENT, ReceiveBuffer};

/// How much of a message is looked at to find its first tensor's content.
const PEEK: usize = 4096;

/// Paths (field numbers from the message down to `TensorProto.tensor_content`) of the first tensor
/// in each message kind, used to align it.
pub mod content_path {
    pub const RECV_TENSOR_RESPONSE: &[u32] = &[1, 4];
    pub const RUN_GRAPH_RESPONSE: &[u32] = &[1, 2, 4];
    pub const RUN_GRAPH_REQUEST: &[u32] = &[3, 2, 4];
    pub const RUN_STEP_REQUEST: &[u32] = &[2, 2, 4];
    pub const RUN_CALLABLE_REQUEST: &[u32] = &[3, 4];
    pub const RUN_STEP_RESPONSE: &[u32] = &[1, 2, 4];
    pub const RUN_CALLABLE_RESPONSE: &[u32] = &[1, 4];
    pub const NONE: &[u32] = &[];
}

fn read_varint(buf: &[u8]) -> Option<(u64, usize)> {
    let mut value = 0u64;
    for (i, &b) in buf.iter().enumerate().take(10) {
        value |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Some((value, i + 1));
        }
    }
    None
}

/// Offset of the payload of the first length-delimited field reached by `path` within the
/// (possibly truncated) encoded message `buf`, or `None` if it is not within `buf`.
pub fn find_field_payload(buf: &[u8], path: &[u32]) -> Option<usize> {
    let (&first, rest) = path.split_first()?;
    let mut pos = 0usize;
    while pos < buf.len() {
        let (key, n) = read_varint(&buf[pos..])?;
        pos += n;
        let (field, wire_type) = (key >> 3, key & 7);
        match wire_type {
            0 => pos += read_varint(buf.get(pos..)?)?.1,
            1 => pos += 8,
            5 => pos += 4,
            2 => {
                let (len, n) = read_varint(buf.get(pos..)?)?;
                pos += n;
                let len = usize::try_from(len).ok()?;
                if field == u64::from(first) {
                    if rest.is_empty() {
                        return Some(pos);
                    }
                    let inner_end = pos.saturating_add(len).min(buf.len());
                    if let Some(offset) = find_field_payload(&buf[pos..inner_end], rest) {
                        return Some(pos + offset);
                    }
                }
                pos = pos.checked_add(len)?;
            }
            _ => return None,
        }
    }
    None
}

/// Collects the body of a unary gRPC call into one aligned buffer.
pub struct MessageAssembler {
    content_path: &'static [u32],
    max_len: usize,
    header: [u8; GRPC_HEADER],
    header_filled: usize,
    message_len: usize,
    pending: Vec<Bytes>,
    pending_len: usize,
    buffer: Option<ReceiveBuffer>,
}

impl MessageAssembler {
    /// A message whose first tensor at `content_path` is to be aligned, of at most `max_len` bytes.
    pub fn new(content_path: &'static [u32], max_len: usize) -> MessageAssembler {
        MessageAssembler {
            content_path,
            max_len,
            header: [0; GRPC_HEADER],
            header_filled: 0,
            message_len: 0,
            pending: Vec::new(),
            pending_len: 0,
            buffer: None,
        }
    }

    fn header_done(&self) -> bool {
        self.header_filled == GRPC_HEADER
    }

    fn complete(&self) -> bool {
        self.header_done() && self.buffer.as_ref().is_some_and(|b| b.remaining() == 0)
    }

    /// Takes the next piece of the body.
    pub fn push(&mut self, mut data: Bytes) -> Result<()> {
        while !data.is_empty() {
            if self.complete() {
                return Err(Error::internal("a unary gRPC reply carried more than one message"));
            }
            if !self.header_done() {
                let n = (GRPC_HEADER - self.header_filled).min(data.len());
                self.header[self.header_filled..self.header_filled + n].copy_from_slice(&data[..n]);
                self.header_filled += n;
                let _ = data.split_to(n);
                if self.header_done() {
                    self.start_message()?;
                }
                continue;
            }
            match &mut self.buffer {
                Some(buffer) => {
                    if data.len() > buffer.remaining() {
                        return Err(Error::internal("a unary gRPC reply carried more than one message"));
                    }
                    buffer.extend(std::mem::take(&mut data));
                }
                None => {
                    self.pending_len += data.len();
                    self.pending.push(std::mem::take(&mut data));
                    if self.pending_len >= self.message_len.min(PEEK) {
                        self.allocate()?;
                    }
                }
            }
        }
        Ok(())
    }

    fn start_message(&mut self) -> Result<()> {
        if self.header[0] != 0 {
            return Err(Error::unimplemented("compressed gRPC messages are not supported; send them uncompressed"));
        }
        self.message_len = u32::from_be_bytes([self.header[1], self.header[2], self.header[3], self.header[4]]) as usize;
        if self.message_len > self.max_len {
            return Err(Error::resource_exhausted(format!("message of {} bytes exceeds the limit of {} bytes", self.message_len, self.max_len)));
        }
        if self.message_len == 0 {
            self.buffer = Some(ReceiveBuffer::new(0, 0)?);
        }
        Ok(())
    }

    /// Allocates the buffer, placing the message so that its first tensor content is aligned, and
    /// moves what arrived so far into it.
    fn allocate(&mut self) -> Result<()> {
        let peek_len = self.pending_len.min(PEEK);
        let mut peek = Vec::with_capacity(peek_len);
        for chunk in &self.pending {
            let take = (peek_len - peek.len()).min(chunk.len());
            peek.extend_from_slice(&chunk[..take]);
            if peek.len() == peek_len {
                break;
            }
        }
        let start = match find_field_payload(&peek, self.content_path) {
            Some(offset) => (CONTENT_ALIGNMENT - offset % CONTENT_ALIGNMENT) % CONTENT_ALIGNMENT,
            None => 0,
        };
        let mut buffer = ReceiveBuffer::new(start, self.message_len)?;
        for chunk in self.pending.drain(..) {
            if chunk.len() > buffer.remaining() {
                return Err(Error::internal("a unary gRPC reply carried more than one message"));
            }
            buffer.extend(chunk);
        }
        self.buffer = Some(buffer);
        Ok(())
    }

    /// The whole message, once every copy into it is done; an error if the body ended early.
    pub async fn finish(mut self) -> Result<Bytes> {
        if self.header_done() && self.buffer.is_none() && self.pending_len == self.message_len {
            self.allocate()?;
        }
        if !self.complete() {
            return Err(Error::data_loss(format!(
                "gRPC message ended early: expected {} bytes",
                if self.header_done() { self.message_len + GRPC_HEADER } else { GRPC_HEADER }
            )));
        }
        self.buffer.take().expect("complete").into_bytes().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chunked::ZeroCopyEncode;
    use ferroflow_proto as pb;
    use prost::Message;

    fn response(n: usize, name_len: usize) -> pb::RunGraphResponse {
        pb::RunGraphResponse {
            recv: vec![pb::NamedTensorProto {
                name: "x".repeat(name_len),
                tensor: Some(pb::TensorProto { dtype: 1, tensor_content: Bytes::from(vec![7u8; n]), ..Default::default() }),
            }],
            status_error_message: "m".into(),
            ..Default::default()
        }
    }

    /// Feeds the encoded message in pieces of `piece` bytes.
    fn assemble(chunks: &[Bytes], piece: usize, path: &'static [u32]) -> Result<Bytes> {
        let mut all = Vec::new();
        for c in chunks {
            all.extend_from_slice(c);
        }
        let mut assembler = MessageAssembler::new(path, usize::MAX);
        for p in all.chunks(piece) {
            assembler.push(Bytes::copy_from_slice(p))?;
        }
        futures::executor::block_on(assembler.finish())
    }

    #[test]
    fn first_tensor_content_is_aligned_whatever_the_prefix() {
        for name_len in [0, 1, 5, 63, 200] {
            for piece in [1, 7, 4096, 1 << 20] {
                let resp = response(100_000, name_len);
                let encoded = resp.clone().encode_chunks().unwrap();
                let message = assemble(encoded.chunks(), piece, content_path::RUN_GRAPH_RESPONSE).unwrap();
                let decoded = pb::RunGraphResponse::decode(message).unwrap();
                assert_eq!(decoded, resp);
                let content = &decoded.recv[0].tensor.as_ref().unwrap().tensor_content;
                assert_eq!(content.as_ptr() as usize % CONTENT_ALIGNMENT, 0, "name {name_len}, piece {piece}");
            }
        }
    }

    #[test]
    fn large_messages_and_empty_ones_assemble() {
        let resp = pb::RecvTensorResponse {
            tensor: Some(pb::TensorProto { dtype: 1, tensor_content: Bytes::from(vec![1u8; 5 << 20]), ..Default::default() }),
            ..Default::default()
        };
        let message = assemble(resp.clone().encode_chunks().unwrap().chunks(), 1 << 16, content_path::RECV_TENSOR_RESPONSE).unwrap();
        let decoded = pb::RecvTensorResponse::decode(message).unwrap();
        assert_eq!(decoded.tensor.as_ref().unwrap().tensor_content.as_ptr() as usize % CONTENT_ALIGNMENT, 0);
        assert_eq!(decoded, resp);
        let empty = assemble(&[Bytes::from_static(&[0, 0, 0, 0, 0])], 1, content_path::NONE).unwrap();
        assert!(empty.is_empty());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 1)]
    async fn large_pieces_copied_on_other_threads_arrive_whole() {
        let content: Vec<u8> = (0..(9 << 20) + 123).map(|i| (i % 253) as u8).collect();
        let resp = pb::RecvTensorResponse {
            tensor: Some(pb::TensorProto { dtype: 4, tensor_content: Bytes::from(content), ..Default::default() }),
            send_start_micros: 5,
            ..Default::default()
        };
        let all: Vec<u8> = resp.clone().encode_chunks().unwrap().chunks().iter().flat_map(|c| c.to_vec()).collect();
        let mut assembler = MessageAssembler::new(content_path::RECV_TENSOR_RESPONSE, usize::MAX);
        for piece in all.chunks((2 << 20) + 7) {
            assembler.push(Bytes::copy_from_slice(piece)).unwrap();
        }
        let decoded = pb::RecvTensorResponse::decode(assembler.finish().await.unwrap()).unwrap();
        assert_eq!(decoded, resp);
    }

    #[test]
    fn a_two_gib_tensor_fits_the_message_limit() {
        // Zeroed allocations are not touched until read: this costs a few pages, not 2 GiB.
        let content = Bytes::from(vec![0u8; 2 << 30]);
        let resp = pb::RecvTensorResponse {
            tensor: Some(pb::TensorProto { dtype: 4, tensor_content: content.clone(), ..Default::default() }),
            ..Default::default()
        };
        let encoded = resp.encode_chunks().unwrap();
        assert!(encoded.len() - GRPC_HEADER > 2 << 30 && encoded.len() - GRPC_HEADER <= crate::transport::MAX_MESSAGE_SIZE);
        let mut assembler = MessageAssembler::new(content_path::RECV_TENSOR_RESPONSE, crate::transport::MAX_MESSAGE_SIZE);
        assembler.push(encoded.chunks()[0].clone()).unwrap();
        assembler.push(content.slice(..4096)).unwrap();
    }

    #[test]
    fn truncated_extra_and_compressed_bodies_are_errors() {
        let encoded = response(1000, 3).encode_chunks().unwrap();
        let mut all: Vec<u8> = encoded.chunks().iter().flat_map(|c| c.to_vec()).collect();
        let mut short = MessageAssembler::new(content_path::NONE, usize::MAX);
        short.push(Bytes::copy_from_slice(&all[..all.len() - 1])).unwrap();
        assert_eq!(futures::executor::block_on(short.finish()).unwrap_err().code, ferroflow_framework::Code::DataLoss);
        all.push(0);
        let mut long = MessageAssembler::new(content_path::NONE, usize::MAX);
        assert_eq!(long.push(Bytes::from(all.clone())).unwrap_err().code, ferroflow_framework::Code::Internal);
        all[0] = 1;
        let mut compressed = MessageAssembler::new(content_path::NONE, usize::MAX);
        assert_eq!(compressed.push(Bytes::from(all)).unwrap_err().code, ferroflow_framework::Code::Unimplemented);
        let mut limited = MessageAssembler::new(content_path::NONE, 10);
        assert_eq!(limited.push(Bytes::from_static(&[0, 0, 0, 1, 0])).unwrap_err().code, ferroflow_framework::Code::ResourceExhausted);
    }

    #[test]
    fn large_buffers_are_reused_after_they_are_dropped() {
        let len = 3 << 20;
        let first = ReceiveBuffer::new(0, len).unwrap();
        let address = first.address();
        drop(first);
        let second = ReceiveBuffer::new(17, len - 100).unwrap();
        assert_eq!(second.address(), address);
    }

    #[test]
    fn field_search_stops_at_truncation_and_skips_tensors_without_content() {
        assert_eq!(find_field_payload(&[0x0a, 0x05, 0x22], &[1, 4]), None);
        // recv[0] holds a string tensor (no content); recv[1]'s content is found.
        let resp = pb::RunGraphResponse {
            recv: vec![
                pb::NamedTensorProto { name: "s".into(), tensor: Some(pb::TensorProto { dtype: 7, string_val: vec![Bytes::from_static(b"ab")], ..Default::default() }) },
                pb::NamedTensorProto { name: "f".into(), tensor: Some(pb::TensorProto { dtype: 1, tensor_content: Bytes::from_static(&[9; 8]), ..Default::default() }) },
            ],
            ..Default::default()
        };
        let bytes = resp.encode_to_vec();
        let offset = find_field_payload(&bytes, content_path::RUN_GRAPH_RESPONSE).unwrap();
        assert_eq!(&bytes[offset..offset + 8], &[9; 8]);
    }
}
