"""A private PostgreSQL cluster for tests and benchmarks, run from the machine's PostgreSQL binaries.

The cluster lives in <data_dir>/postgres, listens on 127.0.0.1 only, trusts loopback connections
and trades durability for speed (fsync off). PostgreSQL refuses to run as root, so when we are
root every server command runs as the `postgres` OS user through runuser.
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
DATA_DIR_ENV = "PMO_DATA_DIR"
PG_PORT_ENV = "PMO_PG_PORT"
DEFAULT_PG_PORT = 55432
LISTEN_HOST = "127.0.0.1"
SUPERUSER = "postgres"
# The OS account that owns the cluster when we run as root.
CLUSTER_OS_USER = "postgres"
DEBIAN_BINARY_ROOT = Path("/usr/lib/postgresql")
SETTINGS_FILE_NAME = "pmo.conf"
SERVER_LOG_NAME = "server.log"
PG_CTL_WAIT_SECONDS = 60
COMMAND_TIMEOUT_SECONDS = 120.0
LOG_TAIL_LINES = 30
# Database names are interpolated into SQL; plain identifiers need no quoting rules.
STOP_MODES = ("smart", "fast", "immediate")
DATABASE_NAME_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


class PostgresUnavailable(RuntimeError):
    """The local PostgreSQL cluster cannot be created, started or used."""


# ---------------------------------------------------------------------------------------------
# Locations


def data_dir() -> Path:
    """Return the project's data directory: $PMO_DATA_DIR or <repo>/var."""
    return Path(os.environ.get(DATA_DIR_ENV) or REPO_ROOT / "var").resolve()


def port() -> int:
    """Return the port the cluster listens on: $PMO_PG_PORT or 55432."""
    return int(os.environ.get(PG_PORT_ENV) or DEFAULT_PG_PORT)


def base_dsn(listen_port: int | None = None) -> str:
    """Return the SQLAlchemy DSN of the cluster without a database name."""
    return f"postgresql+asyncpg://{SUPERUSER}@{LISTEN_HOST}:{listen_port or port()}"


def _running_as_root() -> bool:
    return os.geteuid() == 0


def cluster_dir() -> Path:
    """Return the cluster's data directory, in /tmp when the postgres user cannot reach <data_dir>."""
    preferred = data_dir() / "postgres"
    if not _running_as_root() or _cluster_user_can_reach(preferred):
        return preferred
    return Path(tempfile.gettempdir()) / f"pmo-postgres-{os.getuid()}"


def _cluster_user_can_reach(path: Path) -> bool:
    # The postgres user must traverse every parent directory (a checkout under /root cannot be).
    # `test -x` on the deepest existing directory fails if any directory above it is closed.
    existing = path
    while not existing.exists():
        existing = existing.parent
    result = subprocess.run(
        ["runuser", "-u", CLUSTER_OS_USER, "--", "test", "-x", str(existing)],
        capture_output=True,
        timeout=COMMAND_TIMEOUT_SECONDS,
    )
    return result.returncode == 0


def find_bindir() -> Path:
    """Return the directory holding initdb and pg_ctl: pg_config's, else the newest Debian one."""
    for candidate in _bindir_candidates():
        if (candidate / "initdb").is_file() and (candidate / "pg_ctl").is_file():
            return candidate
    raise PostgresUnavailable(
        "no PostgreSQL server binaries (initdb, pg_ctl) found; install them, e.g. "
        "`apt-get install -y postgresql`"
    )


def _bindir_candidates() -> list[Path]:
    candidates = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        # pg_config may come from libpq-dev alone, without a server: candidates are checked after.
        result = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True)
        if result.returncode == 0:
            candidates.append(Path(result.stdout.strip()))
    versioned = [path for path in DEBIAN_BINARY_ROOT.glob("*/bin") if path.parent.name.isdigit()]
    candidates.extend(sorted(versioned, key=lambda path: int(path.parent.name), reverse=True))
    return candidates


# ---------------------------------------------------------------------------------------------
# Running commands as the cluster's owner


def _cluster_owner_ids() -> tuple[int, int]:
    if not _running_as_root():
        return os.getuid(), os.getgid()
    try:
        account = pwd.getpwnam(CLUSTER_OS_USER)
    except KeyError as error:
        raise PostgresUnavailable(
            f"running as root needs the `{CLUSTER_OS_USER}` OS user to own the cluster"
        ) from error
    return account.pw_uid, account.pw_gid


def _as_cluster_owner(command: list[str]) -> list[str]:
    if _running_as_root():
        return ["runuser", "-u", CLUSTER_OS_USER, "--", *command]
    return command


def _run_as_cluster_owner(
    command: list[str], directory: Path
) -> subprocess.CompletedProcess[str]:
    # cwd inside the cluster: runuser keeps root's cwd, which the postgres user may not enter.
    workdir = directory if directory.is_dir() else Path(tempfile.gettempdir())
    return subprocess.run(
        _as_cluster_owner(command),
        capture_output=True,
        text=True,
        cwd=workdir,
        timeout=COMMAND_TIMEOUT_SECONDS,
    )


