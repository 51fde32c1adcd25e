"""The project's own single-node Apache Kafka (KRaft, broker and controller in one JVM).

No Docker and no tarball: the broker's jars come from Maven Central through deploy/kafka/pom.xml
and are cached in <repo>/.cache/kafka/libs. The broker keeps everything it writes under
<data_dir>/kafka, so topics and committed offsets survive restarts.
"""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import contextlib
import fcntl
import hashlib
import logging
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from aiokafka.errors import KafkaError

from shared.bus import bounded, kafka_admin

REPO_ROOT = Path(__file__).resolve().parents[1]
KAFKA_DEPLOY_DIR = REPO_ROOT / "deploy" / "kafka"
POM_FILE = KAFKA_DEPLOY_DIR / "pom.xml"
LOG4J_CONFIG_FILE = KAFKA_DEPLOY_DIR / "log4j2.properties"
JAR_CACHE_DIR = REPO_ROOT / ".cache" / "kafka" / "libs"
# Holds the pom's hash once copy-dependencies finished: no marker means an interrupted download,
# another hash means the pom changed; either way the jars are resolved again.
JARS_RESOLVED_MARKER = JAR_CACHE_DIR.with_name("libs.resolved")

BOOTSTRAP_ENV = "PMO_KAFKA_BOOTSTRAP_SERVERS"
DATA_DIR_ENV = "PMO_DATA_DIR"
DEFAULT_BOOTSTRAP = "127.0.0.1:9092"

JVM_HEAP_OPTIONS = ("-Xms256m", "-Xmx768m")
BROKER_MAIN_CLASS = "kafka.Kafka"
STORAGE_TOOL_CLASS = "kafka.tools.StorageTool"
# Below the 10-minute limit every shell command of the project must respect.
MAVEN_TIMEOUT_SECONDS = 540.0
STORAGE_FORMAT_TIMEOUT_SECONDS = 120.0
PROBE_TIMEOUT_SECONDS = 5.0
READINESS_POLL_INTERVAL_SECONDS = 0.25
LOG_TAIL_LINES = 30

T = TypeVar("T")


class KafkaStartError(RuntimeError):
    """The local broker could not be prepared, launched or made ready."""


@dataclass(frozen=True)
class KafkaHandle:
    """What start() found or did."""

    bootstrap: str
    pid: int | None
    started: bool  # this call launched the JVM
    managed_by_us: bool  # the broker is the JVM recorded in our pid file
    external: bool  # someone else's broker answers on the address; we never touch it
    seconds: float
    message: str


@dataclass(frozen=True)
class KafkaPaths:
    """Where the local broker keeps its state; everything lives under one directory."""

    root: Path

    @property
    def log_dirs(self) -> Path:
        return self.root / "data"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def server_log(self) -> Path:
        return self.logs / "server.log"

    @property
    def stdout_log(self) -> Path:
        return self.logs / "jvm-stdout.log"

    @property
    def properties_file(self) -> Path:
        return self.root / "server.properties"

    @property
    def cluster_id_file(self) -> Path:
        return self.root / "cluster.id"

    @property
    def pid_file(self) -> Path:
        return self.root / "kafka.pid"

    @property
    def lock_file(self) -> Path:
        return self.root / ".lock"


# ---------------------------------------------------------------------------------------------
# Configuration


def data_dir() -> Path:
    """Return the project's data directory: $PMO_DATA_DIR or <repo>/var."""
    return Path(os.environ.get(DATA_DIR_ENV) or REPO_ROOT / "var").resolve()


def kafka_paths() -> KafkaPaths:
    """Return the layout of the local broker's state directory."""
    return KafkaPaths(data_dir() / "kafka")


def bootstrap_address() -> str:
    """Return the broker address clients use: the first entry of $PMO_KAFKA_BOOTSTRAP_SERVERS."""
    configured = os.environ.get(BOOTSTRAP_ENV) or DEFAULT_BOOTSTRAP
    return configured.split(",")[0].strip()


def _host_and_port(address: str) -> tuple[str, int]:
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        raise KafkaStartError(f"bootstrap address {address!r} is not host:port")
    return host, int(port)


# ---------------------------------------------------------------------------------------------
# Jars


