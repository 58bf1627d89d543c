"""``giaitrinh`` — the one command line of the platform. ``giaitrinh --help`` lists everything.

Platform commands: ``up``, ``down``, ``status``, ``trial``, ``topics``; and one group per
service (``giaitrinh intake ...``, ``giaitrinh routing ...``) with its release and process
commands.
"""
from __future__ import annotations

import contextlib
import os
import signal
import sys
import time
from pathlib import Path

import click

from giaitrinh_common import migrations, topics
from giaitrinh_common.settings import SettingError, replication_factor_in
from giaitrinh_platform.services import SERVICES

PROJECT_ROOT = Path(__file__).resolve().parents[3]
DATA_DIR = click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path),
                        default=Path("var"), show_default=True, envvar="GIAITRINH_DATA_DIR",
                        help="Where SQLite files, Kafka's data and logs live [env GIAITRINH_DATA_DIR].")
KAFKA_BOOTSTRAP = click.option("--kafka-bootstrap", envvar="GIAITRINH_KAFKA_BOOTSTRAP",
                               default="127.0.0.1:9092", show_default=True,
                               help="Kafka bootstrap servers [env GIAITRINH_KAFKA_BOOTSTRAP].")


def _replication_factor() -> int:
    try:
        return replication_factor_in(os.environ)
    except SettingError as exc:
        raise click.ClickException(str(exc)) from exc


def _step(n: int, total: int, text: str) -> None:
    click.echo(click.style(f"[{n}/{total}] ", fg="cyan") + text)


def _pidfile(data_dir: Path) -> Path:
    return data_dir / "run" / "platform.pid"


def _running_pid(data_dir: Path) -> int | None:
    try:
        pid = int(_pidfile(data_dir).read_text())
        os.kill(pid, 0)
        return pid
    except (OSError, ValueError):
        return None


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
def main() -> None:
    """Giải Trình — nền tảng trách nhiệm giải trình / accountability platform.

    Start with `giaitrinh up` (the whole platform on this machine, real Kafka) or
    `giaitrinh trial` (one process, in memory, to look around).
    """


# -- platform --------------------------------------------------------------------------------
@main.command()
@DATA_DIR
@click.option("--province", default="44", show_default=True,
              help="Province whose communes and wards are seeded (44 = Quảng Trị).")
@click.option("--kafka-bootstrap", envvar="GIAITRINH_KAFKA_BOOTSTRAP", default=None,
              help="Use this Kafka instead of starting one [env GIAITRINH_KAFKA_BOOTSTRAP].")
@click.option("--kafka-port", default=9092, show_default=True, help="Port of the local broker.")
@click.option("--controller-port", default=9093, show_default=True,
              help="KRaft controller port of the local broker.")
@click.option("--ready-timeout", default=180, show_default=True,
              help="Seconds to wait for every service to answer /readyz.")
