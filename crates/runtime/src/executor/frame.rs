//! Frames and iterations of one step (TF's `FrameState` / `IterationState`, `PropagatorState`): the
//! per-iteration pending counts, dead counts and input slots of a frame's nodes, the loop
//! invariants (constant `Enter` values every iteration sees), `NextIteration` values held back while
//! `parallel_iterations` iterations are running, and the dead `Exit`s a finished frame passes on.
//!
//! Propagation follows TF exactly: a node's outputs activate its consumers in the same iteration;
//! an `Enter`'s in iteration 0 of the child frame (created on first use, its id
//! `Hash64Combine(parent_id, Hash64Combine(iter, Hash64(frame_name)))` as TF computes it, so
//! rendezvous keys inside loops match TF's); an `Exit`'s in the parent iteration; a
//! `NextIteration`'s in the next iteration (started on demand). An iteration is done when nothing of
//! it is running, no child frame of it is alive, and the one before it is done; a frame is done
//! when all its `Enter`s have run and all its iterations are done, and then it is deleted, its dead
//! exits delivered to the parent.
//!
//! Concurrency: each frame's state is behind its own mutex, held only while counts are adjusted and
//! ready nodes collected; at most a parent's and a child's are held together, always parent first.

use crate::graph::{Graph, NodeKind};
use ferroflow_framework::{Entry, RendezvousValue, Tensor, Var};
use smallvec::SmallVec;
use parking_lot::Mutex;
use std::collections::HashMap;
use std::sync::{Arc, LazyLock};

/// A value on an edge: a tensor or a reference (`Ref(T)` outputs), or `None` for a dead one.
pub(crate) type Value = Option<Entry>;

/// A node that became ready, with everything it needs to run.
pub(crate) struct Ready {
    pub node: usize,
    pub frame: Arc<Frame>,
    pub iter: i64,
    pub is_dead: bool,
    pub inputs: Inputs,
}

/// Nodes one thread made ready and has still to run or hand on, with the input buffers of the
/// nodes it ran, for the next ready ones to reuse (a node's run allocates no input list).
#[derive(Default)]
pub(crate) struct ReadyQueue {
    nodes: Vec<Ready>,
    buffers: Vec<Vec<Tensor>>,
}

/// The most emptied input lists a queue keeps.
const SPARE_BUFFERS: usize = 8;

impl ReadyQueue {
    pub fn of(r: Ready) -> ReadyQueue {
        ReadyQueue { nodes: vec![r], ..Default::default() }
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    pub fn pop(&mut self) -> Option<Ready> {
        self.nodes.pop()
    }

    fn push(&mut self, r: Ready) {
        self.nodes.push(r);
    }

    /// An empty list for `n` inputs.
    fn buffer(&mut self, n: usize) -> Vec<Tensor> {
        match self.buffers.pop() {
            Some(mut b) => {
                b.reserve(n);
                b
            }
            None => Vec::with_capacity(n),
        }
    }

    /// Takes back a run node's input list, emptied (its tensors dropped now).
    pub fn recycle(&mut self, mut inputs: Vec<Tensor>) {
        inputs.clear();
        if self.buffers.len() < SPARE_BUFFERS && inputs.capacity() <= 16 {
            self.buffers.push(inputs);
        }
    }
}

/// A ready node's data inputs, gathered once from its iteration's slots in the form its kernel
/// takes them.
#[derive(Default)]
pub(crate) struct Inputs {
    /// One tensor per input; an empty placeholder where the input is dead (or a merge input that
    /// never came) and, until the executor reads it, where it is a reference.
    pub tensors: Vec<Tensor>,
    /// Per input: true when dead. Empty when none is.
    pub dead: SmallVec<[bool; 8]>,
    /// Per input: the variable a reference names. Empty when no input is a reference.
    pub refs: Vec<Option<Arc<Var>>>,
}

/// The empty tensor that stands for a dead input.
pub(crate) fn placeholder() -> Tensor {
    static PLACEHOLDER: LazyLock<Tensor> = LazyLock::new(|| RendezvousValue::dead().tensor);
    PLACEHOLDER.clone()
}

impl Inputs {
    /// Takes the values out of a node's input slots.
    fn gather(slots: &mut [Value], tensors: Vec<Tensor>) -> Inputs {
        let n = slots.len();
        let mut inputs = Inputs { tensors, ..Default::default() };
        for (i, slot) in slots.iter_mut().enumerate() {
            let tensor = match slot.take() {
                Some(Entry::Tensor(t)) => t,
                None => {
                    if inputs.dead.is_empty() {
                        inputs.dead.resize(n, false);
                    }
                    inputs.dead[i] = true;
                    placeholder()
                }
                Some(Entry::Ref(var)) => {
                    if inputs.refs.is_empty() {
                        inputs.refs.resize(n, None);
                    }
                    inputs.refs[i] = Some(var);
                    placeholder()
                }
            };
            inputs.tensors.push(tensor);
        }
        inputs
    }

