"""The Docker deployment hangs together: compose file, images, Prometheus and Grafana.

Nothing here starts a container. The files are parsed and cross-checked so that a service
renamed in one place, a database URL pasted into the wrong service, or a dashboard querying
a metric nobody exports fails in the unit tier rather than on a province's server.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from giaitrinh_common import topics
from giaitrinh_platform.services import SERVICES as SERVICE_SPECS

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
PROMETHEUS_FILE = ROOT / "deploy" / "prometheus" / "prometheus.yml"
PROMETHEUS_LOCAL_FILE = ROOT / "deploy" / "prometheus" / "local.yml"
POSTGRES_INIT_SQL = ROOT / "deploy" / "postgres" / "init" / "01-databases.sql"
GRAFANA_PROVISIONING = ROOT / "deploy" / "grafana" / "provisioning"
GRAFANA_DATASOURCES = GRAFANA_PROVISIONING / "datasources" / "prometheus.yml"
GRAFANA_PROVIDERS = GRAFANA_PROVISIONING / "dashboards" / "giaitrinh.yml"
GRAFANA_DASHBOARDS_DIR = ROOT / "deploy" / "grafana" / "dashboards"
PLATFORM_HEALTH_DASHBOARD = GRAFANA_DASHBOARDS_DIR / "platform-health.json"

SERVICES = ("intake", "routing", "scoring", "notify")
HOST_WEB_PORTS = {"intake": 8001, "routing": 8002, "scoring": 8003, "notify": 8004}
LOCAL_WORKER_METRICS_PORTS = {"intake": 9101, "routing": 9102, "scoring": 9103, "notify": 9104}
WEB_PORT = 8000
WORKER_METRICS_PORT = 9100
KAFKA_NODES = ("kafka-1", "kafka-2", "kafka-3")
ONE_SHOTS = frozenset({"topics", "seed-localities", "routing-keys",
                       *(f"{s}-migrate" for s in SERVICES)})

# Every metric the services export (names as exposed; histograms as their base name).
COUNTERS_AND_GAUGES = frozenset({
    "up",
    "giaitrinh_events_produced_total",
    "giaitrinh_events_consumed_total",
    "giaitrinh_events_dead_lettered_total",
    "giaitrinh_outbox_backlog",
    "giaitrinh_consumer_lag",
    "giaitrinh_http_requests_total",
})
HISTOGRAMS = frozenset({"giaitrinh_handler_seconds", "giaitrinh_http_request_seconds"})
PLATFORM_METRICS = COUNTERS_AND_GAUGES | {
    f"{name}{suffix}" for name in HISTOGRAMS for suffix in ("_bucket", "_sum", "_count")
}


# --- helpers ---------------------------------------------------------------------------

def load_yaml(path: Path) -> dict:
    with path.open(encoding="utf-8") as f:
        return yaml.safe_load(f)


def interpolate_defaults(value: str) -> str:
    """Resolve ${VAR:-default} / ${VAR-default} to the default and ${VAR} to ''."""
    return re.sub(r"\$\{[A-Za-z_][A-Za-z0-9_]*(?::?-([^}]*))?\}",
                  lambda m: m.group(1) or "", value)


def environment_of(service: dict) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {key: "" if value is None else str(value) for key, value in env.items()}


def as_argv(command: str | list[str] | None) -> list[str]:
    if command is None:
        return []
    return command.split() if isinstance(command, str) else [str(part) for part in command]


def dockerfile_of(service: dict) -> Path | None:
    build = service.get("build")
    if build is None:
        return None
    if isinstance(build, str):
        build = {"context": build}
    context = ROOT / build.get("context", ".")
    return context / build.get("dockerfile", "Dockerfile")


def build_args(service: dict) -> dict[str, str]:
    build = service.get("build")
    args = (build.get("args") if isinstance(build, dict) else None) or {}
    if isinstance(args, list):
        args = dict(item.split("=", 1) if "=" in item else (item, "") for item in args)
    return {key: "" if value is None else str(value) for key, value in args.items()}


def dockerfile_instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    lines = [line for line in path.read_text(encoding="utf-8").splitlines()
             if not line.lstrip().startswith("#")]
    joined = re.sub(r"\\\n", " ", "\n".join(lines))
    instructions = []
    for line in joined.splitlines():
        if line.strip():
            keyword, _, rest = line.strip().partition(" ")
            instructions.append((keyword.upper(), rest.strip()))
    return instructions


def dockerfile_cmd(path: Path) -> list[str]:
    cmds = [rest for keyword, rest in dockerfile_instructions(path) if keyword == "CMD"]
    assert cmds, f"{path.relative_to(ROOT)} has no CMD"
    last = cmds[-1]
    return json.loads(last) if last.startswith("[") else last.split()


def expand(value: str, scope: dict[str, str]) -> str:
    """$VAR and ${VAR} as the Dockerfile expands them (unset -> '')."""
    return re.sub(r"\$(?:\{(\w+)\}|(\w+))", lambda m: scope.get(m.group(1) or m.group(2), ""), value)


def image_env(path: Path, args: dict[str, str]) -> dict[str, str]:
    """The ENV of the image built from `path` with build `args` (ARG defaults applied)."""
    scope: dict[str, str] = {}
    env: dict[str, str] = {}
    for keyword, rest in dockerfile_instructions(path):
        if keyword == "ARG":
            name, _, default = rest.partition("=")
            scope[name] = args.get(name, default)
        elif keyword == "ENV":
            for pair in shlex.split(rest):
                name, _, value = pair.partition("=")
                env[name] = scope[name] = expand(value, scope)
    return env


_ARGV_PRINTER = "import json, sys, pathlib; print(json.dumps([pathlib.Path(sys.argv[0]).name, *sys.argv[1:]]))"


def shell_argv(argv: list[str], env: dict[str, str]) -> list[str]:
    """What `sh -c '...'` finally executes: the real shell runs the script, with `env` and
    `gunicorn` replaced by stand-ins that print the arguments they were given."""
    with tempfile.TemporaryDirectory() as fakes:
        for name in ("env", "gunicorn"):
            fake = Path(fakes) / name
            fake.write_text(f"#!{sys.executable}\n{_ARGV_PRINTER}\n", encoding="utf-8")
            fake.chmod(0o755)
        result = subprocess.run(argv, env={**env, "PATH": f"{fakes}{os.pathsep}{os.environ['PATH']}"},
                                capture_output=True, text=True, timeout=30, check=False)
    assert result.returncode == 0 and result.stdout, f"{argv} did not run: {result.stderr}"
    return json.loads(result.stdout)


def effective_command(service: dict) -> list[str]:
    if "command" in service:
        return as_argv(service["command"])
    dockerfile = dockerfile_of(service)
    if dockerfile is None:
        return []
    cmd = dockerfile_cmd(dockerfile)
    if cmd[:2] == ["sh", "-c"]:
        return shell_argv(cmd, image_env(dockerfile, build_args(service)))
    return cmd


def listening_ports(service: dict) -> set[int]:
    """Ports a giaitrinh process listens on: gunicorn's --bind and <SVC>_METRICS_PORT."""
    ports = {int(interpolate_defaults(value)) for key, value in environment_of(service).items()
             if key.endswith("_METRICS_PORT")}
    argv = effective_command(service)
    for i, arg in enumerate(argv):
        bind = argv[i + 1] if arg in ("--bind", "-b") and i + 1 < len(argv) else None
        if arg.startswith("--bind="):
            bind = arg.split("=", 1)[1]
        if bind:
            ports.add(int(bind.rsplit(":", 1)[1]))
    return ports


