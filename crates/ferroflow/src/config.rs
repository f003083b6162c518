//! A task's configuration: the cluster (from `--cluster JOB=HOST:PORT,...` flags or TF's
//! `TF_CONFIG` environment variable), which task of it this process is, and how it talks to its
//! peers (peer timeout, TLS). Plain data.

use anyhow::{Context, Result, anyhow, bail};
use ferroflow_distributed::ClusterSpec;
use ferroflow_grpc::ChannelOptions;
use ferroflow_grpc::tls::TlsIdentity;
use std::sync::Arc;
use std::time::Duration;

/// Which task of which cluster this process serves.
#[derive(Debug, Clone)]
pub struct TaskConfig {
    pub cluster: ClusterSpec,
    pub job: String,
    pub task: i32,
    /// Threads for kernels (0: one per core).
    pub compute_threads: usize,
    pub transport: TransportConfig,
}

/// How a task serves and calls its peers.
#[derive(Debug, Clone)]
pub struct TransportConfig {
    /// A peer that leaves a pending call this long without a sign of life fails it (`--peer-timeout`).
    pub peer_timeout: Duration,
    /// Serve and call over TLS with this identity (`--tls-cert`, `--tls-key`, `--tls-ca`).
    pub tls: Option<Arc<TlsIdentity>>,
    /// With TLS, also serve plaintext on 127.0.0.1 at this port (0: any free one), for stock TF
    /// clients on the same host (`--plaintext-local-port`).
    pub plaintext_local_port: Option<u16>,
}

impl Default for TransportConfig {
    fn default() -> TransportConfig {
        TransportConfig { peer_timeout: ferroflow_grpc::transport::DEFAULT_PEER_TIMEOUT, tls: None, plaintext_local_port: None }
    }
}

impl TransportConfig {
    /// The options of this task's client channels.
    pub fn channel_options(&self) -> ChannelOptions {
        ChannelOptions { peer_timeout: self.peer_timeout, tls: self.tls.as_ref().map(|t| t.client_config()) }
    }
}

/// Parses a duration as `--peer-timeout` takes it: a number with a unit, `ms`, `s` or `m`
/// (`5s`, `1.5s`, `500ms`, `2m`); at least 10 ms.
pub fn parse_duration(text: &str) -> Result<Duration> {
    let text = text.trim();
    let split = text.find(|c: char| !(c.is_ascii_digit() || c == '.')).with_context(|| format!("'{text}' has no unit (ms, s or m)"))?;
    let (number, unit) = text.split_at(split);
    let n: f64 = number.parse().with_context(|| format!("'{text}' is not a number with a unit"))?;
    let seconds = match unit {
        "ms" => n / 1000.0,
        "s" => n,
        "m" => n * 60.0,
        _ => bail!("'{text}': unknown unit '{unit}' (ms, s or m)"),
    };
    let duration = Duration::try_from_secs_f64(seconds).map_err(|e| anyhow!("'{text}': {e}"))?;
    if duration < Duration::from_millis(10) {
        bail!("'{text}' is too short (at least 10ms)");
    }
    Ok(duration)
}

impl TaskConfig {
    /// The `host:port` this task serves, from the cluster definition.
    pub fn address(&self) -> Result<String> {
        self.cluster
            .address(&self.job, self.task)
            .map(str::to_string)
            .ok_or_else(|| anyhow!("task {} of job '{}' is not in the cluster definition", self.task, self.job))
    }
}

/// Checks that `address` is `HOST:PORT` (the host may be a bracketed IPv6 address).
fn check_address(address: &str) -> Result<()> {
    match address.rsplit_once(':') {
        Some((host, port)) if !host.is_empty() && port.parse::<u16>().is_ok() => Ok(()),
        _ => bail!("'{address}' is not HOST:PORT (a task's address needs a port)"),
    }
}

/// One task of a `--cluster` job: `HOST:PORT`, or `INDEX:HOST:PORT` for a task with an index of
/// its own (TF's sparse task indices, `{"local": {37: "host:port"}}`).
fn parse_task(text: &str) -> Result<(Option<i32>, String)> {
    let text = text.trim();
    if let Some((index, rest)) = text.split_once(':')
        && !index.is_empty()
        && index.bytes().all(|b| b.is_ascii_digit())
        && rest.contains(':')
    {
        let index: i32 = index.parse().with_context(|| format!("'{text}': task index {index} is too large"))?;
        check_address(rest)?;
        return Ok((Some(index), rest.to_string()));
    }
    check_address(text)?;
    Ok((None, text.to_string()))
}

/// Parses `--cluster` values (`JOB=HOST:PORT[,HOST:PORT...]`, tasks numbered in order, or
/// `JOB=INDEX:HOST:PORT[,...]` with explicit task indices), one job each.
pub fn cluster_from_flags(flags: &[String]) -> Result<ClusterSpec> {
    let mut cluster = ClusterSpec::new();
    for flag in flags {
        let (job, tasks) = flag.split_once('=').with_context(|| format!("--cluster '{flag}' is not JOB=HOST:PORT[,HOST:PORT...]"))?;
        let parsed: Vec<(Option<i32>, String)> =
            tasks.split(',').map(parse_task).collect::<Result<_>>().with_context(|| format!("--cluster '{flag}'"))?;
        let indexed = parsed.iter().filter(|(i, _)| i.is_some()).count();
        if indexed == 0 {
            cluster.add_job(job, parsed.into_iter().map(|(_, a)| a).collect()).map_err(|e| anyhow!("--cluster '{flag}': {}", e.message))?;
            continue;
        }
        if indexed != parsed.len() {
            bail!("--cluster '{flag}': give every task of the job an index (INDEX:HOST:PORT) or none");
        }
        let mut tasks = std::collections::BTreeMap::new();
        for (index, address) in parsed {
            let index = index.expect("every task is indexed");
            if tasks.insert(index, address).is_some() {
                bail!("--cluster '{flag}': task {index} is given twice");
            }
        }
        cluster.add_job_tasks(job, tasks).map_err(|e| anyhow!("--cluster '{flag}': {}", e.message))?;
    }
    Ok(cluster)
}