def _write_owned_file(path: Path, content: str) -> None:
    path.write_text(content)
    os.chown(path, *_cluster_owner_ids())


# ---------------------------------------------------------------------------------------------
# Cluster creation and configuration


def _prepare_empty_cluster_dir(directory: Path) -> None:
    directory.parent.mkdir(parents=True, exist_ok=True)
    directory.mkdir(mode=0o700, exist_ok=True)
    os.chown(directory, *_cluster_owner_ids())
    # initdb insists on 0700 or 0750 whatever the umask made of it.
    os.chmod(directory, 0o700)


def _cluster_exists(directory: Path) -> bool:
    return (directory / "PG_VERSION").is_file()


def _initdb(bindir: Path, directory: Path) -> None:
    _prepare_empty_cluster_dir(directory)
    result = _run_as_cluster_owner(
        [
            str(bindir / "initdb"),
            "--pgdata",
            str(directory),
            "--username",
            SUPERUSER,
            "--auth",
            "trust",  # loopback only (see listen_addresses), throwaway test data
            "--encoding",
            "UTF8",
            "--no-locale",  # C collation: the same ordering on every machine
            "--no-sync",  # a test cluster need not survive a power cut during initdb
        ],
        directory,
    )
    if result.returncode != 0:
        raise PostgresUnavailable(
            f"initdb failed in {directory}:\n" + _last_lines(result.stdout + result.stderr)
        )
    _include_settings_file(directory)


def _include_settings_file(directory: Path) -> None:
    # Our settings live in their own file, rewritten at each start (the port may change); the
    # generated postgresql.conf only gains one include line.
    main_config = directory / "postgresql.conf"
    include_line = f"include_if_exists = '{SETTINGS_FILE_NAME}'\n"
    if include_line not in main_config.read_text():
        with main_config.open("a") as config:
            config.write("\n# Added by pmo/postgres_local.py\n" + include_line)


def _settings(directory: Path, listen_port: int, durable: bool = False) -> str:
    settings = {
        "listen_addresses": f"'{LISTEN_HOST}'",
        "port": str(listen_port),
        # Inside the cluster: no clash with a system cluster over /var/run/postgresql.
        "unix_socket_directories": f"'{directory}'",
        "max_connections": "200",
        # Test and benchmark data is disposable; durability would only cost time. A cluster
        # that fault tests crash must keep what it acknowledged, like a production one.
        "fsync": "on" if durable else "off",
        "synchronous_commit": "on" if durable else "off",
        "full_page_writes": "on" if durable else "off",
    }
    lines = [f"{key} = {value}" for key, value in settings.items()]
    return "# Generated by pmo/postgres_local.py at every start; edit the code.\n" + (
        "\n".join(lines) + "\n"
    )


# ---------------------------------------------------------------------------------------------
# Server state


def _postmaster_pid_and_port(directory: Path) -> tuple[int, int] | None:
    # postmaster.pid: line 1 is the pid, line 4 the port the running server listens on.
    try:
        lines = (directory / "postmaster.pid").read_text().splitlines()
        return int(lines[0]), int(lines[3])
    except (FileNotFoundError, IndexError, ValueError):
        return None


def _server_running(bindir: Path, directory: Path) -> bool:
    if not _cluster_exists(directory):
        return False
    result = _run_as_cluster_owner(
        [str(bindir / "pg_ctl"), "status", "--pgdata", str(directory)], directory
    )
    return result.returncode == 0


def _last_lines(text: str, count: int = LOG_TAIL_LINES) -> str:
    return "\n".join(text.splitlines()[-count:])


def _server_log_tail(directory: Path) -> str:
    try:
        return _last_lines((directory / SERVER_LOG_NAME).read_text(errors="replace"))
    except FileNotFoundError:
        return "(no server log)"


# ---------------------------------------------------------------------------------------------
# Public API


