//! Receiving one gRPC message into a buffer made for tensors: allocated once at the size the frame
//! header announces, aligned so that the first tensor's content starts on a 64-byte boundary, and
//! backed by huge pages when large. HTTP/2 frames are copied in as they arrive (the only copy on
//! the receiving side), so the copy overlaps the transfer and the decoded tensor is used in place.
//!
//! Large buffers are recycled through a small process-wide pool: fresh memory from the kernel
//! must be zeroed page by page, which costs as much as the copy itself, and steps that move big
//! tensors tend to move the same sizes again. The pool keeps at most `POOL_BYTES` and forgets
//! buffers unused for `POOL_IDLE`.
//!
//! Concurrency: a `MessageAssembler` belongs to the one task reading a response body; the pool is
//! a mutex held only to push or pop an entry.

use bytes::Bytes;
use ferroflow_framework::{Error, Result};
use parking_lot::Mutex;
use std::alloc::Layout;
use std::ptr::NonNull;
use std::time::{Duration, Instant};

use crate::chunked::GRPC_HEADER;

/// Where tensor contents are aligned.
pub const CONTENT_ALIGNMENT: usize = 64;
/// Buffers at least this large are aligned to, and advised into, 2 MiB huge pages.
const HUGE_PAGE_MIN: usize = 4 << 20;
const HUGE_PAGE: usize = 2 << 20;
/// Buffers at least this large go back to the pool when dropped.
const POOL_MIN: usize = 1 << 20;
/// The most memory the pool keeps, and how long it keeps a buffer nobody asks for.
const POOL_BYTES: usize = 1 << 30;
const POOL_IDLE: Duration = Duration::from_secs(20);

/// An allocation owned by the pool.
struct PooledAllocation {
    ptr: NonNull<u8>,
    layout: Layout,
    returned: Instant,
}

// SAFETY: a pooled allocation is unused memory that only the pool refers to.
unsafe impl Send for PooledAllocation {}

static POOL: Mutex<Vec<PooledAllocation>> = Mutex::new(Vec::new());

/// A pooled allocation of `layout`'s alignment holding at least `layout.size()` bytes and at most
/// twice that, if there is one.
fn pool_take(layout: Layout) -> Option<(NonNull<u8>, Layout)> {
    let mut pool = POOL.lock();
    let now = Instant::now();
    let best = pool
        .iter()
        .enumerate()
        .filter(|(_, a)| a.layout.align() == layout.align() && a.layout.size() >= layout.size() && a.layout.size() <= 2 * layout.size())
        .min_by_key(|(_, a)| a.layout.size())
        .map(|(i, _)| i);
    let taken = best.map(|i| pool.swap_remove(i)).map(|a| (a.ptr, a.layout));
    let expired: Vec<PooledAllocation> = pool.extract_if(.., |a| now.duration_since(a.returned) > POOL_IDLE).collect();
    drop(pool);
    free_all(expired);
    taken
}

/// Gives an allocation back to the pool (or to the allocator when the pool is full).
fn pool_return(ptr: NonNull<u8>, layout: Layout) {
    let mut pool = POOL.lock();
    let now = Instant::now();
    let mut freed: Vec<PooledAllocation> = pool.extract_if(.., |a| now.duration_since(a.returned) > POOL_IDLE).collect();
    let held: usize = pool.iter().map(|a| a.layout.size()).sum();
    let entry = PooledAllocation { ptr, layout, returned: now };
    if held + layout.size() <= POOL_BYTES {
        pool.push(entry);
    } else {
        freed.push(entry);
    }
    drop(pool);
    free_all(freed);
}

fn free_all(allocations: Vec<PooledAllocation>) {
    for a in allocations {
        // SAFETY: pooled allocations came from `std::alloc::alloc` with this layout.
        unsafe { std::alloc::dealloc(a.ptr.as_ptr(), a.layout) };
    }
}

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
    pub const NONE: &[u32] = &[];
}

/// A heap buffer with a chosen alignment, filled front to back exactly once.
struct AlignedBuffer {
    ptr: NonNull<u8>,
    layout: Layout,
    start: usize,
    len: usize,
    filled: usize,
}

// SAFETY: the buffer is uniquely owned heap memory; nothing else holds the pointer.
unsafe impl Send for AlignedBuffer {}
unsafe impl Sync for AlignedBuffer {}

