"""Typed settings: ``config.toml``, overridden by ``VIDEOBOT_<SECTION>__<KEY>`` environment variables.

Secrets never live in the file: the Discord token comes from ``DISCORD_TOKEN`` only.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from bot.limits import LimitName, LimitPolicy, Limits

ENV_PREFIX = "VIDEOBOT_"
CONFIG_ENV = "VIDEOBOT_CONFIG"
TOKEN_ENV = "DISCORD_TOKEN"
DEFAULT_CONFIG = Path("config.toml")


class ConfigError(Exception):
    """The configuration is unusable; the message names the key and the problem."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DiscordSettings(_Section):
    api_base: str = "https://discord.com/api/v10"
    gateway_url: str = "wss://gateway.discord.gg/"
    command_guilds: list[int] = Field(default_factory=list)

    @field_validator("api_base", "gateway_url")
    @classmethod
    def _no_trailing_space(cls, value: str) -> str:
        value = value.strip()
        if "://" not in value:
            raise ValueError("must be a URL such as https://discord.com/api/v10")
        return value


class DatabaseSettings(_Section):
    url: str = "sqlite+aiosqlite:///data/videobot.db"

    @field_validator("url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("must start with sqlite+aiosqlite:// or postgresql+asyncpg://")
        return value


class GenerationSettings(_Section):
    model: str = "kandinsky-5-lite"
    image_model: str = ""
    models: list[str] = Field(default_factory=list)
    device: str = "auto"
    memory: Literal["auto", "full", "model-offload", "group-offload", "sequential-offload"] = "auto"
    vae_tiling: Literal["auto", "on", "off"] = "auto"
    fp8: bool = False
    attention_backend: str = ""
    cache: Literal["off", "first-block", "taylorseer", "mag"] = "off"
    cache_threshold: float = Field(default=0.05, gt=0, le=1)
    calibration_dir: str = "data/calibration"
    compile: bool = False
    # Clips from models below this frame rate are interpolated up to it (0: as the model makes them).
    smooth_fps: int = Field(default=24, ge=0, le=60)
    # Extend stops making a clip longer once it reaches this many seconds.
    max_extend_seconds: float = Field(default=20.0, ge=2, le=120)

    @field_validator("attention_backend")
    @classmethod
    def _local_kernels_only(cls, value: str) -> str:
        if value.endswith("_hub"):
            raise ValueError("hub attention backends download kernels at run time; pick a local one")
        return value

    width: int | None = Field(default=None, gt=0, le=4096)
    height: int | None = Field(default=None, gt=0, le=4096)
    num_frames: int | None = Field(default=None, gt=1, le=1024)
    fps: int | None = Field(default=None, gt=0, le=120)
    steps: int | None = Field(default=None, gt=0, le=500)
    guidance: float | None = Field(default=None, ge=0, le=50)

    @field_validator("device")
    @classmethod
    def _device(cls, value: str) -> str:
        if value not in ("auto", "cpu", "cuda") and not value.startswith("cuda:"):
            raise ValueError("must be auto, cpu, cuda or cuda:N")
        return value


class WorkerSettings(_Section):
    embedded: bool = True
    name: str = ""
    poll_interval: float = Field(default=2.0, gt=0, le=300)
    lease_seconds: float = Field(default=120.0, ge=10, le=3600)
    max_attempts: int = Field(default=3, ge=1, le=20)
    clip_dir: str = "data/clips"
    warmup: bool = True
    models: list[str] = Field(default_factory=list)
    gpu: str = ""
    keep_free_gb: float = Field(default=5.0, ge=0)

    @field_validator("gpu")
    @classmethod
    def _gpu(cls, value: str) -> str:
        value = value.strip()
        if value not in ("", "auto") and not value.isdigit():
            raise ValueError('must be empty (every GPU), "auto" (a free one) or a GPU index such as "1"')
        return value


class ProvenanceSettings(_Section):
    """Content Credentials: where the bot keeps its own signing chain, or the owner's certificate to use."""

    directory: str = "data/provenance"
    certificate: str = ""
    private_key: str = ""

    @model_validator(mode="after")
    def _both_or_neither(self) -> ProvenanceSettings:
        if bool(self.certificate) != bool(self.private_key):
            raise ValueError(
                "set both certificate and private_key (your own signing certificate), or neither"
            )
        return self


class LimitSettings(_Section):
    """Defaults; moderators override them per server, role and member. 0 means no limit.

    The ``cap_*`` keys are the owner's ceilings: no moderator's override goes above them (0: no ceiling).
    """

    max_pending: int = Field(default=2, ge=0)
    per_hour: int = Field(default=10, ge=0)
    per_day: int = Field(default=50, ge=0)
    guild_per_day: int = Field(default=500, ge=0)
    cap_max_pending: int = Field(default=10, ge=0)
    cap_per_hour: int = Field(default=60, ge=0)
    cap_per_day: int = Field(default=300, ge=0)
    cap_guild_per_day: int = Field(default=0, ge=0)

    def policy(self) -> LimitPolicy:
        """The owner's defaults, and the caps moderators' settings stay within."""
        defaults = {name.value: getattr(self, name) for name in LimitName}
        caps = {name.value: getattr(self, f"cap_{name}") for name in LimitName}
        return LimitPolicy(Limits(**defaults), Limits(**caps))

    @model_validator(mode="after")
    def _defaults_within_caps(self) -> LimitSettings:
        for name in LimitName:
            value, cap = getattr(self, name), getattr(self, f"cap_{name}")
            if cap and (value == 0 or value > cap):
                raise ValueError(f"{name} ({value or 'no limit'}) is above cap_{name} ({cap})")
        return self


class RetentionSettings(_Section):
    """How long the bot keeps what members gave it."""

    # Prompts and negative prompts of finished jobs are erased after this many days.
    prompt_days: int = Field(default=30, ge=1, le=3650)
    # Images members attached and clip files are kept this many hours after their job ends (0: deleted as
    # it ends).
    files_hours: float = Field(default=0, ge=0, le=24 * 365)


class MetricsSettings(_Section):
    """The health and metrics endpoint: ``host:port`` to listen on, or empty for none."""

    listen: str = ""

    @field_validator("listen")
    @classmethod
    def _host_and_port(cls, value: str) -> str:
        value = value.strip()
        if not value:
            return value
        host, _, port = value.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError("must be host:port, such as 127.0.0.1:9464 (or empty: no endpoint)")
        return value

    def address(self) -> tuple[str, int] | None:
        if not self.listen:
            return None
        host, _, port = self.listen.rpartition(":")
        return host.strip("[]"), int(port)


class BotSettings(_Section):
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["text", "json"] = "text"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_nested_delimiter="__", extra="ignore", case_sensitive=False
    )

    bot: BotSettings = Field(default_factory=BotSettings)
    discord: DiscordSettings = Field(default_factory=DiscordSettings)
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    generation: GenerationSettings = Field(default_factory=GenerationSettings)
    worker: WorkerSettings = Field(default_factory=WorkerSettings)
    limits: LimitSettings = Field(default_factory=LimitSettings)
    provenance: ProvenanceSettings = Field(default_factory=ProvenanceSettings)
    retention: RetentionSettings = Field(default_factory=RetentionSettings)
    metrics: MetricsSettings = Field(default_factory=MetricsSettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The file's values arrive as init arguments; the environment overrides them.
        return (env_settings, init_settings)


def config_path(cli_value: str | None = None) -> Path:
    return Path(cli_value or os.environ.get(CONFIG_ENV) or DEFAULT_CONFIG)


def load_settings(path: Path | None = None) -> Settings:
    """Load and validate settings; a missing default file means built-in defaults."""
    path = path or config_path()
    data: dict[str, Any] = {}
    if path.is_file():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path} is not valid TOML: {exc}") from exc
    elif path != DEFAULT_CONFIG:
        raise ConfigError(f"config file {path} does not exist")
    unknown = sorted(set(data) - set(Settings.model_fields))
    if unknown:
        raise ConfigError(
            f"{path}: unknown section [{unknown[0]}] (known: {', '.join(Settings.model_fields)})"
        )
    try:
        return Settings(**data)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, path)) from None


def _describe(exc: ValidationError, path: Path) -> str:
    lines = []
    for error in exc.errors():
        key = ".".join(str(part) for part in error["loc"])
        env = ENV_PREFIX + "__".join(str(part) for part in error["loc"]).upper()
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "unknown key"
        lines.append(f"  {key}: {message} (from {path} or {env})")
    return "invalid configuration:\n" + "\n".join(lines)


def discord_token() -> str | None:
    token = os.environ.get(TOKEN_ENV, "").strip()
    return token or None