def resolve_jars() -> Path:
    """Return the directory holding the broker's jars, resolving them with Maven only when missing."""
    pom_digest = hashlib.sha256(POM_FILE.read_bytes()).hexdigest()
    if _jars_resolved_for(pom_digest):
        return JAR_CACHE_DIR
    # Resolve into a staging directory so a killed download never looks like a complete cache.
    staging_dir = JAR_CACHE_DIR.with_name("libs.partial")
    shutil.rmtree(staging_dir, ignore_errors=True)
    JARS_RESOLVED_MARKER.unlink(missing_ok=True)
    _copy_dependencies_with_maven(staging_dir)
    shutil.rmtree(JAR_CACHE_DIR, ignore_errors=True)
    staging_dir.rename(JAR_CACHE_DIR)
    JARS_RESOLVED_MARKER.write_text(pom_digest + "\n")
    return JAR_CACHE_DIR


def _jars_resolved_for(pom_digest: str) -> bool:
    if not JARS_RESOLVED_MARKER.is_file() or not JAR_CACHE_DIR.is_dir():
        return False
    return JARS_RESOLVED_MARKER.read_text().strip() == pom_digest


def _copy_dependencies_with_maven(output_dir: Path) -> None:
    output_dir.parent.mkdir(parents=True, exist_ok=True)
    command = [
        _require_executable("mvn"),
        "-q",
        "-B",
        "-f",
        str(POM_FILE),
        "dependency:copy-dependencies",
        f"-DoutputDirectory={output_dir}",
        "-DincludeScope=runtime",
    ]
    try:
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=MAVEN_TIMEOUT_SECONDS
        )
    except subprocess.TimeoutExpired as error:
        raise KafkaStartError(f"Maven did not resolve the Kafka jars within {error.timeout}s") from error
    if result.returncode != 0:
        raise KafkaStartError(
            f"Maven failed to resolve the Kafka jars (exit {result.returncode}):\n"
            + _last_lines(result.stdout + result.stderr)
        )


def _require_executable(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise KafkaStartError(f"`{name}` is not on PATH; the local Kafka needs it")
    return found


def _java_executable() -> str:
    # JAVA_HOME wins so CI can pin a JDK without reordering PATH.
    java_home = os.environ.get("JAVA_HOME")
    if java_home and (Path(java_home) / "bin" / "java").is_file():
        return str(Path(java_home) / "bin" / "java")
    return _require_executable("java")


def _classpath(jars_dir: Path) -> str:
    # The JVM expands "dir/*" itself, which keeps the command line short.
    return f"{jars_dir}/*"


# ---------------------------------------------------------------------------------------------
# Broker configuration and storage


def _server_properties(bootstrap: str, paths: KafkaPaths) -> str:
    host, port = _host_and_port(bootstrap)
    broker_endpoint = f"{host}:{port}"
    controller_endpoint = f"{host}:{port + 1}"
    settings = {
        "process.roles": "broker,controller",
        "node.id": "1",
        "controller.quorum.bootstrap.servers": controller_endpoint,
        "listeners": f"PLAINTEXT://{broker_endpoint},CONTROLLER://{controller_endpoint}",
        # The storage format step with --standalone reads the controller endpoint from here.
        "advertised.listeners": f"PLAINTEXT://{broker_endpoint},CONTROLLER://{controller_endpoint}",
        "inter.broker.listener.name": "PLAINTEXT",
        "controller.listener.names": "CONTROLLER",
        "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
        "log.dirs": str(paths.log_dirs),
        "num.partitions": "3",
        "auto.create.topics.enable": "true",
        "default.replication.factor": "1",
        # A single node cannot hold more than one replica of the internal topics.
        "offsets.topic.replication.factor": "1",
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        "share.coordinator.state.topic.replication.factor": "1",
        "share.coordinator.state.topic.min.isr": "1",
        # Consumers in tests join one at a time; the default 3 s delay would only slow them down.
        "group.initial.rebalance.delay.ms": "0",
    }
    lines = [f"{key}={value}" for key, value in settings.items()]
    return "# Generated by pmo/kafka_local.py at every start; edit the code, not this file.\n" + (
        "\n".join(lines) + "\n"
    )


def _write_server_properties(bootstrap: str, paths: KafkaPaths) -> None:
    paths.properties_file.write_text(_server_properties(bootstrap, paths))


def _cluster_id(paths: KafkaPaths) -> str:
    if paths.cluster_id_file.is_file():
        return paths.cluster_id_file.read_text().strip()
    cluster_id = _new_cluster_id()
    paths.cluster_id_file.write_text(cluster_id + "\n")
    return cluster_id


def _new_cluster_id() -> str:
    # Same shape as `StorageTool random-uuid` (URL-safe base64 of 16 random bytes, no padding)
    # without paying a JVM start for it; Kafka rejects ids that begin with "-".
    while True:
        candidate = base64.urlsafe_b64encode(os.urandom(16)).decode().rstrip("=")
        if not candidate.startswith("-"):
            return candidate


def _storage_is_formatted(paths: KafkaPaths) -> bool:
    return (paths.log_dirs / "meta.properties").is_file()


def _format_storage_once(jars_dir: Path, paths: KafkaPaths) -> None:
    if _storage_is_formatted(paths):
        return  # Formatting again would be refused anyway; skipping saves a JVM start.
    command = [
        _java_executable(),
        f"-Dlog4j2.configurationFile={LOG4J_CONFIG_FILE}",
        f"-Dkafka.logs.dir={paths.logs}",
        "-cp",
        _classpath(jars_dir),
        STORAGE_TOOL_CLASS,
        "format",
        "--standalone",
        "-t",
        _cluster_id(paths),
        "-c",
        str(paths.properties_file),
        "--ignore-formatted",
    ]
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=STORAGE_FORMAT_TIMEOUT_SECONDS
    )
    if result.returncode != 0:
        raise KafkaStartError(
            f"formatting the Kafka storage in {paths.log_dirs} failed (exit {result.returncode}):\n"
            + _last_lines(result.stdout + result.stderr)
        )