def up(data_dir: Path, province: str, kafka_bootstrap: str | None, kafka_port: int,
       controller_port: int, ready_timeout: int) -> None:
    """Run the platform here: Kafka, topics, migrations, localities, the four services, and
    the gateway: one address for all of them, printed first.

    The gateway is nginx (Debian's package; `make run` installs it) on GIAITRINH_GATEWAY_PORT
    (8000), configured from deploy/nginx/giaitrinh.conf.template: / and /open311/ go to intake,
    /console/ to routing, /dashboard/ and /reports/ to scoring, /<svc>/... to that service (its
    JSON API at /<svc>/api/v1/...), /static/ to the shared files; no /metrics. It limits POSTs
    per client address (GIAITRINH_GATEWAY_POST_RATE a minute, 60, plus a burst of
    GIAITRINH_GATEWAY_POST_BURST, 20) and sends HSTS only when GIAITRINH_GATEWAY_HSTS_MAX_AGE
    is over 0 (set it when the site is served over TLS). Its configuration and logs are in
    DATA_DIR/gateway and DATA_DIR/logs.

    Each service's database is a SQLite file in DATA_DIR unless <SVC>_DATABASE_URL is set
    (e.g. INTAKE_DATABASE_URL=postgresql+psycopg://user@host/intake). Ports: <SVC>_WEB_PORT
    (8001-8004) for the web processes, <SVC>_METRICS_PORT (9101-9104) for the workers'
    metrics. Each web process's gunicorn control socket is DATA_DIR/run/<svc>-web.ctl.

    Supervision: a process that exits (the local Kafka broker, a web process, a worker, the
    gateway) is
    logged with its exit code and log file and started again after 1 s, then 2, 4, ... up
    to 30 s while it keeps exiting (back to 1 s once it has run for 60 s). After 5 restarts
    of one process within 5 minutes, its next exit stops the whole platform (exit code 1):
    it is broken, and the platform does not run on without it.

    Ctrl-C stops it all; so does `giaitrinh down` from another terminal. A second `up`
    reuses the data.
    """
    from giaitrinh_platform.gateway import GatewayError, GatewaySettings, find_nginx
    from giaitrinh_platform.kafka_broker import LocalKafkaBroker, ensure_kafka_jars
    from giaitrinh_platform.supervisor import BrokerProcess, GaveUp, Platform, Supervisor

    data_dir = data_dir.resolve()
    try:  # before anything starts: a missing nginx or a bad setting should not cost a Kafka start
        find_nginx()
        GatewaySettings.from_env(os.environ)
    except (GatewayError, SettingError) as exc:
        raise click.ClickException(str(exc)) from exc
    if (factor := _replication_factor()) > 1 and not kafka_bootstrap:
        raise click.ClickException(
            f"GIAITRINH_REPLICATION_FACTOR={factor} needs a cluster of {factor} brokers; the broker "
            "`up` starts is one. Point --kafka-bootstrap at a cluster, or leave the factor at 1.")
    if (pid := _running_pid(data_dir)) is not None:
        raise click.ClickException(f"already running (pid {pid}); stop it with `giaitrinh down`")
    _pidfile(data_dir).parent.mkdir(parents=True, exist_ok=True)
    _pidfile(data_dir).write_text(str(os.getpid()))
    stopping = False

    def _stop(_signum, _frame):
        nonlocal stopping
        stopping = True
        raise KeyboardInterrupt

    # Installed explicitly: a shell that starts us in the background leaves SIGINT ignored.
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    broker = None
    platform = None
    gave_up: GaveUp | GatewayError | None = None
    supervisor = Supervisor()
    _echo_supervisor_log()
    total = 7
    try:
        if kafka_bootstrap:
            _step(1, total, f"Kafka: using {kafka_bootstrap}")
            _step(2, total, "Kafka broker: external, not started here")
        else:
            _step(1, total, "Kafka jars (Maven, cached in .cache/kafka/lib)")
            lib = ensure_kafka_jars(PROJECT_ROOT)
            broker = LocalKafkaBroker(lib_dir=lib, data_dir=data_dir / "kafka", port=kafka_port,
                                      controller_port=controller_port)
            _step(2, total, f"Kafka broker (KRaft, single node) on {broker.bootstrap_servers}")
            started = time.monotonic()
            broker.ensure_formatted()
            broker.start()
            broker.wait_ready(timeout=180)
            click.echo(f"      ready in {time.monotonic() - started:.1f}s")
            kafka_bootstrap = broker.bootstrap_servers
        platform = Platform(data_dir=data_dir, kafka_bootstrap=kafka_bootstrap,
                            base_env=dict(os.environ), province=province)
        _step(3, total, "topics")
        platform.create_topics()
        _step(4, total, "database migrations (Alembic); the sign-in key pair")
        platform.migrate()
        _ensure_signing_keys(platform.service_env("routing"))
        from giaitrinh_routing.adapters.reference_data import province_name, wards_of

        count = len(wards_of(province))
        with click.progressbar(length=count, label=f"[5/{total}] localities of {province_name(province)}") as bar:
            added, _ = platform.seed(bar.update)
        click.echo(f"      {added} added, {count - added} already there")
        _step(6, total, "services (gunicorn web + worker each)")
        platform.start_services()
        platform.wait_ready(timeout=ready_timeout)
        _step(7, total, f"gateway (nginx) on {platform.gateway.url}/")
        platform.start_gateway()
        platform.wait_gateway()
        click.echo(click.style("\nGiải Trình is running / đang chạy:", fg="green", bold=True))
        click.echo(click.style(f"  {platform.gateway.url}/", bold=True)
                   + "   one address / một địa chỉ: portal /, console /console/, APIs /<svc>/api/v1/")
        click.echo("  each process on its own port (ops, debugging):")
        for name in SERVICES:
            click.echo(f"  {name:<8} {platform.web_url(name)}   worker metrics "
                       f"http://127.0.0.1:{platform.metrics_ports[name]}/metrics")
        click.echo(f"  kafka    {kafka_bootstrap}")
        click.echo(f"  logs     {data_dir / 'logs'}")
        if platform.uses_mail_sink:
            click.echo(f"  mail     {platform.mail_folder}   notify's email, kept by the local SMTP sink on "
                       f"127.0.0.1:{platform.mail_sink_port} (set NOTIFY_SMTP_HOST to send for real)")
        click.echo("Ctrl-C or `giaitrinh down` stops everything.")
        if broker is not None:
            supervisor.watch(BrokerProcess(broker))
        for child in platform.children:
            supervisor.watch(child)
        while True:
            time.sleep(0.5)
            supervisor.check()
    except KeyboardInterrupt:
        click.echo("\nstopping / đang dừng ...")
    except (GaveUp, GatewayError) as exc:
        gave_up = exc
        click.echo(click.style("\nstopping the platform / đang dừng ...", fg="red"), err=True)
    finally:
        if platform is not None:
            platform.stop_services()
        if broker is not None:
            broker.stop()
        _pidfile(data_dir).unlink(missing_ok=True)
        if stopping or platform is not None:
            click.echo("stopped / đã dừng")
    if gave_up is not None:
        raise click.ClickException(str(gave_up))


def _ensure_signing_keys(env) -> None:
    """The sign-in key pair where routing's settings say, made on the first `up` (0600)."""
    from giaitrinh_routing.adapters.credentials import generate_signing_keys

    settings = SERVICES["routing"].settings(env)
    if generate_signing_keys(settings.auth_private_key, settings.auth_public_key):
        click.echo(f"      sign-in keys written to {Path(settings.auth_private_key).parent}")


def _echo_supervisor_log() -> None:
    """The supervisor's log (exits, restarts, giving up) on this terminal, with the time."""
    import logging

    colours = {logging.WARNING: "yellow", logging.ERROR: "red"}

    class Echo(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            line = f"{time.strftime('%H:%M:%S')} {record.getMessage()}"
            click.echo(click.style(line, fg=colours.get(record.levelno)), err=True)

    logger = logging.getLogger("giaitrinh_platform.supervisor")
    logger.addHandler(Echo(logging.INFO))
    logger.setLevel(logging.INFO)


@main.command()
@DATA_DIR
@click.option("--timeout", default=60, show_default=True, help="Seconds to wait for the stop.")
def down(data_dir: Path, timeout: int) -> None:
    """Stop a platform started with `giaitrinh up` in the same data dir."""
    pid = _running_pid(data_dir.resolve())
    if pid is None:
        click.echo("not running / không chạy")
        return
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while _running_pid(data_dir.resolve()) is not None:
        if time.monotonic() > deadline:
            raise click.ClickException(f"pid {pid} still running after {timeout}s")
        time.sleep(0.2)
    click.echo("stopped / đã dừng")


@main.command()
@DATA_DIR
@KAFKA_BOOTSTRAP
def status(data_dir: Path, kafka_bootstrap: str) -> None:
    """Readiness of each service (at <SVC>_WEB_PORT) and the topics on the broker."""
    from giaitrinh_common.bus import BusUnavailable
    from giaitrinh_common.kafka_bus import KafkaBus
    from giaitrinh_platform.supervisor import Platform

    platform = Platform(data_dir=data_dir.resolve(), kafka_bootstrap=kafka_bootstrap,
                        base_env=dict(os.environ))
    healthy = True
    for name in SERVICES:
        code, body = platform.readiness(name)
        healthy &= code == 200
        click.echo(f"{name:<8} {platform.web_url(name)}/readyz  {code or 'down'}  "
                   f"{body.get('checks', '')}  {body.get('detail', '')}".rstrip())
    try:
        found = KafkaBus(kafka_bootstrap, connect_timeout=5).list_topics()
        click.echo(f"topics on {kafka_bootstrap}:")
        for name, partitions in sorted(found.items()):
            if not name.startswith("__"):
                click.echo(f"  {name}  ({partitions} partitions)")
    except BusUnavailable as exc:
        healthy = False
        click.echo(f"kafka {kafka_bootstrap}: unavailable ({exc})")
    sys.exit(0 if healthy else 1)


@main.command()
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("var/trial"), show_default=True, help="Where the trial's SQLite files live.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True)
@click.option("--province", default="44", show_default=True)
def trial(data_dir: Path, host: str, port: int, province: str) -> None:
    """All four services in ONE process on an in-memory bus: a commune trying it out.

    Not the shared deployment: nothing survives in the bus between runs (the SQLite files do).
    """
    from werkzeug.serving import run_simple

    from giaitrinh_platform.trial import Trial

    trial_ = Trial(data_dir.resolve(), province=province)
    with click.progressbar(length=trial_.locality_count(), label="localities") as bar:
        trial_.prepare(bar.update)
    trial_.start_workers()
    click.echo(f"Giải Trình trial on http://{host}:{port}/ (Ctrl-C stops)")
    try:
        run_simple(host, port, trial_.wsgi_app(), threaded=True, use_reloader=False)
    finally:
        trial_.stop()


@main.command()
@click.option("--url", default=None,
              help="The platform's one address [default: http://127.0.0.1:$GIAITRINH_GATEWAY_PORT/].")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("docs/screenshots"),
              show_default=True, help="Where the pictures go.")
