"""On a SQLite file, a web process's new submissions are written by a writer process of its own
(adapters/writer_process.py): answered only once committed, a refused one alone, an error —
never a 201 — when the writer dies, a new writer for the next, none left behind, and no door
open to anyone else. (A refused tracking code and an external id given twice, through either
writer: test_intake_submit_path.py.)"""
from __future__ import annotations

import contextlib
import os
import signal
import socket
import sqlite3
import stat
import struct
import subprocess
import sys
import textwrap
import threading
import time

import pytest
import sqlalchemy as sa

from giaitrinh_common.bus import InMemoryBus
from giaitrinh_common.settings import SettingError
from giaitrinh_intake.adapters.orm import requests
from giaitrinh_intake.adapters.writer_process import MAX_MESSAGE, WriterGone, WriterProcess
from giaitrinh_intake.domain.commands import SubmitRequest
from giaitrinh_intake.entrypoints.web import create_app
from giaitrinh_intake.settings import IntakeSettings
from tests.support.factories import LOCALITY, migrated_runtime

VALID = {"kind": "feedback", "field": "environment", "locality_code": LOCALITY,
         "title": "Rác thải", "content": "Rác đổ trộm bên bờ sông Nhật Lệ."}
INSERT = "INSERT INTO notes (id, text) VALUES (?, ?)"


@pytest.fixture
def runtime(sqlite_url):
    rt = migrated_runtime("intake", sqlite_url("intake"), InMemoryBus())  # the writer process: the default
    yield rt
    rt.close()


@pytest.fixture
def client(runtime):
    return create_app(runtime).test_client()


@pytest.fixture
def notes(tmp_path):
    """A database file with one table, ``notes (id primary key, text unique)``: its path."""
    path = str(tmp_path / "notes.db")
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL UNIQUE)")
    return path


@pytest.fixture
def writer(notes):
    w = WriterProcess(notes)
    yield w
    w.close()


def note(n: int, text: str | None = None) -> list:
    """One submission of one row for ``notes``."""
    return [(INSERT, [(n, text or f"note {n}")])]


def stored_notes(path: str) -> list[str]:
    with sqlite3.connect(path) as db:
        return [text for (text,) in db.execute("SELECT text FROM notes ORDER BY id")]


def stored(runtime) -> tuple[int, int]:
    with runtime.storage.engine.connect() as conn:
        return (conn.execute(sa.select(sa.func.count()).select_from(requests)).scalar_one(),
                runtime.storage.outbox_backlog())


