"""The writer process (tiến trình ghi): on SQLite, the submissions of a web process are written by
a process of its own, which owns the one connection that writes them.

Why: with the group commit in the web process, a batch of submissions held the writing turn about
twice as long as its own CPU — its INSERTs and its COMMIT ran between the other threads' Python
(one interpreter lock) — and intake's throughput followed how long a batch held the turn
(bench/README.md, "what a batch's write is made of"). Here each submitting thread sends its rows,
already converted for the driver, over a Unix socket of its own and waits for the answer; the
writer process reads whatever has arrived, writes it in one transaction (``BEGIN IMMEDIATE``, the
rows of each statement in one ``executemany``, ``COMMIT`` with ``synchronous=FULL``) and answers
each sender. The same group commit, with no other Python in the writer's way.

Nothing is given up:

- a submitter is answered ``ok`` only after the COMMIT that holds its rows returned;
- a batch is all-or-nothing; if it fails (a tracking code already given, the same external id
  meanwhile), each submission of it is written again alone, so one failure is its own and is
  answered as the error SQLite gave (its class and message, raised again in the web process);
- if the writer dies mid-batch, SQLite rolls the open transaction back and every waiting
  submitter gets an error (never a 201); the next submission starts a new writer. (One that died
  after its COMMIT, before answering, wrote the rows: the group commit looks the request up
  before it gives up, and answers as if the writer had.);
- the writer ends when its web process does (its stdin, a pipe from the web process, closes),
  after the batch in hand, removing its socket. It ignores SIGINT and SIGTERM: those reach the
  web process's whole group (a terminal's Ctrl-C, the platform stopping a service), and the web
  process, which finishes its submissions in flight before it ends, decides when the writer goes;
- its socket lies in a directory only the service's user may enter (0700), the writer answers
  only peers of its own user, and a message it cannot read is answered as an error or, past
  :data:`MAX_MESSAGE`, ends that connection — never the writer.

The wire: each message is a 4-byte length and a :mod:`marshal` body. A submission is a list of
``(sql, rows)`` (qmark SQL, rows as tuples of str, int, float, bytes or None); an answer is
``("ok", n)`` — ``n`` submissions shared its commit — or ``("error", n, class, message, sql)``.

This module imports only the standard library: the writer starts in a fresh interpreter
(``python -m giaitrinh_intake.adapters.writer_process``) in a few tens of milliseconds.
"""
from __future__ import annotations

import argparse
import contextlib
import marshal
import os
import selectors
import shutil
import signal
import socket
import sqlite3
import struct
import subprocess
import sys
import tempfile
import threading
from collections.abc import Sequence
from typing import Any

Statement = tuple[str, Sequence[Sequence[Any]]]  # one INSERT's SQL and its rows' parameters
_LENGTH = struct.Struct("!I")
MAX_MESSAGE = 64 * 1024 * 1024  # a submission with all its attachments' rows is far smaller
START_SECONDS = 30.0  # for the writer to say it is ready
SEND_SECONDS = 5.0  # for a sender to take its answer: one that never reads is cut off, not waited on
ANSWER_SECONDS = 300.0  # a batch, its retries alone, each waiting up to SQLite's busy timeout
_PRAGMAS = ("PRAGMA journal_mode=WAL", "PRAGMA busy_timeout=30000", "PRAGMA foreign_keys=ON",
            "PRAGMA synchronous=FULL")


def _frame(body: bytes) -> bytes:
    return _LENGTH.pack(len(body)) + body


def _read_exactly(sock: socket.socket, size: int) -> bytes | None:
    chunks, missing = [], size
    while missing:
        chunk = sock.recv(missing)
        if not chunk:
            return None
        chunks.append(chunk)
        missing -= len(chunk)
    return b"".join(chunks)


def _receive(sock: socket.socket) -> bytes | None:
    """One message from ``sock`` (blocking), or None if the other end closed first."""
    head = _read_exactly(sock, _LENGTH.size)
    if head is None:
        return None
    return _read_exactly(sock, _LENGTH.unpack(head)[0])