    pub fn any_dead(&self) -> bool {
        !self.dead.is_empty()
    }
}

/// One iteration's copy of its frame's node table.
struct Iteration {
    pending: Vec<u32>,
    dead: Vec<u32>,
    slots: Vec<Value>,
    /// Nodes of this iteration ready or running.
    outstanding_ops: usize,
    /// Child frames started from this iteration and not yet done.
    outstanding_frames: usize,
}

/// A running instance of a frame: the root frame, or one execution of a while loop.
pub(crate) struct Frame {
    /// TF's frame id (0 for the root), used in rendezvous keys.
    pub id: u64,
    /// Index into `Graph::frames`.
    pub info: usize,
    pub parent: Option<(Arc<Frame>, i64)>,
    state: Mutex<FrameState>,
}

struct FrameState {
    /// Ring of the live iterations, indexed by iteration number modulo its length.
    iterations: Vec<Option<Iteration>>,
    /// The newest iteration started.
    iteration_count: i64,
    num_outstanding_iterations: usize,
    max_parallel_iterations: usize,
    /// `Enter` nodes of this frame instance that have not run yet.
    pending_enters: usize,
    /// Values of constant `Enter`s, given to every iteration.
    invariants: Vec<(usize, Value)>,
    /// `NextIteration` outputs waiting for a free iteration.
    deferred_next: Vec<(usize, Value)>,
    /// Dead `Exit`s of the newest iteration, passed on when the frame is done.
    dead_exits: Vec<usize>,
    /// Child frames by (iteration, frame index).
    children: HashMap<(i64, usize), Arc<Frame>>,
    /// Tables of deleted iterations, reset, for the next ones to reuse (a loop allocates them once).
    spare: Vec<Iteration>,
    done: bool,
}

/// TF's `Hash64` (MurmurHash64A with seed 0xDECAFCAFFE), for frame ids.
pub(crate) fn hash64(data: &[u8]) -> u64 {
    const M: u64 = 0xc6a4_a793_5bd1_e995;
    const R: u32 = 47;
    let mut h: u64 = 0xDE_CAFC_AFFE ^ (data.len() as u64).wrapping_mul(M);
    let mut chunks = data.chunks_exact(8);
    for c in &mut chunks {
        let mut k = u64::from_le_bytes(c.try_into().expect("8 bytes"));
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h ^= k;
        h = h.wrapping_mul(M);
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        for (i, &b) in rest.iter().enumerate() {
            h ^= (b as u64) << (8 * i);
        }
        h = h.wrapping_mul(M);
    }
    h ^= h >> R;
    h = h.wrapping_mul(M);
    h ^= h >> R;
    h
}

/// TF's `Hash64Combine`.
pub(crate) fn hash64_combine(a: u64, b: u64) -> u64 {
    a ^ (b.wrapping_add(0x9e37_79b9_7f4a_7800).wrapping_add(a << 10).wrapping_add(a >> 4))
}

/// Output `slot`'s value for a consumer: moved out for the last one, else shared.
fn take_or_clone(outputs: &mut [Value], slot: usize, last_use: bool) -> Value {
    let value = outputs.get_mut(slot)?;
    if last_use { value.take() } else { value.clone() }
}

impl Iteration {
    fn new(graph: &Graph, frame: usize) -> Iteration {
        let info = &graph.frames[frame];
        Iteration {
            pending: info.nodes.iter().map(|&n| graph.nodes[n].initial_pending).collect(),
            dead: vec![0; info.nodes.len()],
            slots: vec![None; info.num_input_slots],
            outstanding_ops: 0,
            outstanding_frames: 0,
        }
    }

    /// Back to the state `new` makes, keeping the allocations; drops the values left in the slots.
    fn reset(&mut self, graph: &Graph, frame: usize) {
        for (p, &n) in self.pending.iter_mut().zip(&graph.frames[frame].nodes) {
            *p = graph.nodes[n].initial_pending;
        }
        self.dead.fill(0);
        self.slots.fill(None);
        self.outstanding_ops = 0;
        self.outstanding_frames = 0;
    }
}

impl Frame {
    /// The root frame of a step, with iteration 0 started.
    pub fn root(graph: &Graph) -> Arc<Frame> {
        Frame::new(graph, 0, 0, None, 1)
    }