@click.option("--tracking-code", default=None,
              help="Picture this request's tracking page [default: submit a sample request first].")
def screenshots(url: str | None, out: Path, tracking_code: str | None) -> None:
    """Pictures of the main pages at a phone's (390x844) and a desktop's (1280x800) width,
    taken with Debian's Chromium through the gateway of a running platform (`make run`), as
    docs/screenshots/<page>-<phone|desktop>.png. Without --tracking-code it submits one sample
    request (no personal data) so the tracking page shows a timeline. `make screenshots` runs it.
    """
    from giaitrinh_platform import screenshots as shots
    from giaitrinh_platform.gateway import GatewaySettings

    base = url or f"http://127.0.0.1:{GatewaySettings.from_env(os.environ).port}/"
    try:
        code = tracking_code or shots.submit_sample_request(base)
        with shots.launch() as browser:
            written = shots.take(browser, base, out, code)
    except shots.ScreenshotError as exc:
        raise click.ClickException(str(exc)) from exc
    for path in written:
        click.echo(path)


@main.group("topics")
def topics_group() -> None:
    """Kafka topics of the platform."""


@topics_group.command("create")
@click.option("--partitions", default=topics.DEFAULT_PARTITIONS, show_default=True)
@click.option("--replication-factor", type=click.IntRange(min=1), default=None,
              help="Copies of each partition [env GIAITRINH_REPLICATION_FACTOR; default 1]; "
                   "min.insync.replicas follows it (one less, at least 1).")
@KAFKA_BOOTSTRAP
def topics_create(partitions: int, replication_factor: int | None, kafka_bootstrap: str) -> None:
    """Create every topic that does not exist yet, and bring the settings of existing ones
    (retention, min.insync.replicas) to what the platform needs (safe to run again). Fails
    if the cluster does not create them all (e.g. fewer brokers than the replication factor)."""
    from giaitrinh_platform.supervisor import TopicsMissing, create_topics

    factor = replication_factor or _replication_factor()
    try:
        names = create_topics(kafka_bootstrap, partitions, factor)
    except TopicsMissing as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{len(names)} topics present (replication factor {factor}, "
               f"min.insync.replicas {topics.min_insync_replicas(factor)})")


@topics_group.command("list")
def topics_list() -> None:
    """The platform's topics, as the contract names them."""
    for name in topics.all_topics():
        click.echo(name)


# -- one group per service ---------------------------------------------------------------------
def _service_group(name: str) -> click.Group:
    spec = SERVICES[name]

    @click.group(name=name, help=f"The {name} service.")
    def group() -> None:
        pass

    @group.command()
    def migrate() -> None:
        """Bring the service's database to the newest revision (a release step)."""
        url = spec.settings(os.environ).database_url
        migrations.upgrade(spec.package, url)
        click.echo(f"{name}: database at head")

    @group.command("check-migrations")
    def check_migrations() -> None:
        """Exit 1 if the migrated database differs from the models."""
        url = spec.settings(os.environ).database_url
        diffs = migrations.drift(url, spec.metadata())
        for d in diffs:
            click.echo(repr(d))
        sys.exit(1 if diffs else 0)

    @group.command()
    def worker() -> None:
        """Run the consumer, the outbox relay and the periodic jobs until SIGTERM."""
        from giaitrinh_common.runtime import run_worker_process

        run_worker_process(spec.bootstrap())

    _dead_letter_commands(group, name)
    _waiting_room_commands(group, name)
    if name == "notify":  # the delivery ledger: list, resend
        from giaitrinh_notify.entrypoints.deliveries_cli import deliveries

        group.add_command(deliveries)
    return group


def _waiting_room_commands(group: click.Group, service: str) -> None:
    """``waiting`` and ``release``: the consumer group's waiting room (hàng chờ)."""
    spec = SERVICES[service]

    def waiting_room():
        from giaitrinh_common.storage import Storage, make_engine
        from giaitrinh_common.waiting_room import WaitingRoom

        url = spec.settings(os.environ).database_url
        return WaitingRoom(Storage(make_engine(url), spec.metadata()), service)

    @group.command("waiting")
    @click.option("--parked", is_flag=True, help="Only parked events (failed their last attempt).")
    @click.option("--limit", default=50, show_default=True, type=click.IntRange(min=1),
                  help="Show at most this many, oldest first.")
    @click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
    def waiting(parked: bool, limit: int, as_json: bool) -> None:
        """Hàng chờ: events taken off the topics but not applied yet, oldest first, and why.

        retrying: its handler failed, tried again later; behind: an earlier event of its request
        waits; waiting_for: it follows an event not applied yet; parked: failed its last attempt
        and holds up the later events of its request (replay or release it)."""
        import json

        room = waiting_room()
        rows = room.listing(limit=limit, state="parked" if parked else None)
        summary = room.summary()
        for row in rows:
            item = {"event_id": row.event_id, "type": row.event_type, "request": row.key,
                    "stream": row.stream, "why": row.why, "attempts": row.attempts,
                    "waiting_for": row.waiting_for, "last_error": row.last_error}
            if as_json:
                click.echo(json.dumps(item, ensure_ascii=False))
            else:
                click.echo(f"{row.why:<11} {row.event_type}  {row.event_id}  request {row.key}"
                           + (f"\n    {row.last_error[:300]}" if row.last_error else ""))
        if not as_json:
            click.echo(f"{summary.waiting} waiting, {summary.parked} parked "
                       f"({summary.parked_keys} requests held) / đang chờ, bị giữ lại")

    @group.command("release")
    @click.argument("event_ids", nargs=-1, required=True)
    @click.option("--yes", is_flag=True, help="Release without asking.")
    def release(event_ids, yes: bool) -> None:
        """Let the events behind parked EVENT_IDS go on without them.

        The parked events are not applied (their dead letters stay on the dead-letter topic,
        and can still be replayed later). Prefer `replay-dead-letters` once the cause is fixed."""
        if not yes:
            click.confirm(f"Release {len(event_ids)} parked events of {service} unapplied?", abort=True)
        released = waiting_room().release(event_ids)
        click.echo(f"{released} released / đã giải phóng")
        if released < len(event_ids):
            raise click.ClickException(f"{len(event_ids) - released} of them are not parked here")