def _sqlite_error(kind: str, message: str, sql: str) -> sqlite3.Error:
    """The error the writer met, as the driver would have raised it in this process."""
    cls = getattr(sqlite3, kind, None)
    if not (isinstance(cls, type) and issubclass(cls, sqlite3.Error)):
        cls = sqlite3.DatabaseError
    error = cls(message)
    error.sql = sql  # type: ignore[attr-defined]  # for the caller's message
    return error


class WriterGone(sqlite3.OperationalError):
    """The writer process could not be started, or ended before answering: whether the
    submission is stored is not known here (the group commit looks it up)."""


# --- the writer process ---------------------------------------------------------------------------


class _Writer:
    """The writer's side: one SQLite connection, a batch of submissions per transaction."""

    def __init__(self, database: str):
        self.db = sqlite3.connect(database, isolation_level=None, timeout=30, check_same_thread=False)
        for pragma in _PRAGMAS:
            self.db.execute(pragma)
        self._sql = ""  # the statement being run, named in an error's answer

    def write(self, submissions: list[Any]) -> list[tuple[Any, ...]]:
        """Write ``submissions`` (each a list of statements) together; the answer for each."""
        shared = len(submissions)
        try:
            self._transaction([statement for submission in submissions for statement in submission])
            return [("ok", shared)] * shared
        except Exception as exc:
            if shared == 1:
                return [self._error(exc, shared)]
        answers: list[tuple[Any, ...]] = []
        for submission in submissions:  # all-or-nothing failed: each alone, so a failure is its own
            try:
                self._transaction(submission)
                answers.append(("ok", shared))
            except Exception as own:
                answers.append(self._error(own, shared))
        return answers

    def _error(self, exc: Exception, shared: int) -> tuple[Any, ...]:
        kind = type(exc).__name__ if isinstance(exc, sqlite3.Error) else "DatabaseError"
        return ("error", shared, kind, str(exc), self._sql)

    def _transaction(self, statements: list[Any]) -> None:
        # Each statement's rows together, statements in the order they first appear: every
        # submission lists its request before the rows that refer to it.
        merged: dict[str, list[Any]] = {}
        for sql, rows in statements:
            merged.setdefault(sql, []).extend(rows)
        self._sql = "BEGIN IMMEDIATE"
        self.db.execute(self._sql)
        try:
            for sql, rows in merged.items():
                self._sql = sql
                self.db.executemany(sql, rows)
            self._sql = "COMMIT"
            self.db.execute(self._sql)
        except BaseException:
            if self.db.in_transaction:
                self.db.execute("ROLLBACK")
            raise


def _own_user(conn: socket.socket) -> bool:
    """The peer runs as this process's user (Linux: SO_PEERCRED); elsewhere the directory's
    permissions alone keep others out."""
    if not hasattr(socket, "SO_PEERCRED"):  # pragma: no cover - not Linux
        return True
    _pid, uid, _gid = struct.unpack("3i", conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12))
    return uid == os.getuid()


