"""What the Docker image, the compose file and the Grafana dashboard promise, read from the files
themselves (no image can be built here)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

from bot.metrics import Metrics

ROOT = Path(__file__).resolve().parents[2]


def _compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())  # type: ignore[no-any-return]


def _dockerfile() -> list[tuple[str, str]]:
    """(instruction, arguments), continuation lines joined."""
    text = re.sub(r"\\\n\s*", " ", (ROOT / "Dockerfile").read_text())
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "") for line in lines]


def _gpu_reservation(service: dict[str, Any]) -> dict[str, Any]:
    (device,) = service["deploy"]["resources"]["reservations"]["devices"]
    return device  # type: ignore[no-any-return]


def test_the_image_runs_as_a_user_and_checks_its_health_on_the_metrics_port() -> None:
    steps = _dockerfile()
    users = [args for instruction, args in steps if instruction == "USER"]
    assert users and users[-1] not in ("root", "0")
    env = " ".join(args for instruction, args in steps if instruction == "ENV")
    port = re.search(r"VIDEOBOT_METRICS__LISTEN=0\.0\.0\.0:(\d+)", env)
    assert port is not None
    assert ("EXPOSE", port[1]) in steps
    (healthcheck,) = [args for instruction, args in steps if instruction == "HEALTHCHECK"]
    assert f"http://127.0.0.1:{port[1]}/healthz" in healthcheck and "--start-period" in healthcheck
    assert re.search(r"HF_HOME=(\S+)", env) is not None


def test_compose_waits_for_a_healthy_postgres_and_reserves_gpus() -> None:
    services = _compose()["services"]
    assert services["postgres"]["healthcheck"]["test"][1].startswith("pg_isready")
    for name in ("bot", "worker"):
        service = services[name]
        assert service["depends_on"] == {"postgres": {"condition": "service_healthy"}}
        gpu = _gpu_reservation(service)
        assert gpu["driver"] == "nvidia" and gpu["capabilities"] == ["gpu"]
        assert service["environment"]["VIDEOBOT_WORKER__GPU"] == "auto"  # one GPU per process


def test_workers_scale_one_gpu_each_and_share_the_model_cache() -> None:
    compose = _compose()
    worker = compose["services"]["worker"]
    assert worker["command"] == ["worker"] and worker["profiles"] == ["workers"]
    # --scale needs replicas that can coexist: no fixed name, no host port.
    assert "container_name" not in worker and "ports" not in worker
    assert _gpu_reservation(worker)["count"] == "all"  # each picks a free one ([worker] gpu = "auto")
    hf_home = re.search(r"HF_HOME=(\S+)", " ".join(a for i, a in _dockerfile() if i == "ENV"))
    assert hf_home is not None
    for name in ("bot", "worker"):
        mounts = dict(volume.split(":", 1) for volume in compose["services"][name]["volumes"])
        assert mounts["models"] == hf_home[1] and "models" in compose["volumes"]
    # The metrics port reaches the host's loopback only.
    assert compose["services"]["bot"]["ports"] == ["127.0.0.1:9464:9464"]


def test_env_example_names_every_variable_compose_uses() -> None:
    used = set(re.findall(r"\$\{(\w+)", (ROOT / "docker-compose.yml").read_text()))
    example = ROOT / ".env.example"
    defined = {line.split("=", 1)[0] for line in example.read_text().splitlines() if re.match(r"^\w+=", line)}
    assert used and used <= defined
    assert ".env" in (ROOT / ".gitignore").read_text().splitlines()


def test_the_dashboard_queries_only_metrics_the_bot_exports() -> None:
    dashboard = json.loads((ROOT / "deploy" / "grafana-dashboard.json").read_text())
    exported = {sample.name for family in Metrics().registry.collect() for sample in family.samples}
    exported |= {family.name for family in Metrics().registry.collect()}
    # Families with labels have no samples until used: add their series' names.
    for family in Metrics().registry.collect():
        exported |= {family.name + suffix for suffix in ("_total", "_bucket", "_count", "_sum")}
    queried = {
        name
        for panel in dashboard["panels"]
        for target in panel["targets"]
        for name in re.findall(r"\b(videobot_\w+)", target["expr"])
    }
    assert len(dashboard["panels"]) >= 8 and queried
    assert queried <= exported, queried - exported