def wait_for(condition, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "gave up waiting"
        time.sleep(0.01)


def running(pid: int) -> bool:
    """``pid`` is a process that has not ended (a zombie waiting to be reaped has)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except FileNotFoundError:
        return False


class locked_database:
    """The database's write lock held by another connection, as a long write elsewhere would."""

    def __init__(self, path: str):
        self.db = sqlite3.connect(path, isolation_level=None)

    def __enter__(self):
        self.db.execute("BEGIN IMMEDIATE")
        return self

    def __exit__(self, *exc):
        self.db.execute("ROLLBACK")
        self.db.close()


def test_submissions_from_many_threads_are_written_by_the_writer_process_each_committed_with_its_event(runtime):
    app, answers, seen = create_app(runtime), [], []
    engine = runtime.storage.engine

    def submit_some():
        client = app.test_client()
        for _ in range(8):
            resp = client.post("/api/v1/requests", json=VALID)
            answers.append(resp.status_code)
            with engine.connect() as conn:  # another connection: only committed rows
                seen.append(conn.execute(sa.select(sa.func.count()).select_from(requests).where(
                    requests.c.tracking_code == resp.json["tracking_code"])).scalar_one())

    threads = [threading.Thread(target=submit_some) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert answers == [201] * 32 and seen == [1] * 32  # each committed when its 201 left
    assert stored(runtime) == (32, 32)
    writer = runtime.group_commit.writer
    assert writer.starts == 1 and writer.pid not in (None, os.getpid())


def test_submissions_that_arrive_while_one_is_written_share_a_commit_and_a_refused_one_fails_alone(writer, notes):
    writer.write(note(1, "taken"))
    outcomes: dict[str, object] = {}

    def submit(n: int, text: str) -> None:
        try:
            outcomes[text] = writer.write(note(n, text))  # how many shared its commit
        except sqlite3.IntegrityError as exc:
            outcomes[text] = str(exc)

    with locked_database(notes):  # the writer takes "first" and waits for the lock
        threads = [threading.Thread(target=submit, args=(2, "first"))]
        threads[0].start()
        wait_for(lambda: writer.waiting == 1)
        threads += [threading.Thread(target=submit, args=args) for args in ((3, "taken"), (4, "third"))]
        for thread in threads[1:]:
            thread.start()
        wait_for(lambda: writer.waiting == 3)
        assert stored_notes(notes) == ["taken"]  # nobody answered, nothing written
    for thread in threads:
        thread.join(timeout=30)
    assert outcomes == {"first": 1, "taken": "UNIQUE constraint failed: notes.text", "third": 2}
    assert stored_notes(notes) == ["taken", "first", "third"]


def test_the_writer_killed_while_a_submission_waits_answers_it_with_an_error_and_the_next_starts_another(
        runtime, client):
    assert client.post("/api/v1/requests", json=VALID).status_code == 201
    writer = runtime.group_commit.writer
    answers = []
    with locked_database(runtime.storage.engine.url.database):
        waiting = threading.Thread(target=lambda: answers.append(client.post("/api/v1/requests", json=VALID)))
        waiting.start()
        wait_for(lambda: writer.waiting == 1)  # its rows are with the writer, which waits for the lock
        os.kill(writer.pid, signal.SIGKILL)
        waiting.join(timeout=30)
    assert answers[0].status_code == 500 and "tracking_code" not in answers[0].json  # not accepted
    assert stored(runtime) == (1, 1)  # and nothing of it written
    assert client.post("/api/v1/requests", json=VALID).status_code == 201
    assert writer.starts == 2 and stored(runtime) == (2, 2)


def test_a_writer_that_died_after_its_commit_but_before_answering_costs_the_submitter_nothing(
        runtime, client, monkeypatch):
    writer = runtime.group_commit.writer
    write = writer.write

    def commits_then_dies(statements):
        write(statements)  # committed by the real writer...
        os.kill(writer.pid, signal.SIGKILL)  # ...which dies before its answer is read
        raise WriterGone("intake's writer process ended before answering")
    monkeypatch.setattr(writer, "write", commits_then_dies)
    resp = client.post("/api/v1/requests", json=VALID)
    assert resp.status_code == 201, resp.json  # its request was found stored: accepted, not 500
    assert stored(runtime) == (1, 1)
    monkeypatch.undo()
    assert client.post("/api/v1/requests", json=VALID).status_code == 201 and writer.starts == 2


def test_a_writer_that_ended_between_submissions_is_replaced_without_costing_one(writer, notes):
    writer.write(note(1))
    os.kill(writer.pid, signal.SIGKILL)
    wait_for(lambda: not running(writer.pid))
    assert writer.write(note(2)) == 1  # nothing had reached the dead one: sent to a new writer
    assert writer.starts == 2 and stored_notes(notes) == ["note 1", "note 2"]


def test_the_writers_socket_is_private_and_closing_ends_the_writer_and_removes_it(writer):
    writer.write(note(1))
    pid, directory, address = writer.pid, writer.directory, writer.address
    assert stat.S_IMODE(os.stat(directory).st_mode) == 0o700  # only the service's user may enter
    assert stat.S_IMODE(os.stat(address).st_mode) == 0o600
    writer.close()
    assert not running(pid) and not os.path.exists(directory)


def test_the_writer_ends_when_the_web_process_that_started_it_dies_without_closing_it(notes):
    web = textwrap.dedent(f"""
        import os
        from giaitrinh_intake.adapters.writer_process import WriterProcess
        writer = WriterProcess({notes!r})
        writer.write([({INSERT!r}, [(1, "from the web process")])])
        print(writer.pid, writer.directory, flush=True)
        os._exit(0)  # no close, no clean-up: as a killed worker
    """)
    done = subprocess.run([sys.executable, "-c", web], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    writer_pid, directory = done.stdout.split()
    wait_for(lambda: not running(int(writer_pid)), seconds=15)  # its stdin closed: it ended too
    assert not os.path.exists(directory)  # and took its socket with it
    assert stored_notes(notes) == ["from the web process"]


def test_the_writer_ignores_the_signals_its_web_process_group_gets_and_ends_only_with_the_web_process(writer):
    writer.write(note(1))
    pid = writer.pid
    with open(f"/proc/{pid}/status") as f:
        ignored = int(next(line for line in f if line.startswith("SigIgn:")).split()[1], 16)
    assert ignored & (1 << (signal.SIGINT - 1)) and ignored & (1 << (signal.SIGTERM - 1))
    for signum in (signal.SIGINT, signal.SIGTERM):  # Ctrl-C, or the platform stopping intake's web
        os.kill(pid, signum)
    assert writer.write(note(2)) == 1  # the web process's submissions in flight are still written
    assert writer.starts == 1 and running(pid)


def test_a_hostile_sender_on_the_socket_gets_an_error_or_is_cut_off_and_the_writer_serves_on(writer, notes):
    writer.write(note(1))
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as rogue:
        rogue.settimeout(10)
        rogue.connect(writer.address)
        rogue.sendall(struct.pack("!I", 5) + b"\xff\x00abc")  # not a message it can read
        length = struct.unpack("!I", rogue.recv(4))[0]
        assert b"unreadable message" in rogue.recv(length)
        rogue.sendall(struct.pack("!I", MAX_MESSAGE + 1))  # announces more than any submission
        assert rogue.recv(4) == b""  # cut off
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as rogue:
        rogue.connect(writer.address)
        rogue.sendall(struct.pack("!I", 100) + b"half")  # and leaves mid-message
    assert writer.write(note(2)) == 1
    assert stored_notes(notes) == ["note 1", "note 2"] and writer.starts == 1


def test_a_sender_that_never_reads_its_answers_is_cut_off_and_the_writer_serves_on(writer, notes):
    writer.write(note(1))
    message = struct.pack("!I", 1) + b"\xff"  # each answered with an error the sender never reads
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as rogue:
        rogue.connect(writer.address)
        rogue.settimeout(0.5)
        with contextlib.suppress(OSError):  # until the writer stops reading it, or cuts it off
            for _ in range(200_000):
                rogue.sendall(message * 100)
        assert writer.write(note(2)) == 1  # the writer is not stuck answering it
    assert stored_notes(notes) == ["note 1", "note 2"] and writer.starts == 1


def test_rows_the_database_refuses_are_that_submissions_error_and_the_writer_serves_on(writer, notes):
    with pytest.raises(sqlite3.OperationalError, match="no such table"):
        writer.write([("INSERT INTO nowhere VALUES (?)", [(1,)])])
    with pytest.raises(sqlite3.IntegrityError, match="NOT NULL"):
        writer.write([(INSERT, [(5, None)])])
    assert writer.write(note(6)) == 1 and stored_notes(notes) == ["note 6"]


def test_two_web_processes_writers_on_one_file_each_commit_every_submission(notes):
    first, second = WriterProcess(notes), WriterProcess(notes)
    try:
        def write_many(writer: WriterProcess, start: int) -> None:
            for n in range(start, start + 50):
                writer.write(note(n))
        threads = [threading.Thread(target=write_many, args=(w, start))
                   for w, start in ((first, 0), (second, 100), (first, 200), (second, 300))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert len(stored_notes(notes)) == 200
    finally:
        first.close()
        second.close()


def test_a_writer_that_cannot_start_is_an_error_not_a_hang(tmp_path):
    writer = WriterProcess(str(tmp_path / "no-such-dir" / "x.db"))  # SQLite cannot create the file
    with pytest.raises(WriterGone, match="did not start"):
        writer.write(note(1))
    writer.close()


def test_the_writer_process_is_the_default_on_a_sqlite_file_and_a_setting_keeps_the_writes_in_the_web_process(
        sqlite_url):
    assert IntakeSettings.from_env({}).sqlite_writer_process
    with pytest.raises(SettingError, match="INTAKE_SQLITE_WRITER_PROCESS must be true or false"):
        IntakeSettings.from_env({"INTAKE_SQLITE_WRITER_PROCESS": "sometimes"})
    in_web = migrated_runtime("intake", sqlite_url("in-web"), InMemoryBus(), INTAKE_SQLITE_WRITER_PROCESS="false")
    try:
        assert in_web.group_commit.writer is None
        assert in_web.submit(SubmitRequest(**VALID, channel="api")).tracking_code
        assert stored(in_web) == (1, 1)
    finally:
        in_web.close()