class _Server:
    """The writer's loop: accept senders, gather what has arrived, write it, answer each."""

    def __init__(self, writer: _Writer, socket_path: str, parent: int):
        self.writer = writer
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(socket_path)
        os.chmod(socket_path, 0o600)
        self.listener.listen(128)
        self.listener.setblocking(False)
        self.selector = selectors.DefaultSelector()
        self.selector.register(self.listener, selectors.EVENT_READ, "accept")
        self.selector.register(parent, selectors.EVENT_READ, "parent")
        self.pending: dict[socket.socket, bytearray] = {}
        self.running = True

    def run(self) -> None:
        while self.running:
            arrived: list[tuple[socket.socket, Any]] = []
            for key, _mask in self.selector.select():
                if key.data == "accept":
                    self._accept()
                elif key.data == "parent":
                    if not os.read(key.fd, 4096):  # the web process closed our stdin, or ended
                        self.running = False
                else:
                    arrived.extend(self._read(key.fileobj))  # type: ignore[arg-type]
            if arrived:
                self._answer(arrived)

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except BlockingIOError:
                return
            if not _own_user(conn):
                conn.close()
                continue
            conn.settimeout(SEND_SECONDS)  # read only when readable; an answer nobody reads ends it
            self.pending[conn] = bytearray()
            self.selector.register(conn, selectors.EVENT_READ, "sender")

    def _read(self, conn: socket.socket) -> list[tuple[socket.socket, Any]]:
        """The whole messages ``conn`` has sent by now; a closed or oversized one is dropped."""
        try:
            data = conn.recv(1 << 20)
        except OSError:
            data = b""
        buffer = self.pending.get(conn)
        if not data or buffer is None:
            self._drop(conn)
            return []
        buffer += data
        messages = []
        while len(buffer) >= _LENGTH.size:
            (size,) = _LENGTH.unpack_from(buffer)
            if size > MAX_MESSAGE:
                self._drop(conn)
                return []
            if len(buffer) < _LENGTH.size + size:
                break
            body = bytes(buffer[_LENGTH.size:_LENGTH.size + size])
            del buffer[:_LENGTH.size + size]
            messages.append((conn, body))
        return messages

    def _answer(self, arrived: list[tuple[socket.socket, bytes]]) -> None:
        readable = []
        for conn, body in arrived:
            try:
                submission = marshal.loads(body)
                if not isinstance(submission, list) or not all(
                        isinstance(s, tuple) and len(s) == 2 and isinstance(s[0], str) for s in submission):
                    raise ValueError("a submission is a list of (sql, rows)")
            except (ValueError, EOFError, TypeError) as exc:
                self._send(conn, ("error", 1, "InterfaceError", f"unreadable message: {exc}", ""))
                continue
            readable.append((conn, submission))
        if readable:
            for (conn, _), answer in zip(readable, self.writer.write([s for _, s in readable]), strict=True):
                self._send(conn, answer)

    def _send(self, conn: socket.socket, answer: tuple[Any, ...]) -> None:
        try:
            conn.sendall(_frame(marshal.dumps(answer)))
        except OSError:  # the sender gave up waiting; its rows are committed all the same
            self._drop(conn)

    def _drop(self, conn: socket.socket) -> None:
        if self.pending.pop(conn, None) is not None:
            self.selector.unregister(conn)
        conn.close()


def serve(database: str, socket_path: str) -> None:
    """Run the writer on ``database`` at ``socket_path`` until stdin closes; then remove the
    socket (and its directory, if nothing else is left in it)."""
    for signum in (signal.SIGINT, signal.SIGTERM):  # for the web process, which ends us after its own
        signal.signal(signum, signal.SIG_IGN)
    server = _Server(_Writer(database), socket_path, sys.stdin.fileno())
    try:
        sys.stdout.write("ready\n")
        sys.stdout.flush()
        server.run()
    finally:
        with contextlib.suppress(OSError):
            os.unlink(socket_path)
            os.rmdir(os.path.dirname(socket_path))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m giaitrinh_intake.adapters.writer_process",
        description="Intake's writer process: writes the submissions a web process sends it. "
                    "Started by the web process itself; not meant to be run by hand.")
    parser.add_argument("--database", required=True, help="the SQLite database file")
    parser.add_argument("--socket", required=True, help="the Unix socket to listen on")
    args = parser.parse_args(argv)
    serve(args.database, args.socket)
    return 0


# --- the web process's side -----------------------------------------------------------------------