@dataclass(frozen=True)
class Cluster:
    """One cluster: its data directory and port. The module functions act on the default one."""

    directory: Path
    listen_port: int
    durable: bool = False  # fsync and synchronous commit on: survives `stop("immediate")`

    def start(self) -> str:
        """Create the cluster on first use, start it unless running, and return its base DSN."""
        bindir = find_bindir()
        directory = self.directory
        if _server_running(bindir, directory):
            return _running_dsn(directory)
        if not _cluster_exists(directory):
            _initdb(bindir, directory)
        _write_owned_file(directory / SETTINGS_FILE_NAME,
                          _settings(directory, self.listen_port, self.durable))
        result = _run_as_cluster_owner(
            [
                str(bindir / "pg_ctl"),
                "start",
                "--pgdata",
                str(directory),
                "--log",
                str(directory / SERVER_LOG_NAME),
                "--wait",
                "--timeout",
                str(PG_CTL_WAIT_SECONDS),
            ],
            directory,
        )
        if result.returncode != 0:
            raise PostgresUnavailable(
                f"PostgreSQL did not start from {directory} on port {self.listen_port}:\n"
                + _last_lines(result.stdout + result.stderr)
                + f"\n--- last {LOG_TAIL_LINES} lines of the server log ---\n"
                + _server_log_tail(directory)
            )
        return _running_dsn(directory)

    def stop(self, mode: str = "fast") -> bool:
        """Stop the cluster; return False when it was not running.

        `fast` disconnects sessions (clients see an admin shutdown), `immediate` is a crash
        (clients see their connection reset; the next start replays the WAL).
        """
        if mode not in STOP_MODES:
            raise ValueError(f"stop mode {mode!r} is not one of {', '.join(STOP_MODES)}")
        bindir = find_bindir()
        directory = self.directory
        if not _server_running(bindir, directory):
            return False
        result = _run_as_cluster_owner(
            [
                str(bindir / "pg_ctl"),
                "stop",
                "--pgdata",
                str(directory),
                "--mode",
                mode,
                "--wait",
                "--timeout",
                str(PG_CTL_WAIT_SECONDS),
            ],
            directory,
        )
        if result.returncode != 0:
            raise PostgresUnavailable(
                "PostgreSQL did not stop:\n" + _last_lines(result.stdout + result.stderr)
            )
        return True

    def status(self) -> dict[str, Any]:
        """Describe the cluster: running, pid, port, dsn, data_dir, bindir, log_file."""
        bindir = find_bindir()
        directory = self.directory
        running = _server_running(bindir, directory)
        pid_and_port = _postmaster_pid_and_port(directory) if running else None
        return {
            "running": running,
            "pid": pid_and_port[0] if pid_and_port else None,
            "port": pid_and_port[1] if pid_and_port else self.listen_port,
            "dsn": _running_dsn(directory) if running else base_dsn(self.listen_port),
            "data_dir": str(directory),
            "bindir": str(bindir),
            "log_file": str(directory / SERVER_LOG_NAME),
        }

    def psql(self, sql: str) -> str:
        """Run one statement in the `postgres` database and return its unaligned output."""
        # Over TCP with trust auth, so this works as root or any user without runuser.
        pid_and_port = _postmaster_pid_and_port(self.directory)
        if pid_and_port is None:
            raise PostgresUnavailable(f"the PostgreSQL cluster in {self.directory} is not running")
        command = [
            str(find_bindir() / "psql"),
            "--no-psqlrc",
            "--quiet",
            "--tuples-only",
            "--no-align",
            "--set",
            "ON_ERROR_STOP=1",
            "--host",
            LISTEN_HOST,
            "--port",
            str(pid_and_port[1]),
            "--username",
            SUPERUSER,
            "--dbname",
            "postgres",
            "--command",
            sql,
        ]
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=COMMAND_TIMEOUT_SECONDS
        )
        if result.returncode != 0:
            raise PostgresUnavailable(f"psql failed for {sql!r}:\n{result.stderr.strip()}")
        return result.stdout.strip()

    def create_database(self, name: str) -> str:
        """Create the database unless it exists and return its DSN."""
        database = _validated_database_name(name)
        # CREATE DATABASE has no IF NOT EXISTS and cannot run inside a DO block.
        if self.psql(f"SELECT 1 FROM pg_database WHERE datname = '{database}'") != "1":
            self.psql(f'CREATE DATABASE "{database}"')
        return f"{_running_dsn(self.directory)}/{database}"

    def drop_database(self, name: str) -> None:
        """Drop the database if it exists, disconnecting its sessions first."""
        database = _validated_database_name(name)
        self.psql(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def default_cluster() -> Cluster:
    """The cluster of $PMO_DATA_DIR on $PMO_PG_PORT (what `pmo pg` manages)."""
    return Cluster(cluster_dir(), port())


def private_cluster(listen_port: int, durable: bool = True) -> Cluster:
    """A throwaway cluster in a fresh directory the cluster's OS user can reach (fault tests).

    Durable by default: a test that crashes it must not lose commits it acknowledged.
    """
    directory = Path(tempfile.mkdtemp(prefix="pmo-pg-"))
    return Cluster(directory, listen_port, durable)


def start() -> str:
    """Create the default cluster on first use, start it unless running, and return its base DSN."""
    return default_cluster().start()


def _running_dsn(directory: Path) -> str:
    # The running server's own port, which differs from $PMO_PG_PORT if that changed since.
    pid_and_port = _postmaster_pid_and_port(directory)
    return base_dsn(pid_and_port[1] if pid_and_port else None)


def stop() -> bool:
    """Stop the default cluster (fast shutdown); return False when it was not running."""
    return default_cluster().stop("fast")


def status() -> dict[str, Any]:
    """Describe the default cluster: running, pid, port, dsn, data_dir, bindir, log_file."""
    return default_cluster().status()


def _validated_database_name(name: str) -> str:
    if not DATABASE_NAME_PATTERN.fullmatch(name):
        raise ValueError(f"database name {name!r} must be a plain identifier ([A-Za-z_][A-Za-z0-9_]*)")
    return name


def create_database(name: str) -> str:
    """Create the database in the default cluster unless it exists and return its DSN."""
    return default_cluster().create_database(name)


def drop_database(name: str) -> None:
    """Drop the database from the default cluster if it exists, disconnecting its sessions first."""
    default_cluster().drop_database(name)