def _dead_letter_commands(group: click.Group, service: str) -> None:
    """``dead-letters`` and ``replay-dead-letters`` for one service's consumer group."""
    from giaitrinh_common.consumer import DEAD_LETTER_REASONS

    streams = topics.SUBSCRIPTIONS[service]
    stream_option = click.option(
        "--stream", "stream_names", multiple=True, type=click.Choice(streams),
        help=f"Only this stream (repeatable) [default: all that {service} reads].")
    reason_option = click.option(
        "--reason", "reasons", multiple=True, type=click.Choice(DEAD_LETTER_REASONS),
        help="Only this reason (repeatable): malformed (not a CloudEvent), schema (breaks the "
             "contract), rejected (a domain rule refused it), handler (failed every retry).")

    def gather(kafka_bootstrap: str, stream_names):
        from giaitrinh_common.bus import BusUnavailable
        from giaitrinh_common.dead_letters import read_dead_letters
        from giaitrinh_common.kafka_bus import KafkaBus

        bus = KafkaBus(kafka_bootstrap, connect_timeout=10)
        try:
            letters = [letter for stream in (stream_names or streams)
                       for letter in read_dead_letters(bus, service, stream)]
        except BusUnavailable as exc:
            raise click.ClickException(f"Kafka {kafka_bootstrap}: {exc}") from exc
        return bus, letters

    @group.command("dead-letters")
    @stream_option
    @reason_option
    @click.option("--limit", default=20, show_default=True, type=click.IntRange(min=1),
                  help="Show at most this many, newest first.")
    @click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
    @KAFKA_BOOTSTRAP
    def dead_letters(stream_names, reasons, limit: int, as_json: bool, kafka_bootstrap: str) -> None:
        """Thư lỗi: the events this service's consumer parked, and why (newest first)."""
        import json

        _bus, letters = gather(kafka_bootstrap, stream_names)
        letters = [x for x in letters if not reasons or x.reason in reasons]
        newest = sorted(letters, key=lambda x: x.failed_at.timestamp() if x.failed_at else 0,
                        reverse=True)
        for letter in newest[:limit]:
            when = letter.failed_at.isoformat(timespec="seconds") if letter.failed_at else "?"
            event = letter.event
            if as_json:
                click.echo(json.dumps({"failed_at": when, "reason": letter.reason,
                                       "detail": letter.detail, "where": letter.where,
                                       "key": letter.key, **event}, ensure_ascii=False))
            else:
                click.echo(f"{when}  {letter.reason:<9} {letter.stream}  "
                           f"{event.get('type', '-')}  {event.get('id', '-')}\n"
                           f"    {letter.detail[:300]}")
        if not as_json:
            more = len(newest) - limit
            click.echo(f"{len(newest)} dead letters" + (f" ({more} more: --limit)" if more > 0 else ""))

    @group.command("replay-dead-letters")
    @stream_option
    @reason_option
    @click.option("--yes", is_flag=True, help="Replay without asking.")
    @KAFKA_BOOTSTRAP
    def replay(stream_names, reasons, yes: bool, kafka_bootstrap: str) -> None:
        """Send parked events back to this service's consumer, once the cause is fixed.

        Each goes to the service's own retry topic, so no other service sees it again; a parked
        event gets a fresh start at the head of its request's queue (see `waiting`), and an
        event that was applied meanwhile counts as a duplicate.
        Without --reason, every reason but `malformed` (bytes that will never parse)."""
        from giaitrinh_common.bus import BusUnavailable
        from giaitrinh_common.dead_letters import replay_dead_letters, replayable

        bus, letters = gather(kafka_bootstrap, stream_names)
        letters = replayable(letters, reasons)
        if not letters:
            click.echo("no dead letters to replay / không có thư lỗi")
            return
        if not yes:
            click.confirm(f"Replay {len(letters)} dead letters to {service}?", abort=True)
        try:
            with click.progressbar(length=len(letters), label="replaying") as bar:
                sent = replay_dead_letters(bus, letters, bar.update)
        except BusUnavailable as exc:
            raise click.ClickException(f"not acknowledged, replay again: {exc}") from exc
        click.echo(f"{sent} sent back to {service} / đã gửi lại")


for _name in SERVICES:
    main.add_command(_service_group(_name))


