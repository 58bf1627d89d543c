"""A throwaway PostgreSQL cluster for one test session, from Debian's server binaries.

The cluster lives in a fresh temporary directory, listens on 127.0.0.1 on a free port (and on a
unix socket in that directory), trusts every local connection and runs without durability
(``fsync``, ``synchronous_commit`` and ``full_page_writes`` off): tests want speed, and the
data is deleted at :meth:`ThrowawayPostgres.stop` anyway.

PostgreSQL refuses to run as root. When the tests run as root (our machines and CI do), the
cluster's directory belongs to the ``postgres`` system user and ``initdb``/``pg_ctl`` run
through ``runuser -u postgres --``; otherwise they run as the current user.
"""
from __future__ import annotations

import atexit
import glob
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import weakref
from pathlib import Path
from typing import Self

__all__ = ["PostgresUnavailable", "ThrowawayPostgres", "find_postgres_bindir"]

SUPERUSER = "postgres"
_SYSTEM_USER = "postgres"
_NAME_RE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
_INSTALL_HINT = (
    "run `make test`, which installs PostgreSQL from Debian's packages "
    "(or: bash deploy/scripts/bootstrap.sh --test)"
)


class PostgresUnavailable(RuntimeError):
    """The PostgreSQL server binaries are missing, or the cluster could not be started."""


def find_postgres_bindir() -> Path:
    """The ``bin`` directory of the newest PostgreSQL under ``/usr/lib/postgresql/<major>/``.

    Raises :class:`PostgresUnavailable` with an install hint when there is none.
    """
    candidates = [Path(p).parent for p in glob.glob("/usr/lib/postgresql/*/bin/pg_ctl")]

    def major(bindir: Path) -> tuple[int, ...]:
        # "15" or "9.6": compare numerically, so 16 beats 9.6.
        return tuple(int(part) for part in re.findall(r"\d+", bindir.parent.name))

    if not candidates:
        raise PostgresUnavailable(
            f"PostgreSQL server binaries not found (/usr/lib/postgresql/*/bin/pg_ctl); {_INSTALL_HINT}"
        )
    return max(candidates, key=major)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


_live_servers: weakref.WeakSet[ThrowawayPostgres] = weakref.WeakSet()


@atexit.register
def _stop_live_servers() -> None:
    # pg_ctl daemonizes the server, so it would outlive an interrupted test run otherwise.
    for server in list(_live_servers):
        server.stop()


