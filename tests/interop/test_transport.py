"""The transport, with a stock TF 2.21 client:

- hung peers: a ferroflow master with two ferroflow workers, worker 1 frozen (SIGSTOP) in the middle
  of a step: the client gets UnavailableError naming the task within 5 s (the default
  --peer-timeout), while a second session on worker 0 goes on; after SIGCONT the cluster serves
  again;
- long calls to stock TF peers are not cut: a ferroflow master with two stock TF workers runs a step
  that waits 8 s on a queue (stock TF servers close a connection that is pinged more than three
  times in 5 minutes of silence, so ferroflow pings them only that rarely);
- TLS: a cluster of ferroflow tasks with mutual TLS (certificates made here), its master also
  serving plaintext on loopback: the TF client gets the all-TF results there; on the TLS port it
  cannot connect.
"""
import datetime
import ipaddress
import os
import signal
import threading
import time

import pytest
import tensorflow as tf
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

import programs
from cluster import Cluster, free_port, wait_for_port
from conftest import LOG_DIR, assert_same

v1 = tf.compat.v1
ALL_FF = {("master", 0): "ff", ("worker", 0): "ff", ("worker", 1): "ff"}
FF_MASTER_TF_WORKERS = {("master", 0): "ff", ("worker", 0): "tf", ("worker", 1): "tf"}


def chain_then_sum_graph(matmuls=400):
    """A MatMul chain on worker 0, summed on worker 1 (which then only waits on worker 0)."""
    g = tf.Graph()
    with g.as_default():
        with tf.device("/job:worker/task:0"):
            x = tf.random.uniform([1024, 1024], seed=1)
            y = x
            for _ in range(matmuls):
                y = tf.matmul(y, x) * 1e-3
        with tf.device("/job:worker/task:1"):
            out = tf.reduce_sum(y)
    return g, out


def worker0_graph():
    g = tf.Graph()
    with g.as_default(), tf.device("/job:worker/task:0"):
        six = tf.constant(2.0) * 3.0
    return g, six


def test_frozen_worker_fails_the_step_within_5s_and_other_sessions_go_on(reference_results):
    cluster = Cluster(ALL_FF, os.path.join(LOG_DIR, "frozen_worker"))
    try:
        g, out = chain_then_sum_graph()
        g2, six = worker0_graph()
        long_session = v1.Session(cluster.target, graph=g)
        other_session = v1.Session(cluster.target, graph=g2)
        assert other_session.run(six) == 6.0
        result = {}

        def run():
            try:
                long_session.run(out)
                result["outcome"] = "ok"
            except tf.errors.OpError as e:
                result["outcome"] = type(e).__name__
                result["message"] = e.message
            result["at"] = time.time()

        t = threading.Thread(target=run)
        t.start()
        time.sleep(1.5)
        cluster.signal(("worker", 1), signal.SIGSTOP)
        frozen_at = time.time()
        try:
            # The master's other session, on worker 0 only, goes on meanwhile.
            for _ in range(3):
                assert other_session.run(six) == 6.0
            t.join(timeout=30)
            assert not t.is_alive(), "the client never got an answer"
        finally:
            cluster.signal(("worker", 1), signal.SIGCONT)
        assert result["outcome"] == "UnavailableError", result
        assert "/job:worker/replica:0/task:1" in result["message"] and "is not responding" in result["message"], result
        assert result["at"] - frozen_at < 5.0, result["at"] - frozen_at

        long_session.close()
        assert other_session.run(six) == 6.0
        other_session.close()
        assert_same(programs.PROGRAMS["feed_matmul_chain"](cluster.target, "worker"), reference_results("feed_matmul_chain"))
    finally:
        cluster.stop()


def test_a_long_wait_on_stock_tf_workers_is_not_cut():
    cluster = Cluster(FF_MASTER_TF_WORKERS, os.path.join(LOG_DIR, "long_wait_tf_workers"))
    try:
        g = tf.Graph()
        with g.as_default(), tf.device("/job:worker/task:1"):
            queue = tf.queue.FIFOQueue(1, tf.float32, shapes=[], shared_name="long_wait")
            dequeued = queue.dequeue() + 1.0
            enqueue = queue.enqueue(41.0)
        s = v1.Session(cluster.target, graph=g)
        result = {}

        def wait():
            started = time.time()
            try:
                result["value"] = float(s.run(dequeued))
            except tf.errors.OpError as e:
                result["error"] = f"{type(e).__name__}: {e.message}"
            result["seconds"] = time.time() - started

        t = threading.Thread(target=wait)
        t.start()
        time.sleep(8)
        s.run(enqueue)
        t.join(timeout=30)
        assert not t.is_alive(), "the dequeue never returned"
        assert result.get("value") == 42.0, result
        assert result["seconds"] >= 8.0, result
        s.close()
    finally:
        cluster.stop()


class Pki:
    """A certificate authority writing PEM files into `directory`."""

    def __init__(self, directory, name):
        self.directory = directory
        self.key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{name} CA")])
        now = datetime.datetime.now(datetime.timezone.utc)
        self.cert = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(subject)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(True, False, False, False, False, True, True, False, False), critical=True
            )
            .sign(self.key, hashes.SHA256())
        )
        self.ca_file = self.write(f"{name}-ca.pem", self.cert.public_bytes(serialization.Encoding.PEM))

    def write(self, name, data):
        path = os.path.join(self.directory, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def flags(self, name):
        """--tls-* flags for a task whose certificate names 127.0.0.1."""
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.timezone.utc)
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
            .issuer_name(self.cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
            .sign(self.key, hashes.SHA256())
        )
        cert_file = self.write(f"{name}.pem", cert.public_bytes(serialization.Encoding.PEM))
        key_file = self.write(
            f"{name}.key",
            key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()),
        )
        return ["--tls-cert", cert_file, "--tls-key", key_file, "--tls-ca", self.ca_file]


@pytest.fixture(scope="module")
def tls_cluster(tmp_path_factory):
    pki = Pki(str(tmp_path_factory.mktemp("pki")), "cluster")
    plaintext_port = free_port()
    args = {task: pki.flags(f"{task[0]}{task[1]}") for task in ALL_FF}
    args[("master", 0)] += ["--plaintext-local-port", str(plaintext_port)]
    cluster = Cluster(ALL_FF, os.path.join(LOG_DIR, "tls"), ff_args=args)
    try:
        wait_for_port(plaintext_port, cluster.procs[("master", 0)])
        cluster.plaintext_target = f"grpc://127.0.0.1:{plaintext_port}"
        yield cluster
    finally:
        cluster.stop()


@pytest.mark.parametrize("program", ["feed_matmul_chain", "linear_regression_sgd", "callable_sum_of_squares"])
def test_tls_cluster_serves_stock_tf_on_its_plaintext_local_port(tls_cluster, reference_results, program):
    assert_same(programs.PROGRAMS[program](tls_cluster.plaintext_target, "worker"), reference_results(program))


def test_tls_port_refuses_a_plaintext_tf_client(tls_cluster):
    g, six = worker0_graph()
    config = v1.ConfigProto(operation_timeout_in_ms=5000)
    with pytest.raises((tf.errors.UnavailableError, tf.errors.DeadlineExceededError)):
        with v1.Session(tls_cluster.target, graph=g, config=config) as s:
            s.run(six)