    fn new(graph: &Graph, id: u64, info: usize, parent: Option<(Arc<Frame>, i64)>, parallel: usize) -> Arc<Frame> {
        let mut iterations: Vec<Option<Iteration>> = (0..parallel + 1).map(|_| None).collect();
        iterations[0] = Some(Iteration::new(graph, info));
        Arc::new(Frame {
            id,
            info,
            state: Mutex::new(FrameState {
                iterations,
                iteration_count: 0,
                num_outstanding_iterations: 1,
                max_parallel_iterations: parallel,
                pending_enters: if parent.is_some() { graph.frames[info].num_enters } else { 0 },
                invariants: Vec::new(),
                deferred_next: Vec::new(),
                dead_exits: Vec::new(),
                children: HashMap::new(),
                spare: Vec::new(),
                done: false,
            }),
            parent,
        })
    }

    /// Marks the roots ready in iteration 0 of the root frame.
    pub fn activate_roots(self: &Arc<Self>, graph: &Graph, ready: &mut ReadyQueue) {
        let mut s = self.state.lock();
        for &r in &graph.roots {
            ready.push(Ready { node: r, frame: self.clone(), iter: 0, is_dead: false, inputs: Inputs::default() });
        }
        if let Some(it) = s.iteration_mut(0) {
            it.outstanding_ops += graph.roots.len();
        }
    }

    /// Delivers the outputs of a finished node (`outputs` empty or all `None` when it is dead) to its
    /// consumers, collects those that became ready, and retires the node from its iteration —
    /// deleting iterations and frames that this completes.
    pub fn propagate(self: &Arc<Self>, graph: &Graph, node: usize, iter: i64, is_dead: bool, outputs: &mut [Value], ready: &mut ReadyQueue) {
        let item = &graph.nodes[node];
        let frame_done = match item.kind {
            NodeKind::Enter { frame: child_info, is_constant } => {
                let child = self.child(graph, iter, child_info);
                {
                    let mut c = child.state.lock();
                    let value = if is_dead { None } else { outputs.first_mut().and_then(Option::take) };
                    if is_constant {
                        c.add_invariant(graph, &child, node, value, ready);
                    } else {
                        c.activate(graph, &child, node, false, 0, &mut [value], ready);
                    }
                    c.pending_enters -= 1;
                }
                // The child may be done already (an enter whose consumers all finished inline).
                child.cleanup_if_done(graph, 0, ready);
                self.state.lock().retire(graph, self, iter, ready)
            }
            NodeKind::Exit if is_dead => {
                let mut s = self.state.lock();
                if iter == s.iteration_count {
                    s.dead_exits.push(node);
                }
                s.retire(graph, self, iter, ready)
            }
            NodeKind::Exit => {
                if let Some((parent, parent_iter)) = &self.parent {
                    parent.state.lock().activate(graph, parent, node, false, *parent_iter, outputs, ready);
                }
                self.state.lock().retire(graph, self, iter, ready)
            }
            NodeKind::NextIteration => {
                let mut s = self.state.lock();
                if !is_dead {
                    if iter == s.iteration_count && s.num_outstanding_iterations == s.max_parallel_iterations {
                        s.deferred_next.push((node, outputs.first_mut().and_then(Option::take)));
                    } else {
                        if iter == s.iteration_count {
                            s.start_iteration(graph, self, ready);
                        }
                        s.activate(graph, self, node, false, iter + 1, outputs, ready);
                    }
                }
                s.retire(graph, self, iter, ready)
            }
            _ => {
                let mut s = self.state.lock();
                s.activate(graph, self, node, is_dead, iter, outputs, ready);
                s.retire(graph, self, iter, ready)
            }
        };
        if frame_done {
            self.delete(graph, ready);
        }
    }

    /// The child frame `info` entered from iteration `iter`, created (and counted) on first use.
    fn child(self: &Arc<Self>, graph: &Graph, iter: i64, info: usize) -> Arc<Frame> {
        let mut s = self.state.lock();
        if let Some(c) = s.children.get(&(iter, info)) {
            return c.clone();
        }
        let name = &graph.frames[info].name;
        let id = hash64_combine(self.id, hash64_combine(iter as u64, hash64(name.as_bytes())));
        let child = Frame::new(graph, id, info, Some((self.clone(), iter)), graph.frames[info].parallel_iterations);
        s.children.insert((iter, info), child.clone());
        if let Some(it) = s.iteration_mut(iter) {
            it.outstanding_frames += 1;
        }
        child
    }