class WriterProcess:
    """A web process's writer: started on first use (and again after it ended, or in a forked
    child), one socket per thread. Thread-safe."""

    def __init__(self, database: str):
        self.database = os.path.abspath(database)
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._pid = 0  # the process that started it: a forked child starts its own
        self._generation = 0  # bumped at each start: threads' sockets to an older writer are stale
        self._directory: str | None = None
        self._sockets: list[socket.socket] = []
        self._local = threading.local()
        self.starts = 0  # writers this process started, restarts included
        self.waiting = 0  # submissions sent and not answered yet

    @property
    def pid(self) -> int | None:
        """The running writer's process id, if this process started one."""
        return self._process.pid if self._process is not None and self._pid == os.getpid() else None

    @property
    def directory(self) -> str | None:
        """The private directory (0700) of the writer's socket, once started."""
        return self._directory

    @property
    def address(self) -> str | None:
        """The running writer's socket, if this process started one."""
        return self._socket_path() if self.pid is not None else None

    def write(self, statements: list[Statement]) -> int:
        """Have ``statements`` (one submission's) committed; return how many submissions shared
        the commit. Raises the :class:`sqlite3.Error` writing them alone raised, or
        :class:`WriterGone`."""
        body = _frame(marshal.dumps(statements))
        sock = self._send(body)
        with self._lock:
            self.waiting += 1
        try:
            answer = _receive(sock)
        except OSError:  # the answer's time ran out, or the connection broke
            answer = None
        finally:
            with self._lock:
                self.waiting -= 1
        if answer is None:
            self._forget(sock)
            raise WriterGone("intake's writer process ended before answering: the submission is not known "
                             "to be stored")
        status, shared, *error = marshal.loads(answer)
        if status == "ok":
            return shared
        raise _sqlite_error(*error)

    def _send(self, body: bytes) -> socket.socket:
        """The message sent on this thread's socket. A writer that cannot be reached is replaced
        and the message sent once more: nothing reached it, so nothing can be written twice."""
        for attempt in (1, 2):
            sock, generation = self._socket()
            try:
                if sock is None:
                    raise ConnectionRefusedError("the writer does not listen")
                sock.sendall(body)
                return sock
            except OSError as exc:
                if sock is not None:
                    self._forget(sock)
                with self._lock:
                    if generation == self._generation:  # nobody replaced it yet
                        self._stop()
                if attempt == 2:
                    raise WriterGone(f"could not reach intake's writer process: {exc}") from exc
        raise AssertionError("unreachable")

    def _socket(self) -> tuple[socket.socket | None, int]:
        """This thread's socket to the running writer (connected now if need be; None if it
        refused), and the writer's generation."""
        local = self._local
        sock = getattr(local, "sock", None)
        if sock is not None and local.generation == self._generation and local.pid == os.getpid():
            return sock, local.generation
        with self._lock:
            path = self._running()
            generation = self._generation
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(ANSWER_SECONDS)
        try:
            sock.connect(path)
        except OSError:
            sock.close()
            return None, generation
        with self._lock:
            self._sockets.append(sock)
        local.sock, local.generation, local.pid = sock, generation, os.getpid()
        return sock, generation

    def _forget(self, sock: socket.socket) -> None:
        self._local.sock = None
        with self._lock:
            if sock in self._sockets:
                self._sockets.remove(sock)
        sock.close()

    def _running(self) -> str:
        """The running writer's socket path, starting one if need be (the lock held)."""
        if self._pid != os.getpid():  # a forked child: the parent's writer is not ours
            if self._process is not None and self._process.stdin is not None:
                self._process.stdin.close()  # our copy of its pipe only; the parent keeps its own
            self._process, self._directory, self._sockets = None, None, []
            self._pid = os.getpid()
        if self._process is not None and self._process.poll() is None:
            return self._socket_path()
        self._stop()
        self._generation += 1
        if self._directory is None:
            self._directory = tempfile.mkdtemp(prefix="giaitrinh-intake-writer-")  # 0700
        path = self._socket_path()
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
        process = subprocess.Popen(
            [sys.executable, "-m", __name__, "--database", self.database, "--socket", path],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
        assert process.stdout is not None
        with selectors.DefaultSelector() as ready:
            ready.register(process.stdout, selectors.EVENT_READ)
            said = process.stdout.readline() if ready.select(START_SECONDS) else b""
        if said != b"ready\n":  # its error is on the web process's stderr
            process.kill()
            process.communicate()  # reaped, its pipes closed
            raise WriterGone(f"intake's writer process did not start (exit status {process.returncode})")
        self._process = process
        self.starts += 1
        return path

    def _socket_path(self) -> str:
        assert self._directory is not None
        return os.path.join(self._directory, f"writer-{self._generation}.sock")

    def _stop(self) -> None:
        """End the writer (after the batch in hand) and wait for it (the lock held)."""
        process, self._process = self._process, None
        if process is None:
            return
        for pipe in (process.stdin, process.stdout):
            if pipe is not None:
                pipe.close()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        with contextlib.suppress(FileNotFoundError):  # the writer removes it as it ends
            os.unlink(self._socket_path())

    def close(self) -> None:
        """End the writer and remove its socket's directory."""
        with self._lock:
            if self._pid != os.getpid():
                return
            self._stop()
            for sock in self._sockets:
                sock.close()
            self._sockets = []
            self._generation += 1
            if self._directory is not None:
                shutil.rmtree(self._directory, ignore_errors=True)
                self._directory = None


if __name__ == "__main__":
    sys.exit(main())