class ThrowawayPostgres:
    """One disposable PostgreSQL cluster.

    Contract: :meth:`start` creates and starts the cluster (``url`` and
    :meth:`create_database` work only after it); :meth:`stop` shuts it down and deletes its
    directory, and is safe to call more than once. Superuser ``postgres``, no password.
    """

    def __init__(self, bindir: Path | None = None) -> None:
        self._bindir = bindir
        self._root: Path | None = None
        self._port: int | None = None
        self._as_postgres = os.geteuid() == 0

    # -- addresses ---------------------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._port is None:
            raise PostgresUnavailable("ThrowawayPostgres is not started")
        return self._port

    @property
    def url(self) -> str:
        """SQLAlchemy URL of the default ``postgres`` database."""
        return self.url_for(SUPERUSER)

    def url_for(self, database: str) -> str:
        """``postgresql+psycopg://postgres@127.0.0.1:<port>/<database>``."""
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    @property
    def root(self) -> Path:
        """The temporary directory holding ``data/``, the server log and the unix socket."""
        if self._root is None:
            raise PostgresUnavailable("ThrowawayPostgres is not started")
        return self._root

    # -- lifecycle ---------------------------------------------------------------------------

    def _run(self, args: list[str]) -> subprocess.CompletedProcess[str]:
        cmd = ["runuser", "-u", _SYSTEM_USER, "--", *args] if self._as_postgres else args
        # cwd: the postgres user cannot enter root's working directory, and initdb/pg_ctl
        # complain when they cannot stat the current directory.
        return subprocess.run(
            cmd, cwd=self.root, capture_output=True, text=True, check=False, timeout=120
        )

    def _check(self, what: str, result: subprocess.CompletedProcess[str]) -> None:
        if result.returncode == 0:
            return
        log = self.root / "postgres.log"
        tail = log.read_text(errors="replace")[-3000:] if log.exists() else ""
        raise PostgresUnavailable(
            f"{what} failed (exit {result.returncode}):\n{result.stdout}{result.stderr}\n{tail}"
        )

    def start(self) -> Self:
        """Create the cluster in a new temporary directory and start it; returns ``self``."""
        if self._root is not None:
            raise PostgresUnavailable("ThrowawayPostgres is already started")
        bindir = self._bindir or find_postgres_bindir()
        if self._as_postgres:
            try:
                owner = pwd.getpwnam(_SYSTEM_USER)
            except KeyError:
                raise PostgresUnavailable(
                    f"running as root, but there is no `{_SYSTEM_USER}` system user to run "
                    f"PostgreSQL as; {_INSTALL_HINT}"
                ) from None
            if shutil.which("runuser") is None:
                raise PostgresUnavailable("running as root, but `runuser` (util-linux) is missing")
        # Always under the system temp dir: a pytest tmp_path is root-only (0700) and the
        # postgres user could not traverse it.
        self._root = Path(tempfile.mkdtemp(prefix="giaitrinh-pg-"))
        if self._as_postgres:
            os.chown(self._root, owner.pw_uid, owner.pw_gid)
        _live_servers.add(self)
        try:
            self._init_and_start(bindir)
        except BaseException:
            self.stop()
            raise
        return self

    def _init_and_start(self, bindir: Path) -> None:
        data = self.root / "data"
        self._check("initdb", self._run([
            str(bindir / "initdb"), "-D", str(data),
            "--username", SUPERUSER, "--auth", "trust",
            "--encoding", "UTF8", "--no-locale",
            "--no-sync", "--no-instructions",
        ]))
        self._port = _free_port()
        settings = {
            "listen_addresses": "'127.0.0.1'",
            "port": str(self._port),
            "unix_socket_directories": f"'{self.root}'",
            # Durability buys nothing for a cluster deleted at the end of the session.
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
        }
        conf = "".join(f"{key} = {value}\n" for key, value in settings.items())
        # Appending keeps the file's owner (postgres) even when we are root; the last
        # occurrence of a setting in the file wins.
        with open(data / "postgresql.conf", "a", encoding="utf-8") as handle:
            handle.write("\n# giaitrinh throwaway test cluster\n" + conf)
        self._check("pg_ctl start", self._run([
            str(bindir / "pg_ctl"), "-D", str(data),
            "-l", str(self.root / "postgres.log"), "-w", "-t", "60", "start",
        ]))
        self._bindir = bindir

    def stop(self) -> None:
        """Stop the server (fast shutdown: open connections are cut) and delete its files."""
        root = self._root
        if root is None:
            return
        try:
            data = root / "data"
            if self._bindir is not None and (data / "postmaster.pid").exists():
                self._run([
                    str(self._bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop",
                ])
        finally:
            shutil.rmtree(root, ignore_errors=True)
            self._root = None
            self._port = None
            _live_servers.discard(self)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- databases ---------------------------------------------------------------------------

    def _admin_execute(self, statement: str) -> None:
        import psycopg  # the test environment has it; imported late to keep this module light

        with psycopg.connect(
            host="127.0.0.1", port=self.port, user=SUPERUSER, dbname="postgres", autocommit=True
        ) as conn:
            conn.execute(statement)  # type: ignore[arg-type]  # names are validated below

    @staticmethod
    def _validated(name: str) -> str:
        # A plain lowercase identifier needs no quoting and cannot smuggle SQL in.
        if not _NAME_RE.match(name):
            raise ValueError(f"database name {name!r} must match {_NAME_RE.pattern}")
        return name

    def create_database(self, name: str) -> str:
        """Create database ``name`` (``[a-z_][a-z0-9_]*``, at most 63 characters) and return its
        SQLAlchemy URL."""
        self._admin_execute(f"CREATE DATABASE {self._validated(name)}")
        return self.url_for(name)

    def drop_database(self, name: str) -> None:
        """Drop database ``name`` if it exists, disconnecting anyone still connected."""
        self._admin_execute(f"DROP DATABASE IF EXISTS {self._validated(name)} WITH (FORCE)")

    def __repr__(self) -> str:
        where = f"127.0.0.1:{self._port}" if self._port else "not started"
        return f"<ThrowawayPostgres {where}>"