# ---------------------------------------------------------------------------------------------
# Probing


def _run_blocking(coroutine_factory: Callable[[], Coroutine[Any, Any, T]]) -> T:
    # asyncio.run() refuses to nest; when the caller already runs a loop (an async test, the
    # API process), run the coroutine on a fresh loop in a worker thread instead.
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine_factory())
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as executor:
        return executor.submit(lambda: asyncio.run(coroutine_factory())).result()


def _tcp_port_open(address: str, timeout: float = 1.0) -> bool:
    host, port = _host_and_port(address)
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


async def _broker_count(bootstrap: str, timeout: float) -> int:
    try:
        async with kafka_admin(bootstrap, timeout) as admin:
            cluster = await bounded(admin.describe_cluster(), timeout)
            return len(cluster["brokers"])
    except (KafkaError, OSError, asyncio.TimeoutError):
        return 0


@contextlib.contextmanager
def _aiokafka_logs_silenced() -> Iterator[None]:
    # A probe expects failures (a starting broker, a port that is not Kafka at all); aiokafka
    # would log each one as an error on stderr although the caller handles it.
    aiokafka_logger = logging.getLogger("aiokafka")
    previous_level = aiokafka_logger.level
    aiokafka_logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        aiokafka_logger.setLevel(previous_level)


def broker_answers(bootstrap: str, timeout: float = PROBE_TIMEOUT_SECONDS) -> bool:
    """Return True when a Kafka broker at the address answers a metadata request with brokers."""
    # The TCP check first makes a closed port cheap to detect.
    if not _tcp_port_open(bootstrap):
        return False
    with _aiokafka_logs_silenced():
        return _run_blocking(lambda: _broker_count(bootstrap, timeout)) > 0


# ---------------------------------------------------------------------------------------------
# Processes


def _read_pid(paths: KafkaPaths) -> int | None:
    try:
        return int(paths.pid_file.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None


def _is_our_broker(pid: int, paths: KafkaPaths) -> bool:
    # A pid file can outlive its process and the pid can be reused; only a JVM running
    # kafka.Kafka with our properties file is ours. A zombie has an empty cmdline.
    try:
        arguments = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return BROKER_MAIN_CLASS.encode() in arguments and str(paths.properties_file).encode() in arguments


def _our_broker_pid(paths: KafkaPaths) -> int | None:
    pid = _read_pid(paths)
    if pid is not None and _is_our_broker(pid, paths):
        return pid
    return None


def _reap_if_our_child(pid: int) -> None:
    # When start() and stop() run in one Python process the JVM is our child: reap it so it
    # does not linger as a zombie.
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def _signal_if_alive(pid: int, signal_number: signal.Signals) -> None:
    # The JVM may exit between our check and the signal.
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal_number)