# -- accounts, publishers' keys and the signing key (routing) -------------------------------
def _account_commands(group: click.Group) -> None:
    """``users``, ``publishers`` and ``keys``: who may sign in, and the key that signs them in.

    Passwords are read from a prompt (typed twice) or from standard input with
    ``--password-stdin``, never from an argument: arguments show in the process list and in
    the shell's history."""
    roles = ["official", "unit_head", "locality_head", "supervisor", "provincial_admin"]

    def service():
        from giaitrinh_common.bus import InMemoryBus
        from giaitrinh_routing.entrypoints.auth import account_service

        runtime = SERVICES["routing"].bootstrap(bus=InMemoryBus())
        return runtime, account_service(runtime)

    def read_password(from_stdin: bool) -> str:
        if from_stdin:
            return sys.stdin.readline().rstrip("\r\n")
        return click.prompt("Password / mật khẩu", hide_input=True, confirmation_prompt=True)

    def fail_with(problems) -> None:
        raise click.ClickException("; ".join(f"{p.field}: {p.en} / {p.vi}" for p in problems))

    password_stdin = click.option("--password-stdin", is_flag=True,
                                  help="Read the password from the first line of standard input.")

    email_option = click.option("--email", default=None,
                                help="Email notify sends this person's alerts to (optional).")
    phone_option = click.option("--phone", default=None,
                                help="Vietnamese mobile number for SMS alerts, e.g. 0912345678 (optional).")

    @group.group("users")
    def users() -> None:
        """Tài khoản: the people who sign in (the first provincial admin comes from here)."""

    @users.command("add")
    @click.argument("login")
    @click.option("--name", "display_name", required=True, help="Full name shown in the console.")
    @click.option("--role", type=click.Choice(roles), required=True)
    @click.option("--locality", "localities", multiple=True,
                  help="Locality code (repeatable for a locality head); none for a provincial admin.")
    @click.option("--unit", "unit_code", default=None, help="Unit code of an official or unit head (e.g. dia-chinh).")
    @click.option("--body", type=click.Choice(["hdnd", "mttq", "ubkt"]), default=None,
                  help="A supervisor's body.")
    @click.option("--totp", "with_totp", is_flag=True,
                  help="A one-time-code second factor for this account (always for a provincial admin).")
    @email_option
    @phone_option
    @password_stdin
    def users_add(login, display_name, role, localities, unit_code, body, with_totp, email, phone,
                  password_stdin) -> None:
        """Open an account LOGIN. A provincial admin (or --totp) gets a TOTP secret: the
        otpauth:// URI printed once goes into an authenticator app (or a QR code of it)."""
        from giaitrinh_routing.domain.accounts import AccountProblems

        password = read_password(password_stdin)
        runtime, accounts = service()
        try:
            made = accounts.add(login=login, display_name=display_name, role=role, localities=set(localities),
                                unit_code=unit_code, body=body, password=password, with_totp=with_totp,
                                email=email, phone=phone)
        except AccountProblems as exc:
            fail_with(exc.problems)
        finally:
            runtime.close()
        click.echo(f"account {made.account.login} ({made.account.role.value}) added / đã tạo tài khoản")
        if made.totp_uri:
            click.echo("TOTP (add to an authenticator app; shown once / chỉ hiện một lần):")
            click.echo(made.totp_uri)

    @users.command("list")
    @click.option("--role", type=click.Choice(roles), default=None)
    @click.option("--locality", default=None, help="Only accounts serving this locality code.")
    @click.option("--limit", default=200, show_default=True, type=click.IntRange(min=1))
    @click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
    def users_list(role, locality, limit, as_json) -> None:
        """The accounts, by login (never their secrets)."""
        import json

        runtime, accounts = service()
        try:
            found, total = accounts.accounts(0, limit, role, locality)
        finally:
            runtime.close()
        for a in found:
            item = {"login": a.login, "name": a.display_name, "role": a.role.value,
                    "localities": sorted(a.localities), "unit_code": a.unit_code,
                    "body": a.body.value if a.body else None, "totp": bool(a.totp_secret),
                    "disabled": a.disabled, "email": a.email, "phone": a.phone, "id": a.id}
            if as_json:
                click.echo(json.dumps(item, ensure_ascii=False))
            else:
                click.echo(f"{a.login:<24} {a.role.value:<17} {','.join(sorted(a.localities)) or '*':<14} "
                           f"{a.unit_code or '-':<16} {'disabled' if a.disabled else 'enabled'}"
                           f"{'  totp' if a.totp_secret else ''}  {a.display_name}")
        if not as_json:
            click.echo(f"{total} accounts / tài khoản")

    def set_disabled(login: str, disabled: bool) -> None:
        from giaitrinh_routing.service_layer.accounts import UnknownAccount

        runtime, accounts = service()
        try:
            accounts.set_disabled(login, disabled)
        except UnknownAccount:
            raise click.ClickException(f"no account {login!r} / không có tài khoản này") from None
        finally:
            runtime.close()

    @users.command("disable")
    @click.argument("login")
    def users_disable(login) -> None:
        """Disable LOGIN: its sessions end now, and a token it holds stops working within
        ROUTING_TOKEN_SECONDS (60) on every service."""
        set_disabled(login, True)
        click.echo(f"{login} disabled / đã vô hiệu hóa")

    @users.command("enable")
    @click.argument("login")
    def users_enable(login) -> None:
        """Enable LOGIN again."""
        set_disabled(login, False)
        click.echo(f"{login} enabled / đã kích hoạt lại")

    @users.command("set-contact")
    @click.argument("login")
    @click.option("--email", default=None, help="New email; an empty value removes it; left out: kept.")
    @click.option("--phone", default=None, help="New mobile number; an empty value removes it; left out: kept.")
    def users_set_contact(login, email, phone) -> None:
        """Set where notify reaches LOGIN besides the console's inbox (published to notify as
        account.changed)."""
        from giaitrinh_routing.domain.accounts import AccountProblems
        from giaitrinh_routing.service_layer.accounts import UnknownAccount

        runtime, accounts = service()
        try:
            current = accounts.account(login)
            done = accounts.set_contact(login, current.email if email is None else email,
                                        current.phone if phone is None else phone)
        except UnknownAccount:
            raise click.ClickException(f"no account {login!r} / không có tài khoản này") from None
        except AccountProblems as exc:
            fail_with(exc.problems)
        finally:
            runtime.close()
        click.echo(f"contact of {done.login}: {done.email or '-'} {done.phone or '-'} / đã cập nhật liên hệ")

    @users.command("reset-password")
    @click.argument("login")
    @click.option("--new-totp", is_flag=True, help="Also issue a new TOTP secret (a lost phone).")
    @password_stdin
    def users_reset_password(login, new_totp, password_stdin) -> None:
        """Set a new password for LOGIN: the lock-out is lifted and its sessions end."""
        from giaitrinh_routing.domain.accounts import AccountProblems
        from giaitrinh_routing.service_layer.accounts import UnknownAccount

        password = read_password(password_stdin)
        runtime, accounts = service()
        try:
            done = accounts.reset_password(login, password, new_totp=new_totp)
        except UnknownAccount:
            raise click.ClickException(f"no account {login!r} / không có tài khoản này") from None
        except AccountProblems as exc:
            fail_with(exc.problems)
        finally:
            runtime.close()
        click.echo(f"password of {done.account.login} reset / đã đặt lại mật khẩu")
        if done.totp_uri:
            click.echo("TOTP (shown once / chỉ hiện một lần):")
            click.echo(done.totp_uri)

    @users.command("export")
    @click.option("--locality", required=True, help="Commune/ward code whose officials to write.")
    def users_export(locality) -> None:
        """Write the officials of LOCALITY as CSV on stdout
        (login,full_name,role,unit_code,email,phone,active): what `users import` reads back.
        A supervisor's unit_code is their body (hdnd, mttq, ubkt). Never a password or secret."""
        import csv

        from giaitrinh_routing.domain.accounts import OFFICIAL_COLUMNS

        runtime, accounts = service()
        try:
            rows = accounts.export_officials(locality)
        finally:
            runtime.close()
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(OFFICIAL_COLUMNS)
        writer.writerows(rows)

    @users.command("import")
    @click.option("--locality", required=True, help="Commune/ward code the officials serve.")
    @click.argument("csv_file", type=click.File("r", encoding="utf-8-sig"))
    @click.option("--passwords", "passwords_file", type=click.Path(dir_okay=False), default=None,
                  help="Write the new logins' initial passwords to this file (mode 0600) instead of stdout.")
    @click.option("--actor", default="cli", show_default=True, help="Who is importing (for the audit log).")
    def users_import(locality, csv_file, passwords_file, actor) -> None:
        """Add or change the officials of LOCALITY from CSV_FILE ('-' for stdin), in the columns
        of `users export` (login,full_name,role,unit_code,email,phone,active).

        Every row is checked first: the login's form, a role of a locality (official,
        unit_head, locality_head, supervisor; never provincial_admin), a unit of LOCALITY (a
        supervisor's body: hdnd, mttq, ubkt), email and phone as `set-contact` checks them, each
        login once, and an existing login serving LOCALITY. A file with any bad row is refused
        whole, each problem named with its line number. Otherwise, in one transaction: new
        logins are opened, each with a random initial password printed once as CSV
        (login,initial_password) or written to --passwords; existing ones get the row's name,
        role, unit, contact and active state. Each change is audited and sent to notify
        (account.changed) as a single change is."""
        import csv

        from giaitrinh_routing.service_layer.handlers import ImportRefused

        rows = list(csv.DictReader(csv_file))
        runtime, accounts = service()
        try:
            counts, passwords = accounts.import_officials(locality, rows, by=actor)
        except ImportRefused as exc:
            for problem in exc.problems:  # each row's problem in both languages
                click.echo(f"{problem.text_en} / {problem.text_vi}", err=True)
            raise click.ClickException(
                f"nothing imported: {len(exc.problems)} problems / không nhập dòng nào") from None
        finally:
            runtime.close()
        if passwords:
            if passwords_file:
                fd = os.open(passwords_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                os.fchmod(fd, 0o600)  # an existing file keeps its mode otherwise
                out = os.fdopen(fd, "w", encoding="utf-8", newline="")
            else:
                out = sys.stdout
            writer = csv.writer(out, lineterminator="\n")
            writer.writerow(("login", "initial_password"))
            writer.writerows(sorted(passwords.items()))
            if out is not sys.stdout:
                out.close()
        click.echo(f"{counts['added']} added, {counts['changed']} changed, {counts['unchanged']} unchanged",
                   err=True)

    @group.group("publishers")
    def publishers() -> None:
        """API keys of systems that publish requests (inbound channel, Open311 POST)."""

    @publishers.command("add")
    @click.argument("name")
    @click.option("--locality", "localities", multiple=True, required=True,
                  help="Locality code the system publishes for (repeatable).")
    def publishers_add(name, localities) -> None:
        """A key for system NAME, printed once (only its digest is kept). The system trades it
        for a token at POST /api/v1/auth/token {"api_key": ...}."""
        from giaitrinh_routing.domain.accounts import AccountProblems

        runtime, accounts = service()
        try:
            _key, secret = accounts.add_api_key(name, set(localities))
        except AccountProblems as exc:
            fail_with(exc.problems)
        finally:
            runtime.close()
        click.echo(f"API key of {name} (shown once / chỉ hiện một lần):")
        click.echo(secret)

    @publishers.command("list")
    def publishers_list() -> None:
        """The publishers' keys (names and localities; never the keys)."""
        runtime, accounts = service()
        try:
            keys = accounts.api_keys()
        finally:
            runtime.close()
        for k in keys:
            click.echo(f"{k.name:<24} {','.join(sorted(k.localities)):<20} {'disabled' if k.disabled else 'enabled'}")
        click.echo(f"{len(keys)} keys / khóa")

    @publishers.command("disable")
    @click.argument("name")
    def publishers_disable(name) -> None:
        """Disable NAME's key: no new token; the last one works for at most a minute."""
        from giaitrinh_routing.service_layer.accounts import UnknownAccount

        runtime, accounts = service()
        try:
            accounts.set_api_key_disabled(name, True)
        except UnknownAccount:
            raise click.ClickException(f"no key {name!r} / không có khóa này") from None
        finally:
            runtime.close()
        click.echo(f"{name} disabled / đã vô hiệu hóa")

    @group.group("keys")
    def keys() -> None:
        """The Ed25519 key pair of sign-in tokens: routing signs with the private key
        (ROUTING_AUTH_PRIVATE_KEY), every service verifies with the public one
        (GIAITRINH_AUTH_PUBLIC_KEY)."""

    @keys.command("generate")
    @click.option("--replace", is_flag=True,
                  help="Write a new pair even if one exists (every token out stops working).")
    def keys_generate(replace) -> None:
        """Write the key pair where the settings say (default DATA_DIR/keys/), the private key
        readable by its owner only (0600). Safe to run again: an existing pair is kept."""
        from giaitrinh_routing.adapters.credentials import generate_signing_keys

        settings = SERVICES["routing"].settings(os.environ)
        made = generate_signing_keys(settings.auth_private_key, settings.auth_public_key, replace=replace)
        click.echo(f"{'written' if made else 'kept'}: {settings.auth_private_key} (private), "
                   f"{settings.auth_public_key} (public)")


_account_commands(main.commands["routing"])  # type: ignore[arg-type]


@main.commands["routing"].command("seed-localities")
@click.option("--province", default="44", show_default=True, help="Province code (44 = Quảng Trị).")
def seed_localities_cmd(province: str) -> None:
    """Register and serve every commune and ward of a province (safe to run again); each is
    published (locality.changed) for intake and scoring when routing's worker relays."""
    from giaitrinh_common.bus import InMemoryBus
    from giaitrinh_platform.localities import seed_province
    from giaitrinh_routing.adapters.reference_data import province_name, wards_of

    runtime = SERVICES["routing"].bootstrap(bus=InMemoryBus())
    try:
        with click.progressbar(length=len(wards_of(province)), label=province_name(province)) as bar:
            added, total = seed_province(runtime, province, bar.update)
    finally:
        runtime.close()
    click.echo(f"{added} added, {total - added} already registered")



# -- deadlines ---------------------------------------------------------------------------------
@main.group()
def deadline() -> None:
    """Thời hạn: the deadline the platform applies, on the Vietnamese working-day calendar.

    Each command prints the ISO date of the deadline and nothing else (for scripts); --json
    shows the working: the rule set, and every day skipped and why.
    """


KIND = click.option("--kind", type=click.Choice(["accountability_request", "feedback"]),
                    default="accountability_request", show_default=True,
                    help="Yêu cầu giải trình or phản ánh, kiến nghị.")
AS_JSON = click.option("--json", "as_json", is_flag=True, help="Show the working as JSON.")
RECEIVED = click.option("--received", type=click.DateTime(["%Y-%m-%d"]), default=None,
                        help="Day the request was received, which picks the rule set in force "
                             "[default: DATE].")


def _deadline(kind: str, day, received, as_json: bool, step: str, days: int | None = None) -> None:
    import json

    from giaitrinh_routing.adapters.time_limits import load_rule_book
    from giaitrinh_routing.domain.calendar import WorkingDayCalendar
    from giaitrinh_routing.domain.time_limits import TimeLimit

    start = day.date()
    limits = load_rule_book().in_force(kind, (received or day).date())
    period = {"accept": limits.accept, "explain": limits.explain,
              "extend": limits.extension_max}[step]
    if days is not None:
        if not 1 <= days <= limits.extension_max.amount:
            raise click.BadParameter(f"1 to {limits.extension_max.amount}", param_hint="--days")
        period = TimeLimit(days, period.unit)
    count = period.end(WorkingDayCalendar(), start)
    if as_json:
        click.echo(json.dumps({"step": step, "from": start.isoformat(), "deadline": count.end.isoformat(),
                               "period": {"amount": period.amount, "unit": period.unit.value},
                               "rule_set": limits.id, "legal_basis": limits.legal_basis,
                               "skipped": [{"day": d.day.isoformat(), "why": d.why} for d in count.skipped]},
                              ensure_ascii=False, indent=2))
    else:
        click.echo(count.end.isoformat())


@deadline.command("accept")
@click.argument("date", type=click.DateTime(["%Y-%m-%d"]))
@KIND
@AS_JSON
def deadline_accept(date, kind: str, as_json: bool) -> None:
    """Last day to accept or refuse a request received on DATE (YYYY-MM-DD)."""
    _deadline(kind, date, None, as_json, "accept")


@deadline.command("explain")
@click.argument("date", type=click.DateTime(["%Y-%m-%d"]))
@KIND
@RECEIVED
@AS_JSON
def deadline_explain(date, kind: str, received, as_json: bool) -> None:
    """Last day to explain, for a request accepted on DATE (YYYY-MM-DD)."""
    _deadline(kind, date, received, as_json, "explain")


@deadline.command("extend")
@click.argument("date", type=click.DateTime(["%Y-%m-%d"]))
@click.option("--days", type=int, default=None,
              help="Extend by this many [default: the most the rule set allows].")
@KIND
@RECEIVED
@AS_JSON
def deadline_extend(date, days: int | None, kind: str, received, as_json: bool) -> None:
    """The new deadline when a deadline of DATE (YYYY-MM-DD) is extended (once)."""
    _deadline(kind, date, received, as_json, "extend", days)


# -- audit log ---------------------------------------------------------------------------------
@main.group()
def audit() -> None:
    """Nhật ký kiểm toán: routing's append-only, hash-chained log of every change."""


@audit.command("verify")
def audit_verify() -> None:
    """Check the whole chain; exit 1 naming the first row edited, removed or out of order.

    Reads the database of ROUTING_DATABASE_URL (default: var/routing.db)."""
    from giaitrinh_common.storage import Storage, make_engine
    from giaitrinh_routing.adapters.repository import read_audit_log
    from giaitrinh_routing.domain.audit import first_break

    spec = SERVICES["routing"]
    storage = Storage(make_engine(spec.settings(os.environ).database_url), spec.metadata())
    try:
        with storage.sessions() as session:
            rows, head = read_audit_log(session)
    finally:
        storage.engine.dispose()
    problem = first_break(rows, head)
    if problem is not None:
        click.echo(f"audit log broken / nhật ký bị sửa: {problem}", err=True)
        sys.exit(1)
    click.echo(f"audit log intact: {len(rows)} rows / nhật ký nguyên vẹn")


# -- routing's registry: units and routing rules ---------------------------------------------
@contextlib.contextmanager
def _routing_registry():
    """Routing's runtime and one unit of work on its database, both closed afterwards. Registry
    commands change routing's database only; the events they cause wait in its outbox for the
    worker's relay."""
    from giaitrinh_common.bus import InMemoryBus

    runtime = SERVICES["routing"].bootstrap(bus=InMemoryBus())
    try:
        with runtime.unit_of_work() as uow:
            yield runtime, uow
    finally:
        runtime.close()


@main.commands["routing"].group("units")
def units_group() -> None:
    """Đơn vị: the units of each commune/ward (the registry is their one source)."""


@units_group.command("export")
@click.option("--locality", default=None, help="Only this commune/ward code [default: all].")
def units_export(locality: str | None) -> None:
    """Write the units as CSV on stdout (locality_code,code,name,kind,active)."""
    import csv

    from giaitrinh_routing.domain.registry import UNIT_COLUMNS

    with _routing_registry() as (_runtime, uow):
        found = uow.units.units_of(locality)
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(UNIT_COLUMNS)
    for u in found:
        writer.writerow([u.locality_code, u.code, u.name, u.kind.value, str(u.active).lower()])


@units_group.command("import")
@click.argument("csv_file", type=click.File("r", encoding="utf-8-sig"))
@click.option("--actor", default="cli", show_default=True, help="Who is importing (for the audit log).")
def units_import(csv_file, actor: str) -> None:
    """Add or change units from CSV_FILE ('-' for stdin). Every row is checked first; a file
    with any bad row is refused whole, each problem named with its line number and column, in
    English and Vietnamese."""
    import csv

    from giaitrinh_routing.service_layer.handlers import ImportRefused, import_units

    rows = list(csv.DictReader(csv_file))
    try:
        with _routing_registry() as (runtime, uow):
            counts = import_units(uow, rows, actor, runtime.now())
            uow.commit()
    except ImportRefused as exc:
        for problem in exc.problems:  # each row's problem in both languages
            click.echo(f"{problem.text_en} / {problem.text_vi}", err=True)
        raise click.ClickException(f"nothing imported: {len(exc.problems)} problems / không nhập dòng nào") from None
    click.echo(f"{counts['added']} added, {counts['changed']} changed, {counts['unchanged']} unchanged")


@main.commands["routing"].group("rules")
def rules_group() -> None:
    """Quy tắc phân công: which unit handles which field in a commune/ward."""


@rules_group.command("list")
@click.argument("locality")
def rules_list(locality: str) -> None:
    """The rules of LOCALITY: field, unit, default official."""
    with _routing_registry() as (_runtime, uow):
        rules = uow.units.rules_of(locality)
    if not rules:
        raise click.ClickException(f"no rules for {locality!r}: is it registered? (seed-localities)")
    for field_name in sorted(rules):
        rule = rules[field_name]
        click.echo(f"{field_name:<28} {rule.unit_code:<18} {rule.official_id}")


@rules_group.command("set")
@click.argument("locality")
@click.argument("field_name", metavar="FIELD")
@click.argument("unit")
@click.option("--official", default="", help="Default official of the unit for this field.")
@click.option("--actor", default="cli", show_default=True, help="Who changes it (for the audit log).")
def rules_set(locality: str, field_name: str, unit: str, official: str, actor: str) -> None:
    """Route requests of FIELD in LOCALITY to UNIT (one of its active handling units)."""
    from giaitrinh_routing.domain.case import InvalidAction
    from giaitrinh_routing.domain.registry import RoutingRule
    from giaitrinh_routing.service_layer.handlers import set_rule

    try:
        with _routing_registry() as (runtime, uow):
            set_rule(uow, RoutingRule(locality, field_name, unit, official), actor, runtime.now())
            uow.commit()
    except InvalidAction as exc:
        raise click.ClickException("; ".join(f"{p.field}: {p.en}" for p in exc.problems)) from None
    click.echo(f"{locality} {field_name} → {unit}")


# -- the deadline watcher, by hand -------------------------------------------------------------
@main.commands["routing"].command("watch")
@click.option("--now", "at", default=None, metavar="ISO-TIME",
              help="Sweep as if it were this moment (e.g. 2026-12-01T09:00+07:00): a rehearsal or a "
                   "test clock. The alerts it raises are real, and once each. Default: the clock.")
@click.option("--case", "case_ids", multiple=True, metavar="CASE-ID",
              help="Only this case (repeatable); default: every case with something due.")
def watch_cmd(at: str | None, case_ids: tuple[str, ...]) -> None:
    """One sweep of the deadline watcher — what routing's worker does every
    ROUTING_WATCH_EVERY_SECONDS: due soon, overdue and escalation alerts, each raised once per
    case and step (a sweep running beside the worker's raises nothing twice). The alerts go out
    through routing's outbox, published by the worker's relay."""
    from datetime import UTC, datetime

    from giaitrinh_common.bus import InMemoryBus

    clock = None
    if at is not None:
        try:
            moment = datetime.fromisoformat(at)
        except ValueError:
            raise click.BadParameter(f"not an ISO date-time: {at!r}", param_hint="--now") from None
        if moment.tzinfo is None:
            raise click.BadParameter("give the time zone, e.g. +07:00", param_hint="--now")
        clock = moment.astimezone(UTC).timestamp
    runtime = SERVICES["routing"].bootstrap(bus=InMemoryBus(), **({"clock": clock} if clock else {}))
    try:
        raised = runtime.watch_cases(list(case_ids)) if case_ids else runtime.watch()
    finally:
        runtime.close()
    click.echo(f"{raised} alerts raised / cảnh báo đã phát")


# -- routing's registry: which localities are served ---------------------------------------------
@main.commands["routing"].group("localities")
def localities_group() -> None:
    """Xã, phường: which communes and wards the platform serves (the provincial admin decides;
    intake and scoring learn it from routing's locality.changed)."""


def _serve_localities(codes: tuple[str, ...], served: bool, actor: str) -> None:
    from giaitrinh_routing.adapters.reference_data import official_locality
    from giaitrinh_routing.service_layer.handlers import UnknownLocality, set_locality_served

    unknown = [c for c in codes if official_locality(c) is None]
    if unknown:  # checked first: nothing changes when one code is wrong
        raise click.ClickException("not in the official list of communes and wards: " + ", ".join(unknown))
    try:
        with _routing_registry() as (runtime, uow):
            for code in codes:
                locality = set_locality_served(uow, code, served, actor, runtime.now(), official_locality)
                click.echo(f"{locality.code} {locality.name}: {'served' if served else 'not served'}")
            uow.commit()
    except UnknownLocality as exc:
        raise click.ClickException(f"not in the official list: {exc}") from None


@localities_group.command("enable")
@click.argument("codes", nargs=-1, required=True)
@click.option("--actor", default="cli", show_default=True, help="Who decides it (for the audit log).")
def localities_enable(codes: tuple[str, ...], actor: str) -> None:
    """Serve the communes/wards CODES (registered with the default units when new)."""
    _serve_localities(codes, True, actor)


@localities_group.command("disable")
@click.argument("codes", nargs=-1, required=True)
@click.option("--actor", default="cli", show_default=True, help="Who decides it (for the audit log).")
def localities_disable(codes: tuple[str, ...], actor: str) -> None:
    """Stop serving the communes/wards CODES (their cases stay)."""
    _serve_localities(codes, False, actor)


if __name__ == "__main__":  # last: every command above is on the group before it runs
    main()