/// Parses TF's `TF_CONFIG`: `{"cluster": {"worker": ["h:p", ...], ...}, "task": {"type": "worker", "index": 0}}`;
/// a job may also map task indices to addresses (`{"local": {"37": "h:p"}}`), as TF's ClusterSpec does.
pub fn from_tf_config(json: &str) -> Result<(ClusterSpec, String, i32)> {
    let v: serde_json::Value = serde_json::from_str(json).context("TF_CONFIG is not valid JSON")?;
    let jobs = v["cluster"].as_object().context("TF_CONFIG has no \"cluster\" object")?;
    let mut cluster = ClusterSpec::new();
    let address = |job: &str, a: &serde_json::Value| -> Result<String> {
        let a = a.as_str().with_context(|| format!("TF_CONFIG job '{job}' has a non-string address"))?;
        check_address(a).with_context(|| format!("TF_CONFIG job '{job}'"))?;
        Ok(a.to_string())
    };
    for (job, tasks) in jobs {
        if let Some(by_index) = tasks.as_object() {
            let mut indexed = std::collections::BTreeMap::new();
            for (index, a) in by_index {
                let index: i32 = index.parse().with_context(|| format!("TF_CONFIG job '{job}': task index '{index}' is not a number"))?;
                indexed.insert(index, address(job, a)?);
            }
            cluster.add_job_tasks(job, indexed).map_err(|e| anyhow!("TF_CONFIG: {}", e.message))?;
            continue;
        }
        let addresses: Vec<String> = tasks
            .as_array()
            .with_context(|| format!("TF_CONFIG cluster job '{job}' is not a list of addresses"))?
            .iter()
            .map(|a| address(job, a))
            .collect::<Result<_>>()?;
        cluster.add_job(job, addresses).map_err(|e| anyhow!("TF_CONFIG: {}", e.message))?;
    }
    let job = v["task"]["type"].as_str().context("TF_CONFIG has no task.type")?.to_string();
    let task = v["task"]["index"].as_i64().unwrap_or(0);
    let task = i32::try_from(task).with_context(|| format!("TF_CONFIG task.index {task} is out of range"))?;
    Ok((cluster, job, task))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_and_tf_config_describe_the_same_cluster() {
        let flags = cluster_from_flags(&["worker=127.0.0.1:1,127.0.0.1:2".into(), "ps=127.0.0.1:3".into()]).unwrap();
        let (tf, job, task) = from_tf_config(
            r#"{"cluster": {"worker": ["127.0.0.1:1", "127.0.0.1:2"], "ps": ["127.0.0.1:3"]}, "task": {"type": "worker", "index": 1}}"#,
        )
        .unwrap();
        assert_eq!(flags, tf);
        assert_eq!((job.as_str(), task), ("worker", 1));
        assert!(cluster_from_flags(&["worker".into()]).is_err());
        assert!(cluster_from_flags(&["worker=nohost".into()]).is_err());
    }

    #[test]
    fn sparse_task_indices_in_flags_and_tf_config() {
        let flags = cluster_from_flags(&["local=37:127.0.0.1:1234".into()]).unwrap();
        assert_eq!(flags.address("local", 37), Some("127.0.0.1:1234"));
        assert_eq!(flags.address("local", 0), None);
        let (tf, job, task) =
            from_tf_config(r#"{"cluster": {"local": {"37": "127.0.0.1:1234"}}, "task": {"type": "local", "index": 37}}"#).unwrap();
        assert_eq!(tf, flags);
        assert_eq!((job.as_str(), task), ("local", 37));
        // Plain addresses keep their order, numeric hosts included.
        let plain = cluster_from_flags(&["w=10.0.0.1:2222,localhost:3".into()]).unwrap();
        assert_eq!(plain.address("w", 1), Some("localhost:3"));
        for bad in ["local=37:127.0.0.1:1234,127.0.0.1:5", "local=1:a:1,1:b:2", "local=localhost"] {
            assert!(cluster_from_flags(&[bad.into()]).is_err(), "{bad}");
        }
        let e = from_tf_config(r#"{"cluster": {"local": ["localhost"]}, "task": {"type": "local", "index": 0}}"#).unwrap_err();
        assert!(format!("{e:#}").contains("needs a port"), "{e:#}");
    }

    #[test]
    fn durations_take_a_unit() {
        assert_eq!(parse_duration("5s").unwrap(), Duration::from_secs(5));
        assert_eq!(parse_duration("1.5s").unwrap(), Duration::from_millis(1500));
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("2m").unwrap(), Duration::from_secs(120));
        for bad in ["5", "s", "5h", "1ms", "-1s", "1e999s", ""] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }
}