def _wait_for_exit(pid: int, paths: KafkaPaths, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        _reap_if_our_child(pid)
        if not _is_our_broker(pid, paths):
            return True
        time.sleep(READINESS_POLL_INTERVAL_SECONDS)
    return not _is_our_broker(pid, paths)


def _launch_broker(jars_dir: Path, paths: KafkaPaths) -> subprocess.Popen[bytes]:
    command = [
        _java_executable(),
        *JVM_HEAP_OPTIONS,
        f"-Dlog4j2.configurationFile={LOG4J_CONFIG_FILE}",
        f"-Dkafka.logs.dir={paths.logs}",
        "-cp",
        _classpath(jars_dir),
        BROKER_MAIN_CLASS,
        str(paths.properties_file),
    ]
    # Own session: the broker outlives the CLI that started it and a Ctrl-C in that terminal.
    # Output goes to a file, never to our pipes, so callers capturing our output do not hang.
    with paths.stdout_log.open("wb") as jvm_output:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=jvm_output,
            stderr=subprocess.STDOUT,
            cwd=paths.root,
            start_new_session=True,
        )
    paths.pid_file.write_text(f"{process.pid}\n")
    return process


def _wait_until_ready(
    bootstrap: str,
    is_alive: Callable[[], bool],
    paths: KafkaPaths,
    deadline: float,
    server_log_offset: int,
) -> None:
    while not broker_answers(bootstrap):
        if not is_alive():
            paths.pid_file.unlink(missing_ok=True)
            raise KafkaStartError(
                f"the Kafka JVM exited before {bootstrap} answered.\n"
                + _failure_report(paths, server_log_offset)
            )
        if time.monotonic() >= deadline:
            stop()
            raise KafkaStartError(
                f"Kafka did not answer on {bootstrap} in time; the JVM was stopped.\n"
                + _failure_report(paths, server_log_offset)
            )
        time.sleep(READINESS_POLL_INTERVAL_SECONDS)


@contextlib.contextmanager
def _exclusive_lock(paths: KafkaPaths) -> Iterator[None]:
    # Two concurrent `start` calls (parallel CI jobs on one machine) must not launch two JVMs
    # over one log directory.
    with paths.lock_file.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


# ---------------------------------------------------------------------------------------------
# Logs


def _last_lines(text: str, count: int = LOG_TAIL_LINES) -> str:
    return "\n".join(text.splitlines()[-count:])


def _file_tail(path: Path, count: int = LOG_TAIL_LINES) -> str:
    try:
        return _last_lines(path.read_text(errors="replace"), count)
    except FileNotFoundError:
        return ""


def _file_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def _errors_logged_since(path: Path, offset: int) -> list[str]:
    # The root cause (a BindException, a bad setting) is often logged long before the last
    # 30 lines, which are shutdown chatter.
    try:
        with path.open("rb") as log:
            log.seek(offset)
            written = log.read().decode(errors="replace")
    except FileNotFoundError:
        return []
    markers = ("] ERROR ", "] FATAL ", "Caused by:")
    return [line for line in written.splitlines() if any(marker in line for marker in markers)]


def _failure_report(paths: KafkaPaths, server_log_offset: int) -> str:
    sections = []
    errors = _errors_logged_since(paths.server_log, server_log_offset)
    if errors:
        sections.append("--- errors logged during this start ---\n" + _last_lines("\n".join(errors)))
    for log_file in (paths.stdout_log, paths.server_log):
        tail = _file_tail(log_file)
        if tail:
            sections.append(f"--- last {LOG_TAIL_LINES} lines of {log_file} ---\n{tail}")
    return "\n".join(sections) or f"(no log output in {paths.logs})"


# ---------------------------------------------------------------------------------------------
# Public API


def is_external() -> bool:
    """Return True when $PMO_KAFKA_BOOTSTRAP_SERVERS names a broker that answers and is not ours."""
    if not os.environ.get(BOOTSTRAP_ENV):
        return False
    if _our_broker_pid(kafka_paths()) is not None:
        return False
    return broker_answers(bootstrap_address())


