//! A task's configuration: the cluster (from `--cluster JOB=HOST:PORT,...` flags or TF's
//! `TF_CONFIG` environment variable) and which task of it this process is. Plain data.

use anyhow::{Context, Result, anyhow, bail};
use ferroflow_distributed::ClusterSpec;

/// Which task of which cluster this process serves.
#[derive(Debug, Clone)]
pub struct TaskConfig {
    pub cluster: ClusterSpec,
    pub job: String,
    pub task: i32,
    /// Threads for kernels (0: one per core).
    pub compute_threads: usize,
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

/// Parses `--cluster` values (`JOB=HOST:PORT[,HOST:PORT...]`), one job each.
pub fn cluster_from_flags(flags: &[String]) -> Result<ClusterSpec> {
    let mut cluster = ClusterSpec::new();
    for flag in flags {
        let (job, tasks) = flag.split_once('=').with_context(|| format!("--cluster '{flag}' is not JOB=HOST:PORT[,HOST:PORT...]"))?;
        let addresses: Vec<String> = tasks.split(',').map(|a| a.trim().to_string()).collect();
        if let Some(bad) = addresses.iter().find(|a| a.rsplit_once(':').is_none_or(|(h, p)| h.is_empty() || p.parse::<u16>().is_err())) {
            bail!("--cluster '{flag}': '{bad}' is not HOST:PORT");
        }
        cluster.add_job(job, addresses).map_err(|e| anyhow!("--cluster '{flag}': {}", e.message))?;
    }
    Ok(cluster)
}

/// Parses TF's `TF_CONFIG`: `{"cluster": {"worker": ["h:p", ...], ...}, "task": {"type": "worker", "index": 0}}`.
pub fn from_tf_config(json: &str) -> Result<(ClusterSpec, String, i32)> {
    let v: serde_json::Value = serde_json::from_str(json).context("TF_CONFIG is not valid JSON")?;
    let jobs = v["cluster"].as_object().context("TF_CONFIG has no \"cluster\" object")?;
    let mut cluster = ClusterSpec::new();
    for (job, tasks) in jobs {
        let addresses: Vec<String> = tasks
            .as_array()
            .with_context(|| format!("TF_CONFIG cluster job '{job}' is not a list of addresses"))?
            .iter()
            .map(|a| a.as_str().map(str::to_string).with_context(|| format!("TF_CONFIG job '{job}' has a non-string address")))
            .collect::<Result<_>>()?;
        cluster.add_job(job, addresses).map_err(|e| anyhow!("TF_CONFIG: {}", e.message))?;
    }
    let job = v["task"]["type"].as_str().context("TF_CONFIG has no task.type")?.to_string();
    let task = v["task"]["index"].as_i64().unwrap_or(0) as i32;
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
}