def database_urls(service: dict) -> dict[str, str]:
    return {key: interpolate_defaults(value) for key, value in environment_of(service).items()
            if key.endswith("_DATABASE_URL")}


def owner_of(name: str, service: dict) -> str | None:
    """Which of the four services a compose service runs code for, if any."""
    argv = as_argv(service.get("command"))
    if len(argv) >= 2 and argv[0] == "giaitrinh" and argv[1] in SERVICES:
        return argv[1]
    prefix = name.split("-", 1)[0]
    return prefix if prefix in SERVICES else None


def scrape_targets(config: dict) -> list[tuple[str, str, dict]]:
    """(job_name, 'host:port', labels) for every static target."""
    found = []
    for job in config["scrape_configs"]:
        for static in job.get("static_configs", []):
            for target in static["targets"]:
                found.append((job["job_name"], target, static.get("labels", {})))
    return found


_PROMQL_KEYWORDS = frozenset({"by", "without", "on", "ignoring", "group_left", "group_right",
                              "offset", "bool", "and", "or", "unless", "inf", "nan", "atan2"})


def metric_names_in(expr: str) -> set[str]:
    """Metric names a PromQL expression selects (functions, labels and keywords removed)."""
    expr = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    expr = re.sub(r"\{[^}]*\}", "", expr)
    expr = re.sub(r"\[[^\]]*\]", "", expr)
    expr = re.sub(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", expr)
    names = set()
    for match in re.finditer(r"(?<![\w:.$])([A-Za-z_:][\w:]*)\s*(\()?", expr):
        word, is_call = match.group(1), match.group(2)
        if not is_call and word.lower() not in _PROMQL_KEYWORDS:
            names.add(word)
    return names


def panels_of(dashboard: dict) -> list[dict]:
    panels = []
    for panel in dashboard.get("panels", []):
        panels.append(panel)
        panels.extend(panel.get("panels", []))  # collapsed rows keep their panels inside
    return panels


def bind_mounts(service: dict) -> list[tuple[str, str]]:
    """(host source, container target) of every bind mount with a relative host path."""
    mounts = []
    for volume in service.get("volumes", []):
        if isinstance(volume, str):
            parts = volume.split(":")
            if len(parts) >= 2 and parts[0].startswith("."):
                mounts.append((parts[0], parts[1]))
        elif volume.get("type") == "bind" and str(volume.get("source", "")).startswith("."):
            mounts.append((volume["source"], volume["target"]))
    return mounts


# --- fixtures --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def compose() -> dict:
    return load_yaml(COMPOSE_FILE)


@pytest.fixture(scope="module")
def services(compose: dict) -> dict[str, dict]:
    return compose["services"]


@pytest.fixture(scope="module")
def prometheus() -> dict:
    return load_yaml(PROMETHEUS_FILE)


@pytest.fixture(scope="module")
def dashboard() -> dict:
    return json.loads(PLATFORM_HEALTH_DASHBOARD.read_text(encoding="utf-8"))


# --- compose: services and processes ---------------------------------------------------

def test_every_service_has_an_image_or_a_build_whose_dockerfile_is_in_the_repo(services):
    for name, service in services.items():
        assert "image" in service or "build" in service, f"{name} has neither image nor build"
        dockerfile = dockerfile_of(service)
        if dockerfile is not None:
            assert dockerfile.is_file(), f"{name} builds from missing {dockerfile}"
            assert ROOT in dockerfile.resolve().parents, f"{name} builds from outside the repo"


def test_every_service_has_a_web_a_worker_and_a_migrate_step(services):
    for svc in SERVICES:
        for process in ("web", "worker", "migrate"):
            assert f"{svc}-{process}" in services, f"{svc}-{process} is missing"


def test_workers_and_migrations_run_the_giaitrinh_cli_and_webs_run_gunicorn(services):
    for svc in SERVICES:
        assert as_argv(services[f"{svc}-worker"]["command"]) == ["giaitrinh", svc, "worker"]
        assert as_argv(services[f"{svc}-migrate"]["command"]) == ["giaitrinh", svc, "migrate"]
        web = effective_command(services[f"{svc}-web"])
        assert "gunicorn" in web
        assert f"giaitrinh_{svc}.entrypoints.web:create_app()" in web


def test_the_platform_one_shots_create_topics_and_seed_quang_tri(services):
    assert as_argv(services["topics"]["command"]) == ["giaitrinh", "topics", "create"]
    assert as_argv(services["seed-localities"]["command"]) == [
        "giaitrinh", "routing", "seed-localities", "--province", "44"]
    assert services["seed-localities"]["depends_on"]["routing-migrate"]["condition"] == (
        "service_completed_successfully")


def test_every_long_running_service_has_a_healthcheck_and_restarts_unless_stopped(services):
    assert services.keys() >= ONE_SHOTS
    for name, service in services.items():
        if name in ONE_SHOTS:
            continue
        healthcheck = service.get("healthcheck") or {}
        assert healthcheck.get("test") and not healthcheck.get("disable"), (
            f"{name} is long-running but has no healthcheck")
        assert service.get("restart") == "unless-stopped", f"{name} does not restart"


def test_one_shots_run_once_and_are_never_restarted(services):
    for name in ONE_SHOTS:
        assert services[name].get("restart", "no") == "no", f"{name} would run again and again"


def test_every_dependency_waits_for_something_the_dependency_can_report(services):
    for name, service in services.items():
        for dependency, spec in (service.get("depends_on") or {}).items():
            assert dependency in services, f"{name} depends on unknown {dependency}"
            condition = spec["condition"]
            if condition == "service_healthy":
                assert services[dependency].get("healthcheck", {}).get("test"), (
                    f"{name} waits for {dependency} to be healthy, which it cannot report")
            if condition == "service_completed_successfully":
                assert dependency in ONE_SHOTS, f"{name} waits for {dependency} to exit"


def test_every_web_and_worker_starts_after_its_migration_and_the_infrastructure(services):
    for svc in SERVICES:
        for process in ("web", "worker"):
            depends_on = services[f"{svc}-{process}"]["depends_on"]
            assert depends_on[f"{svc}-migrate"]["condition"] == "service_completed_successfully"
            assert depends_on["postgres"]["condition"] == "service_healthy"
            for broker in KAFKA_NODES:
                assert depends_on[broker]["condition"] == "service_healthy"
        worker_deps = services[f"{svc}-worker"]["depends_on"]
        assert worker_deps["topics"]["condition"] == "service_completed_successfully"


def test_web_ports_are_published_on_8001_to_8004_with_prometheus_and_grafana_beside(services):
    for svc, host_port in HOST_WEB_PORTS.items():
        assert f"{host_port}:{WEB_PORT}" in [str(p) for p in services[f"{svc}-web"]["ports"]]
    assert "9090:9090" in services["prometheus"]["ports"]
    assert "3000:3000" in services["grafana"]["ports"]


# --- compose: the gateway ------------------------------------------------------------------

GATEWAY_TEMPLATE = ROOT / "deploy" / "nginx" / "giaitrinh.conf.template"


def test_the_gateway_is_nginx_rendering_the_one_gateway_file_in_place_of_the_default_site(services):
    gateway = services["gateway"]
    assert gateway["image"].split(":")[0] == "nginx"
    mounts = dict(bind_mounts(gateway))
    # The image renders /etc/nginx/templates/X.template into /etc/nginx/conf.d/X: default.conf
    # replaces the image's own site (which would listen on 80 beside ours).
    assert mounts["./deploy/nginx/giaitrinh.conf.template"] == "/etc/nginx/templates/default.conf.template"
    assert [v for v in gateway["volumes"] if "giaitrinh.conf.template" in v][0].endswith(":ro")
    # Its envsubst step touches only the template's own names, never nginx's $variables.
    assert environment_of(gateway)["NGINX_ENVSUBST_FILTER"] == "^GATEWAY_"


def test_the_gateway_is_given_every_name_its_template_uses_and_no_other(services):
    used = set(re.findall(r"\$\{?(GATEWAY_[A-Z0-9_]+)", GATEWAY_TEMPLATE.read_text(encoding="utf-8")))
    given = {key for key in environment_of(services["gateway"]) if key.startswith("GATEWAY_")}
    assert used == given


def test_the_gateway_sends_each_service_to_its_web_process_on_the_port_gunicorn_binds(services):
    env = environment_of(services["gateway"])
    for svc in SERVICES:
        host, port = env[f"GATEWAY_{svc.upper()}"].split(":")
        assert host == f"{svc}-web" and int(port) in listening_ports(services[host])
        assert services["gateway"]["depends_on"][host]["condition"] == "service_healthy"


def test_the_gateway_is_the_address_published_on_8000_and_the_one_citizens_are_given(services):
    env = environment_of(services["gateway"])
    assert f"${{GIAITRINH_GATEWAY_PORT:-8000}}:{env['GATEWAY_LISTEN']}" in services["gateway"]["ports"]
    public = interpolate_defaults(environment_of(services["intake-web"])["INTAKE_PUBLIC_BASE_URL"])
    assert urlsplit(public).port == 8000


def test_the_gateway_serves_the_repositorys_static_folder_where_its_template_is_told(services):
    env = environment_of(services["gateway"])
    mounts = dict(bind_mounts(services["gateway"]))
    assert mounts["./services/common/giaitrinh_common/static"] == env["GATEWAY_STATIC_ROOT"]


def test_the_gateway_tells_a_refused_client_when_its_next_post_is_allowed(services):
    env = environment_of(services["gateway"])
    assert int(env["GATEWAY_RETRY_AFTER"]) == -(-60 // int(env["GATEWAY_POST_RATE"]))


def test_the_gateway_sends_hsts_only_when_asked_for_it(services):
    assert interpolate_defaults(environment_of(services["gateway"])["GATEWAY_HSTS_MAX_AGE"]) == "0"


def test_the_gateway_health_check_asks_the_gateways_own_address(services):
    check = " ".join(services["gateway"]["healthcheck"]["test"])
    assert f"127.0.0.1:{environment_of(services['gateway'])['GATEWAY_LISTEN']}/gateway/healthz" in check
    assert "location = /gateway/healthz" in GATEWAY_TEMPLATE.read_text(encoding="utf-8")


# --- compose: environment and databases ------------------------------------------------

def test_each_web_and_worker_gets_the_broker_and_its_own_database(services):
    for svc in SERVICES:
        for process in ("web", "worker", "migrate"):
            env = environment_of(services[f"{svc}-{process}"])
            assert env.get("GIAITRINH_KAFKA_BOOTSTRAP"), f"{svc}-{process} has no broker"
            url = urlsplit(interpolate_defaults(env[f"{svc.upper()}_DATABASE_URL"]))
            assert url.scheme == "postgresql+psycopg"
            assert url.hostname == "postgres" and url.port == 5432
            assert url.path == f"/{svc}", f"{svc}-{process} points at {url.path}"


def test_no_service_is_given_another_services_database_url(services):
    for name, service in services.items():
        urls = database_urls(service)
        owner = owner_of(name, service)
        if owner is None:
            assert not urls, f"{name} belongs to no service yet gets {sorted(urls)}"
            continue
        assert set(urls) <= {f"{owner.upper()}_DATABASE_URL"}, (
            f"{name} ({owner}) is given {sorted(urls)}")
        for url in urls.values():
            assert urlsplit(url).path == f"/{owner}", f"{name} ({owner}) points at {url}"


def test_workers_serve_their_metrics_on_their_own_metrics_port_variable(services):
    for svc in SERVICES:
        env = environment_of(services[f"{svc}-worker"])
        assert env.get(f"{svc.upper()}_METRICS_PORT") == str(WORKER_METRICS_PORT)


def test_every_database_in_the_init_script_is_one_a_service_url_points_at(services):
    sql = POSTGRES_INIT_SQL.read_text(encoding="utf-8")
    created = set(re.findall(r"(?im)^\s*CREATE\s+DATABASE\s+\"?(\w+)\"?", sql))
    used = {urlsplit(url).path.lstrip("/")
            for service in services.values() for url in database_urls(service).values()}
    assert created == used == set(SERVICES)


def test_postgres_runs_the_init_script_directory(services):
    mounts = dict(bind_mounts(services["postgres"]))
    assert mounts.get("./deploy/postgres/init") == "/docker-entrypoint-initdb.d"


def test_every_relative_path_mounted_by_compose_exists_in_the_repo(services):
    for name, service in services.items():
        for source, _ in bind_mounts(service):
            assert (ROOT / source).exists(), f"{name} mounts missing {source}"


# --- compose: the Kafka cluster ---------------------------------------------------------

def listeners(value: str) -> dict[str, tuple[str, int]]:
    """'NAME://host:port,...' -> {NAME: (host, port)} (host '' when the listener binds all)."""
    found = {}
    for listener in value.split(","):
        name, _, address = listener.partition("://")
        host, _, port = address.rpartition(":")
        found[name] = (host, int(port))
    return found


def voters(value: str) -> dict[int, tuple[str, int]]:
    """'1@host:port,...' -> {1: (host, port)}."""
    found = {}
    for voter in value.split(","):
        node_id, _, address = voter.partition("@")
        host, _, port = address.rpartition(":")
        assert int(node_id) not in found, f"voter {node_id} twice in {value}"
        found[int(node_id)] = (host, int(port))
    return found


@pytest.fixture(scope="module")
def brokers(services) -> dict[str, dict[str, str]]:
    """Compose service name -> environment, for every Kafka node."""
    return {name: environment_of(service) for name, service in services.items()
            if str(service.get("image", "")).startswith("apache/kafka:")}


@pytest.fixture(scope="module")
def replication_factor(services) -> int:
    """The one setting, as the services read it from their compose environment."""
    env = {key: interpolate_defaults(value) for key, value in environment_of(services["topics"]).items()}
    return SERVICE_SPECS["intake"].settings(env).replication_factor


def test_kafka_is_three_combined_broker_and_controller_nodes(brokers):
    assert sorted(brokers) == list(KAFKA_NODES)
    for env in brokers.values():
        assert set(env["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}


def test_node_ids_are_unique_and_are_the_voters_named_by_their_compose_services(brokers):
    node_ids = {name: int(env["KAFKA_NODE_ID"]) for name, env in brokers.items()}
    assert len(set(node_ids.values())) == len(node_ids), node_ids
    for name, env in brokers.items():
        quorum = voters(env["KAFKA_CONTROLLER_QUORUM_VOTERS"])
        assert set(quorum) == set(node_ids.values()), f"{name}'s voters are not the nodes"
        for other, node_id in node_ids.items():
            host, port = quorum[node_id]
            assert host == other, f"{name} looks for node {node_id} at {host}, compose runs it as {other}"
            controller = brokers[other]["KAFKA_CONTROLLER_LISTENER_NAMES"]
            assert listeners(brokers[other]["KAFKA_LISTENERS"])[controller][1] == port


def test_every_node_belongs_to_the_same_cluster_under_a_valid_cluster_id(brokers):
    ids = {env["CLUSTER_ID"] for env in brokers.values()}
    assert len(ids) == 1, ids
    (cluster_id,) = ids
    # Kafka's cluster id is a UUID in URL-safe base64 without padding: 22 characters, 16 bytes.
    assert len(cluster_id) == 22 and len(base64.urlsafe_b64decode(cluster_id + "==")) == 16


def test_each_node_advertises_its_own_compose_name_on_a_listener_it_opens(brokers):
    for name, env in brokers.items():
        opened = listeners(env["KAFKA_LISTENERS"])
        advertised = listeners(env["KAFKA_ADVERTISED_LISTENERS"])
        protocols = dict(pair.split(":") for pair in env["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"].split(","))
        assert env["KAFKA_CONTROLLER_LISTENER_NAMES"] in opened
        assert env["KAFKA_INTER_BROKER_LISTENER_NAME"] in advertised
        assert set(opened) <= set(protocols)
        for listener, (host, port) in advertised.items():
            assert host == name, f"{name} advertises {host}, which no compose service is called"
            assert opened[listener][1] == port, f"{name} advertises {listener} on a port it does not open"


def test_each_node_keeps_its_log_on_a_volume_of_its_own(compose, brokers, services):
    volumes = {}
    for name, env in brokers.items():
        mounts = {target: source for source, target, *_ in
                  (volume.split(":") for volume in services[name]["volumes"])}
        source = mounts.get(env["KAFKA_LOG_DIRS"])
        assert source in compose["volumes"], f"{name} keeps its log outside a named volume"
        volumes[name] = source
    assert len(set(volumes.values())) == len(volumes), volumes


def test_the_node_health_checks_ask_the_node_itself(brokers, services):
    for name in brokers:
        assert f"--bootstrap-server {name}:9092" in " ".join(services[name]["healthcheck"]["test"])


def test_replication_is_three_with_two_in_sync_wherever_it_is_stated(brokers, replication_factor):
    assert replication_factor == len(brokers) == 3
    min_in_sync = topics.min_insync_replicas(replication_factor)
    assert min_in_sync == 2
    required = {"KAFKA_DEFAULT_REPLICATION_FACTOR", "KAFKA_MIN_INSYNC_REPLICAS",
                "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR",
                "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR"}
    for name, env in brokers.items():
        assert required <= env.keys(), f"{name} leaves {sorted(required - env.keys())} to Kafka's default of 1"
        for key, value in env.items():
            if key.endswith("REPLICATION_FACTOR"):
                assert int(value) == replication_factor, f"{name}: {key}={value}"
            if key.endswith(("MIN_ISR", "MIN_INSYNC_REPLICAS")):
                assert int(value) == min_in_sync, f"{name}: {key}={value}"
        assert env.get("KAFKA_UNCLEAN_LEADER_ELECTION_ENABLE", "false") == "false"


def test_every_process_that_uses_kafka_dials_all_three_nodes_and_shares_the_replication_setting(
        services, brokers, replication_factor):
    addresses = {f"{host}:{port}" for env in brokers.values()
                 for host, port in listeners(env["KAFKA_ADVERTISED_LISTENERS"]).values()}
    users = [name for name, service in services.items() if owner_of(name, service) or name == "topics"]
    assert "topics" in users and "intake-worker" in users
    for name in users:
        env = {key: interpolate_defaults(value) for key, value in environment_of(services[name]).items()}
        assert set(env.get("GIAITRINH_KAFKA_BOOTSTRAP", "").split(",")) == addresses, (
            f"{name} dials {env.get('GIAITRINH_KAFKA_BOOTSTRAP')}")
        owner = owner_of(name, services[name]) or "intake"
        assert SERVICE_SPECS[owner].settings(env).replication_factor == replication_factor, name


def test_topics_are_created_only_once_every_node_is_healthy(services, brokers):
    assert {name: spec["condition"] for name, spec in services["topics"]["depends_on"].items()} == {
        name: "service_healthy" for name in brokers}


# --- Prometheus ------------------------------------------------------------------------

def test_every_prometheus_target_is_a_compose_service_on_a_port_it_listens_on(
        services, prometheus):
    targets = scrape_targets(prometheus)
    assert targets
    for job, target, _ in targets:
        host, port = target.rsplit(":", 1)
        assert host in services, f"job {job} scrapes {host}, which compose does not run"
        assert int(port) in listening_ports(services[host]), (
            f"job {job} scrapes {target}, but {host} listens on {listening_ports(services[host])}")


def test_every_web_and_worker_is_scraped_every_15s_under_its_own_job_and_service_label(
        prometheus):
    assert prometheus["global"]["scrape_interval"] == "15s"
    by_target = {target: (job, labels) for job, target, labels in scrape_targets(prometheus)}
    for svc in SERVICES:
        for process, port in (("web", WEB_PORT), ("worker", WORKER_METRICS_PORT)):
            job, labels = by_target[f"{svc}-{process}:{port}"]
            assert job == f"{svc}-{process}"
            assert labels["service"] == svc


def test_every_rule_file_of_the_prometheus_config_is_mounted_beside_it(services, prometheus):
    mounts = {volume.split(":")[1]: volume.split(":")[0] for volume in services["prometheus"]["volumes"]
              if volume.startswith("./")}
    assert prometheus["rule_files"]
    for rule_file in prometheus["rule_files"]:
        source = mounts.get(f"/etc/prometheus/{rule_file}")
        assert source, f"{rule_file} is named by prometheus.yml but not mounted into the container"
        assert (ROOT / source).resolve() == (PROMETHEUS_FILE.parent / rule_file).resolve()


def test_the_local_prometheus_config_scrapes_the_same_jobs_on_loopback(prometheus):
    local = load_yaml(PROMETHEUS_LOCAL_FILE)
    expected = {}
    for svc in SERVICES:
        expected[f"{svc}-web"] = f"127.0.0.1:{HOST_WEB_PORTS[svc]}"
        expected[f"{svc}-worker"] = f"127.0.0.1:{LOCAL_WORKER_METRICS_PORTS[svc]}"
    assert {job: target for job, target, _ in scrape_targets(local)} == expected
    compose_labels = {job: labels for job, _, labels in scrape_targets(prometheus)}
    assert {job: labels for job, _, labels in scrape_targets(local)} == compose_labels
    assert local["global"]["scrape_interval"] == prometheus["global"]["scrape_interval"]
    assert local["rule_files"] == prometheus["rule_files"]


# --- Grafana ---------------------------------------------------------------------------

def test_grafana_provisions_the_compose_prometheus_under_a_fixed_uid(services):
    datasources = load_yaml(GRAFANA_DATASOURCES)["datasources"]
    assert [ds["uid"] for ds in datasources] == ["prometheus"]
    url = urlsplit(datasources[0]["url"])
    assert url.hostname == "prometheus" and "prometheus" in services
    assert f"{url.port}:{url.port}" in services["prometheus"]["ports"]


def test_grafana_reads_dashboards_from_the_directory_compose_mounts(services):
    providers = load_yaml(GRAFANA_PROVIDERS)["providers"]
    mounts = dict(bind_mounts(services["grafana"]))
    dashboards_target = mounts["./deploy/grafana/dashboards"]
    assert [p["options"]["path"] for p in providers if p["type"] == "file"] == [
        dashboards_target]
    assert mounts["./deploy/grafana/provisioning/datasources"] == (
        "/etc/grafana/provisioning/datasources")
    assert mounts["./deploy/grafana/provisioning/dashboards"] == (
        "/etc/grafana/provisioning/dashboards")


def test_grafana_has_no_anonymous_viewers_and_takes_its_admin_password_from_the_env(services):
    env = environment_of(services["grafana"])
    assert env["GF_AUTH_ANONYMOUS_ENABLED"] == "false"
    assert env["GF_SECURITY_ADMIN_PASSWORD"].startswith("${GRAFANA_ADMIN_PASSWORD")


def test_the_dashboard_uses_the_provisioned_datasource_everywhere(dashboard):
    provisioned = {ds["uid"] for ds in load_yaml(GRAFANA_DATASOURCES)["datasources"]}
    assert dashboard["uid"] == "giaitrinh-platform-health"
    panels = [p for p in panels_of(dashboard) if p.get("type") != "row"]
    assert panels
    for panel in panels:
        assert panel["datasource"]["uid"] in provisioned, panel["title"]
        for target in panel["targets"]:
            assert target.get("datasource", panel["datasource"])["uid"] in provisioned


def test_every_dashboard_expression_uses_only_platform_metric_names(dashboard):
    for panel in panels_of(dashboard):
        for target in panel.get("targets", []):
            names = metric_names_in(target["expr"])
            assert names, f"{panel['title']}: no metric in {target['expr']}"
            assert names <= PLATFORM_METRICS, (
                f"{panel['title']}: unknown {sorted(names - PLATFORM_METRICS)}")


def test_every_platform_metric_is_on_the_dashboard(dashboard):
    shown = {name for panel in panels_of(dashboard) for target in panel.get("targets", [])
             for name in metric_names_in(target["expr"])}
    for name in COUNTERS_AND_GAUGES:
        assert name in shown, f"{name} is on no panel"
    for name in HISTOGRAMS:
        assert f"{name}_bucket" in shown, f"{name} is on no panel"


def test_the_metric_name_check_notices_a_name_the_platform_does_not_export():
    expr = ('histogram_quantile(0.95, sum by (le, service) '
            '(rate(giaitrinh_handler_seconds_bucket{service=~"$service"}[$__rate_interval])))'
            ' / on (service) group_left sum(giaitrinh_handler_latency_ms) or vector(0)')
    assert metric_names_in(expr) == {"giaitrinh_handler_seconds_bucket",
                                     "giaitrinh_handler_latency_ms"}


# --- Dockerfile ------------------------------------------------------------------------

def test_the_dockerfile_installs_the_lock_and_checks_its_health_as_a_non_root_user():
    instructions = dockerfile_instructions(DOCKERFILE)
    args = {keyword: [rest for k, rest in instructions if k == keyword]
            for keyword, _ in instructions}
    assert args["FROM"] == ["python:3.11-slim"]
    assert any("requirements.lock" in copy.split()[:-1] for copy in args["COPY"])
    runs = " ".join(args["RUN"])
    assert re.search(r"pip install [^&;]*-r requirements\.lock", runs)
    assert re.search(r"pip install [^&;]*--no-deps \.", runs)
    assert args["HEALTHCHECK"] and "/healthz" in args["HEALTHCHECK"][-1]
    assert args["USER"] and args["USER"][-1] not in ("root", "0")


def test_the_four_services_are_built_from_the_one_dockerfile_each_with_its_service_argument(services):
    assert not list(ROOT.glob("services/*/Dockerfile")), "a copy of the Dockerfile is back"
    built = {}
    for name, service in services.items():
        if dockerfile_of(service) is None:
            continue
        assert dockerfile_of(service).resolve() == DOCKERFILE, f"{name} builds from another Dockerfile"
        svc = build_args(service).get("SERVICE")
        assert svc in SERVICES, f"{name} builds with SERVICE={svc!r}"
        assert service["image"].startswith(f"giaitrinh/{svc}:"), f"{name}: {service['image']} is not {svc}"
        assert owner_of(name, service) in (svc, None), f"{name} runs another service's image"
        built[svc] = service["image"]
    assert set(built) == set(SERVICES)


def test_each_image_serves_the_web_process_of_its_own_service(services):
    for svc in SERVICES:
        service = services[f"{svc}-web"]
        assert "command" not in service  # the image's CMD, as a province would run it
        argv = effective_command(service)
        assert argv[argv.index("gunicorn"):][-1] == f"giaitrinh_{svc}.entrypoints.web:create_app()"
        assert "PROMETHEUS_MULTIPROC_DIR=/tmp/prometheus" in argv[:argv.index("gunicorn")]


def guard_of_the_service_argument() -> str:
    runs = [rest for keyword, rest in dockerfile_instructions(DOCKERFILE) if keyword == "RUN"]
    guards = [run for run in runs if "SERVICE" in run]
    assert len(guards) == 1, guards
    return guards[0]


@pytest.mark.parametrize("value", [*SERVICES, "common", "platform", "", "intake/../routing", "Intake"])
def test_the_build_stops_unless_the_service_argument_names_one_of_the_four(value):
    # The RUN line itself, by the shell the image uses, against the tree the build copies.
    result = subprocess.run(["sh", "-c", guard_of_the_service_argument()], cwd=ROOT,
                            env={"SERVICE": value, "PATH": os.environ["PATH"]},
                            capture_output=True, text=True, timeout=30, check=False)
    if value in SERVICES:
        assert result.returncode == 0, result.stderr
    else:
        assert result.returncode != 0 and "SERVICE must be" in result.stderr


def test_every_layer_before_the_service_argument_is_shared_by_the_four_images():
    instructions = dockerfile_instructions(DOCKERFILE)
    position = instructions.index(("ARG", "SERVICE"))  # no default: the build must name one
    before = instructions[:position]
    assert not any("SERVICE" in rest for _, rest in before)
    assert sum("pip install" in rest for keyword, rest in before if keyword == "RUN") == 2


def test_the_docker_build_context_leaves_out_local_state():
    ignored = set((ROOT / ".dockerignore").read_text(encoding="utf-8").split())
    assert {".venv", "var", ".cache", ".git", "tests", "bench", "__pycache__"} <= ignored


def test_docker_compose_accepts_the_file():
    if shutil.which("docker") is None:
        pytest.skip("the docker client is not on PATH")
    probe = subprocess.run(["docker", "compose", "version"], capture_output=True, text=True,
                           timeout=60, check=False)
    if probe.returncode != 0:
        pytest.skip("the docker client has no compose plugin")
    result = subprocess.run(["docker", "compose", "-f", str(COMPOSE_FILE), "config", "-q"],
                            cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr


def test_routing_alone_holds_the_private_key_and_every_service_reads_the_public_one():
    services = load_yaml(COMPOSE_FILE)["services"]
    keys = services["routing-keys"]
    assert " ".join(as_argv(keys["command"])).startswith("giaitrinh routing keys generate")
    assert set(keys["volumes"]) == {"auth-public:/keys", "auth-private:/keys-private"}
    for name, service in services.items():
        owner = owner_of(name, service)
        if owner is None or name == "routing-keys":
            continue
        env = environment_of(service)
        assert env["GIAITRINH_AUTH_PUBLIC_KEY"] == "/keys/auth-public.pem", name
        mounts = set(service.get("volumes", []))
        assert "auth-public:/keys:ro" in mounts, name
        if owner == "routing":
            assert env["ROUTING_AUTH_PRIVATE_KEY"] == "/keys-private/auth-private.pem"
            assert "auth-private:/keys-private:ro" in mounts
        else:
            assert not any(m.startswith("auth-private") for m in mounts), name
            assert "ROUTING_AUTH_PRIVATE_KEY" not in env, name
        if name.endswith(("-web", "-worker")):
            assert service["depends_on"]["routing-keys"]["condition"] == "service_completed_successfully"