def start(wait_seconds: float = 90, *, bootstrap: str | None = None,
          root: Path | None = None) -> KafkaHandle:
    """Start the local broker unless one already answers, and wait until clients get metadata.

    `bootstrap` and `root` (its state directory) default to $PMO_KAFKA_BOOTSTRAP_SERVERS and
    $PMO_DATA_DIR/kafka; fault tests pass their own to run a second broker beside the shared one.
    The controller listens on the broker's port + 1.
    """
    began = time.monotonic()
    bootstrap = bootstrap or bootstrap_address()
    paths = KafkaPaths(root) if root else kafka_paths()
    for directory in (paths.root, paths.log_dirs, paths.logs):
        directory.mkdir(parents=True, exist_ok=True)
    with _exclusive_lock(paths):
        running = _handle_for_running_broker(bootstrap, paths, began + wait_seconds, began)
        if running is not None:
            return running
        jars_dir = resolve_jars()
        _write_server_properties(bootstrap, paths)
        _format_storage_once(jars_dir, paths)
        # Failure reports show errors of this attempt only; server.log keeps earlier runs too.
        server_log_offset = _file_size(paths.server_log)
        process = _launch_broker(jars_dir, paths)
        _wait_until_ready(
            bootstrap,
            lambda: process.poll() is None,
            paths,
            began + wait_seconds,
            server_log_offset,
        )
    return KafkaHandle(
        bootstrap=bootstrap,
        pid=process.pid,
        started=True,
        managed_by_us=True,
        external=False,
        seconds=time.monotonic() - began,
        message=f"started Kafka on {bootstrap} (pid {process.pid}, data in {paths.root})",
    )


def _handle_for_running_broker(
    bootstrap: str, paths: KafkaPaths, deadline: float, began: float
) -> KafkaHandle | None:
    our_pid = _our_broker_pid(paths)
    if our_pid is not None:
        if not broker_answers(bootstrap):
            # Our JVM is still starting (an earlier start was interrupted while waiting):
            # wait for it instead of launching a second broker over the same log directory.
            _wait_until_ready(
                bootstrap,
                lambda: _is_our_broker(our_pid, paths),
                paths,
                deadline,
                _file_size(paths.server_log),
            )
        message = f"Kafka already running on {bootstrap} (pid {our_pid}, ours)"
    elif broker_answers(bootstrap):
        message = f"a Kafka broker not started by pmo already answers on {bootstrap}; left alone"
    else:
        return None
    return KafkaHandle(
        bootstrap=bootstrap,
        pid=our_pid,
        started=False,
        managed_by_us=our_pid is not None,
        external=our_pid is None,
        seconds=time.monotonic() - began,
        message=message,
    )


def stop(timeout: float = 30, *, root: Path | None = None) -> bool:
    """Stop our broker (SIGTERM, SIGKILL after timeout); return False when there was none to stop."""
    paths = KafkaPaths(root) if root else kafka_paths()
    pid = _our_broker_pid(paths)
    if pid is None:
        # Nothing of ours runs (an external broker is never ours): drop a stale pid file only.
        paths.pid_file.unlink(missing_ok=True)
        return False
    _signal_if_alive(pid, signal.SIGTERM)  # lets Kafka flush and close its logs cleanly
    if not _wait_for_exit(pid, paths, timeout):
        _signal_if_alive(pid, signal.SIGKILL)
        _wait_for_exit(pid, paths, timeout)
    paths.pid_file.unlink(missing_ok=True)
    return True


def kill(*, root: Path | None = None) -> int | None:
    """SIGKILL our broker, as a crash would (fault tests); returns its pid, None if none ran."""
    paths = KafkaPaths(root) if root else kafka_paths()
    pid = _our_broker_pid(paths)
    if pid is None:
        return None
    _signal_if_alive(pid, signal.SIGKILL)
    _wait_for_exit(pid, paths, 30)
    # The pid file stays, as after a real crash; the next start() sees it is stale.
    return pid


def status(*, bootstrap: str | None = None, root: Path | None = None) -> dict[str, Any]:
    """Describe the broker: running, pid, bootstrap, reachable, managed_by_us (plus external, paths)."""
    paths = KafkaPaths(root) if root else kafka_paths()
    bootstrap = bootstrap or bootstrap_address()
    our_pid = _our_broker_pid(paths)
    reachable = broker_answers(bootstrap)
    return {
        "running": our_pid is not None or reachable,
        "pid": our_pid,
        "bootstrap": bootstrap,
        "reachable": reachable,
        "managed_by_us": our_pid is not None,
        "external": reachable and our_pid is None,
        "data_dir": str(paths.root),
        "log_file": str(paths.server_log),
    }


def main() -> None:
    """Run `python -m pmo.kafka_local start|stop|status` without the full CLI."""
    # Imported here because pmo.cli_infra imports this module.
    from pmo.cli_infra import kafka_app

    kafka_app()


if __name__ == "__main__":
    main()