    /// Deletes a child frame whose work is all done (used right after its enters ran).
    fn cleanup_if_done(self: &Arc<Self>, graph: &Graph, iter: i64, ready: &mut ReadyQueue) {
        let done = {
            let mut s = self.state.lock();
            !s.done && s.cleanup_iterations(graph, self, iter, ready)
        };
        if done {
            self.delete(graph, ready);
        }
    }

    /// A done frame: passes its dead exits to the parent, then lets the parent iteration retire it.
    fn delete(self: &Arc<Self>, graph: &Graph, ready: &mut ReadyQueue) {
        let Some((parent, parent_iter)) = &self.parent else { return };
        let dead_exits = {
            let mut s = self.state.lock();
            if std::mem::replace(&mut s.done, true) {
                return;
            }
            std::mem::take(&mut s.dead_exits)
        };
        let parent_done = {
            let mut p = parent.state.lock();
            for exit in dead_exits {
                p.activate(graph, parent, exit, true, *parent_iter, &mut [], ready);
            }
            p.children.retain(|_, c| !Arc::ptr_eq(c, self));
            if let Some(it) = p.iteration_mut(*parent_iter) {
                it.outstanding_frames -= 1;
            }
            p.cleanup_iterations(graph, parent, *parent_iter, ready)
        };
        if parent_done {
            parent.delete(graph, ready);
        }
    }
}

impl FrameState {
    fn iteration_mut(&mut self, iter: i64) -> Option<&mut Iteration> {
        let n = self.iterations.len() as i64;
        self.iterations[iter.rem_euclid(n) as usize].as_mut()
    }

    fn start_iteration(&mut self, graph: &Graph, frame: &Arc<Frame>, ready: &mut ReadyQueue) {
        self.iteration_count += 1;
        let iter = self.iteration_count;
        let n = self.iterations.len() as i64;
        let table = self.spare.pop().unwrap_or_else(|| Iteration::new(graph, frame.info));
        self.iterations[iter.rem_euclid(n) as usize] = Some(table);
        self.num_outstanding_iterations += 1;
        self.dead_exits.clear();
        for (node, value) in std::mem::take(&mut self.deferred_next) {
            self.activate(graph, frame, node, false, iter, &mut [value], ready);
        }
        for k in 0..self.invariants.len() {
            let (node, value) = self.invariants[k].clone();
            self.activate(graph, frame, node, false, iter, &mut [value], ready);
        }
    }

    fn add_invariant(&mut self, graph: &Graph, frame: &Arc<Frame>, node: usize, value: Value, ready: &mut ReadyQueue) {
        self.invariants.push((node, value.clone()));
        let first = self.iteration_count + 1 - self.num_outstanding_iterations as i64;
        for iter in first..=self.iteration_count {
            self.activate(graph, frame, node, false, iter, &mut [value.clone()], ready);
        }
    }