impl AlignedBuffer {
    /// Room for `len` bytes starting `start` bytes into an allocation aligned to `align`.
    fn new(start: usize, len: usize) -> Result<AlignedBuffer> {
        let size = (start + len).max(1);
        let align = if size >= HUGE_PAGE_MIN { HUGE_PAGE } else { CONTENT_ALIGNMENT };
        let size = size.next_multiple_of(align);
        let layout = Layout::from_size_align(size, align).map_err(|e| Error::resource_exhausted(format!("cannot allocate {size} bytes: {e}")))?;
        if size >= POOL_MIN
            && let Some((ptr, layout)) = pool_take(layout)
        {
            return Ok(AlignedBuffer { ptr, layout, start, len, filled: 0 });
        }
        // SAFETY: the layout has a non-zero size.
        let raw = unsafe { std::alloc::alloc(layout) };
        let ptr = NonNull::new(raw).ok_or_else(|| Error::resource_exhausted(format!("out of memory receiving a message of {len} bytes")))?;
        if align == HUGE_PAGE {
            advise_huge_pages(ptr.as_ptr(), size);
        }
        Ok(AlignedBuffer { ptr, layout, start, len, filled: 0 })
    }

    fn remaining(&self) -> usize {
        self.len - self.filled
    }

    /// Copies `data` (at most `remaining()` bytes) after what is already there.
    fn extend(&mut self, data: &[u8]) {
        assert!(data.len() <= self.remaining(), "message overflow");
        // SAFETY: the destination range lies inside the allocation and does not overlap `data`.
        unsafe { std::ptr::copy_nonoverlapping(data.as_ptr(), self.ptr.as_ptr().add(self.start + self.filled), data.len()) };
        self.filled += data.len();
    }

    fn into_bytes(self) -> Bytes {
        debug_assert_eq!(self.filled, self.len);
        Bytes::from_owner(self)
    }
}

impl AsRef<[u8]> for AlignedBuffer {
    fn as_ref(&self) -> &[u8] {
        // SAFETY: bytes start..start+filled were written by `extend`.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr().add(self.start), self.filled) }
    }
}

impl Drop for AlignedBuffer {
    fn drop(&mut self) {
        if self.layout.size() >= POOL_MIN {
            pool_return(self.ptr, self.layout);
        } else {
            // SAFETY: allocated in `new` with this layout.
            unsafe { std::alloc::dealloc(self.ptr.as_ptr(), self.layout) };
        }
    }
}

#[cfg(target_os = "linux")]
fn advise_huge_pages(ptr: *mut u8, size: usize) {
    // SAFETY: the range is one live allocation; the advice only changes how pages are backed.
    unsafe {
        libc::madvise(ptr.cast(), size, libc::MADV_HUGEPAGE);
    }
}

#[cfg(not(target_os = "linux"))]
fn advise_huge_pages(_ptr: *mut u8, _size: usize) {}

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
    buffer: Option<AlignedBuffer>,
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
                    buffer.extend(&data);
                    data.clear();
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
            self.buffer = Some(AlignedBuffer::new(0, 0)?);
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
        let mut buffer = AlignedBuffer::new(start, self.message_len)?;
        for chunk in self.pending.drain(..) {
            if chunk.len() > buffer.remaining() {
                return Err(Error::internal("a unary gRPC reply carried more than one message"));
            }
            buffer.extend(&chunk);
        }
        self.buffer = Some(buffer);
        Ok(())
    }

    /// The whole message; an error if the body ended early.
    pub fn finish(mut self) -> Result<Bytes> {
        if self.header_done() && self.buffer.is_none() && self.pending_len == self.message_len {
            self.allocate()?;
        }
        if !self.complete() {
            return Err(Error::data_loss(format!(
                "gRPC message ended early: expected {} bytes",
                if self.header_done() { self.message_len + GRPC_HEADER } else { GRPC_HEADER }
            )));
        }
        Ok(self.buffer.take().expect("complete").into_bytes())
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
        assembler.finish()
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

    #[test]
    fn truncated_extra_and_compressed_bodies_are_errors() {
        let encoded = response(1000, 3).encode_chunks().unwrap();
        let mut all: Vec<u8> = encoded.chunks().iter().flat_map(|c| c.to_vec()).collect();
        let mut short = MessageAssembler::new(content_path::NONE, usize::MAX);
        short.push(Bytes::copy_from_slice(&all[..all.len() - 1])).unwrap();
        assert_eq!(short.finish().unwrap_err().code, ferroflow_framework::Code::DataLoss);
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
        let first = AlignedBuffer::new(0, len).unwrap();
        let address = first.ptr.as_ptr() as usize;
        drop(first);
        let second = AlignedBuffer::new(17, len - 100).unwrap();
        assert_eq!(second.ptr.as_ptr() as usize, address);
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
