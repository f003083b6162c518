//! The blocking facade: the same [`crate::session::Session`] calls, each waited for on a runtime
//! the facade owns (one I/O thread that keeps the connection served between calls).
//!
//! Concurrency: a `blocking::Session` may be shared between threads; each call blocks only its
//! caller. Calling it from inside an async runtime is refused (FAILED_PRECONDITION) rather than
//! deadlocking: use the async session there.

use crate::graph::{Graph, Operation, Output};
use crate::session::{self, Callable, PartialRun, RunResult, SessionOptions};
use ferroflow_framework::{Error, Result, Tensor};
use ferroflow_proto as pb;
use std::future::Future;
use std::sync::Arc;

/// A session whose calls block.
#[derive(Clone)]
pub struct Session {
    runtime: Arc<tokio::runtime::Runtime>,
    inner: session::Session,
}

fn block<F: Future>(runtime: &tokio::runtime::Runtime, f: F) -> Result<F::Output> {
    if tokio::runtime::Handle::try_current().is_ok() {
        return Err(Error::failed_precondition("ferroflow_client::blocking::Session called from inside an async runtime; use ferroflow_client::Session there"));
    }
    Ok(runtime.block_on(f))
}

impl Session {
    pub fn connect(target: &str) -> Result<Session> {
        Session::connect_with(target, SessionOptions::default())
    }

    pub fn connect_with(target: &str, options: SessionOptions) -> Result<Session> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("ferroflow-client-io")
            .enable_all()
            .build()
            .map_err(|e| Error::internal(format!("cannot start the client's I/O runtime: {e}")))?;
        let inner = block(&runtime, session::Session::connect_with(target, options))??;
        Ok(Session { runtime: Arc::new(runtime), inner })
    }

    /// The async session underneath.
    pub fn as_async(&self) -> &session::Session {
        &self.inner
    }

    pub fn extend(&self, graph: &Graph) -> Result<()> {
        block(&self.runtime, self.inner.extend(graph))?
    }

    pub fn run(&self, feeds: &[(&Output, Tensor)], fetches: &[&Output], targets: &[&Operation]) -> Result<Vec<Tensor>> {
        block(&self.runtime, self.inner.run(feeds, fetches, targets))?
    }

    pub fn run_with_options(&self, options: &pb::RunOptions, feeds: &[(&Output, Tensor)], fetches: &[&Output], targets: &[&Operation]) -> Result<RunResult> {
        block(&self.runtime, self.inner.run_with_options(options, feeds, fetches, targets))?
    }

    pub fn run_names(&self, options: &pb::RunOptions, feeds: &[(String, Tensor)], fetches: &[String], targets: &[String]) -> Result<RunResult> {
        block(&self.runtime, self.inner.run_names(options, feeds, fetches, targets))?
    }

    pub fn partial_run_setup(&self, feeds: &[&Output], fetches: &[&Output], targets: &[&Operation]) -> Result<PartialRun> {
        block(&self.runtime, self.inner.partial_run_setup(feeds, fetches, targets))?
    }

    pub fn partial_run(&self, run: &PartialRun, feeds: &[(&Output, Tensor)], fetches: &[&Output]) -> Result<Vec<Tensor>> {
        block(&self.runtime, self.inner.partial_run(run, feeds, fetches))?
    }

    pub fn make_callable(&self, feeds: &[&Output], fetches: &[&Output], targets: &[&Operation], run_options: Option<pb::RunOptions>) -> Result<Callable> {
        block(&self.runtime, self.inner.make_callable(feeds, fetches, targets, run_options))?
    }

    pub fn run_callable(&self, callable: &Callable, feeds: &[Tensor]) -> Result<Vec<Tensor>> {
        block(&self.runtime, self.inner.run_callable(callable, feeds))?
    }

    pub fn release_callable(&self, callable: &Callable) -> Result<()> {
        block(&self.runtime, self.inner.release_callable(callable))?
    }

    pub fn list_devices(&self) -> Result<Vec<pb::DeviceAttributes>> {
        block(&self.runtime, self.inner.list_devices())?
    }

    pub fn close(&self) -> Result<()> {
        block(&self.runtime, self.inner.close())?
    }

    pub fn reset(&self, containers: &[String]) -> Result<()> {
        block(&self.runtime, self.inner.reset(containers))?
    }
}