    /// TF's `ActivateNodes`: delivers `node`'s outputs (in iteration `iter` of this frame) along its
    /// out-edges and collects the consumers that became ready. A value moves to its last consumer.
    #[allow(clippy::too_many_arguments)]
    fn activate(&mut self, graph: &Graph, frame: &Arc<Frame>, node: usize, is_dead: bool, iter: i64, outputs: &mut [Value], ready: &mut ReadyQueue) {
        let from_enter = matches!(graph.nodes[node].kind, NodeKind::Enter { .. });
        let Some(it) = self.iteration_mut(iter) else {
            debug_assert!(false, "activation of a deleted iteration");
            return;
        };
        let mut newly_ready = 0;
        for e in &graph.nodes[node].out_edges {
            let dst = &graph.nodes[e.dst];
            let lid = dst.local_id;
            let (is_ready, dst_dead) = match (dst.kind, e.src_slot) {
                (NodeKind::Merge, Some(slot)) => {
                    let value = if is_dead { None } else { take_or_clone(outputs, slot, e.last_use) };
                    if value.is_some() {
                        let count = it.pending[lid];
                        it.pending[lid] &= !1;
                        if count & 1 == 1 {
                            it.slots[dst.input_base + e.dst_slot] = value;
                        }
                        (count == 1, false)
                    } else {
                        // A dead Enter kills the merge at once (TF: how a while loop on the untaken
                        // branch of a conditional ends: its other input, the back-edge, never comes).
                        it.dead[lid] += 1;
                        let all_dead = it.dead[lid] as usize == dst.num_inputs || from_enter;
                        (all_dead && it.pending[lid] == 1, all_dead)
                    }
                }
                (NodeKind::Merge, None) => {
                    it.pending[lid] -= 2;
                    let all_dead = it.dead[lid] as usize == dst.num_inputs;
                    let count = it.pending[lid];
                    (count == 0 || (count == 1 && all_dead), all_dead)
                }
                (_, slot) => {
                    let value = match slot {
                        Some(s) if !is_dead => take_or_clone(outputs, s, e.last_use),
                        _ => None,
                    };
                    if slot.is_some() {
                        if value.is_none() {
                            it.dead[lid] += 1;
                        }
                        it.slots[dst.input_base + e.dst_slot] = value;
                    } else if is_dead {
                        it.dead[lid] += 1;
                    }
                    it.pending[lid] -= 1;
                    (it.pending[lid] == 0, it.dead[lid] > 0)
                }
            };
            if is_ready {
                let buffer = ready.buffer(dst.num_inputs);
                let inputs = Inputs::gather(&mut it.slots[dst.input_base..dst.input_base + dst.num_inputs], buffer);
                let is_dead = dst_dead && dst.kind != NodeKind::ControlTrigger;
                ready.push(Ready { node: e.dst, frame: frame.clone(), iter, is_dead, inputs });
                newly_ready += 1;
            }
        }
        it.outstanding_ops += newly_ready;
    }

    /// A node of iteration `iter` finished: true if that leaves the frame done.
    fn retire(&mut self, graph: &Graph, frame: &Arc<Frame>, iter: i64, ready: &mut ReadyQueue) -> bool {
        let Some(it) = self.iteration_mut(iter) else { return false };
        it.outstanding_ops -= 1;
        if it.outstanding_ops != 0 {
            return false;
        }
        self.cleanup_iterations(graph, frame, iter, ready)
    }

    fn is_iteration_done(&mut self, iter: i64) -> bool {
        let pending_enters = self.pending_enters;
        let previous_gone = iter == 0 || iter - 1 < self.first_live();
        match self.iteration_mut(iter) {
            Some(it) if it.outstanding_ops == 0 && it.outstanding_frames == 0 => {
                if iter == 0 { pending_enters == 0 } else { previous_gone }
            }
            _ => false,
        }
    }

    /// The oldest iteration still alive.
    fn first_live(&self) -> i64 {
        self.iteration_count + 1 - self.num_outstanding_iterations as i64
    }

    /// TF's `CleanupIterations`: deletes the done iterations from `iter` on (each freeing a slot for a
    /// held-back `NextIteration`); true if the whole frame is done.
    fn cleanup_iterations(&mut self, graph: &Graph, frame: &Arc<Frame>, iter: i64, ready: &mut ReadyQueue) -> bool {
        let mut curr = iter;
        while curr <= self.iteration_count && curr >= self.first_live() && self.is_iteration_done(curr) {
            let n = self.iterations.len() as i64;
            if let Some(mut table) = self.iterations[curr.rem_euclid(n) as usize].take() {
                table.reset(graph, frame.info);
                self.spare.push(table);
            }
            self.num_outstanding_iterations -= 1;
            curr += 1;
            if !self.deferred_next.is_empty() {
                self.start_iteration(graph, frame, ready);
            }
        }
        self.pending_enters == 0 && self.num_outstanding_iterations == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_match_tensorflow() {
        // TF's own values, read back through `tf.strings.to_hash_bucket` (which is `Hash64 % n`).
        assert_eq!(hash64(b""), 0x8176_9421_199f_9e3b);
        assert_eq!(hash64(b"a"), 0x2996_2dc0_26ea_c9fc);
        assert_eq!(hash64(b"12345678"), 0x05d8_26b6_2696_d2b7);
        assert_eq!(hash64(b"abcdefghi"), 0x5de6_56f5_1f7e_2995);
        assert_eq!(hash64(b"while/while_context"), 0xbff3_656e_447e_77d6);
        assert_eq!(hash64_combine(0, 0), 0x9e37_79b9_7f4a_7800);
        assert_eq!(hash64_combine(1, 2), 1 ^ (2u64.wrapping_add(0x9e37_79b9_7f4a_7800) + (1 << 10)));
    }
}
