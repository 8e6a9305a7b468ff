from pathlib import Path

import pytest

from bot.config import ConfigError, load_settings

ROOT = Path(__file__).resolve().parents[2]


def test_shipped_config_file_loads_with_the_documented_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in list(__import__("os").environ):
        if key.startswith("VIDEOBOT_"):
            monkeypatch.delenv(key)
    settings = load_settings(ROOT / "config.toml")
    assert settings.generation.model == "kandinsky-5-lite"
    assert settings.database.url.startswith("sqlite+aiosqlite:///")
    assert settings.discord.api_base == "https://discord.com/api/v10"
    assert settings.worker.embedded is True


def test_every_key_in_the_shipped_file_is_commented() -> None:
    lines = (ROOT / "config.toml").read_text().splitlines()
    for i, line in enumerate(lines):
        if "=" in line and not line.lstrip().startswith("#"):
            above = lines[i - 1].strip()
            assert above.startswith("#") or above.startswith("["), f"config.toml line {i + 1} has no comment"


def test_environment_overrides_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[generation]\nmodel = "wan2.1-t2v-1.3b"\nsteps = 10\n')
    monkeypatch.setenv("VIDEOBOT_GENERATION__STEPS", "4")
    monkeypatch.setenv("VIDEOBOT_DATABASE__URL", "postgresql+asyncpg://u@h/db")
    monkeypatch.setenv("VIDEOBOT_DISCORD__COMMAND_GUILDS", "[1, 2]")
    settings = load_settings(path)
    assert settings.generation.model == "wan2.1-t2v-1.3b"
    assert settings.generation.steps == 4
    assert settings.database.url == "postgresql+asyncpg://u@h/db"
    assert settings.discord.command_guilds == [1, 2]


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("[generation]\nstepz = 3\n", "generation.stepz: unknown key"),
        ("[worker]\npoll_interval = -1\n", "worker.poll_interval"),
        ('[database]\nurl = "mysql://x"\n', "database.url"),
        ('[generation]\ndevice = "tpu"\n', "generation.device"),
        ('[generation]\nattention_backend = "flash_hub"\n', "download kernels"),
        ('[generation]\nmemory = "lots"\n', "generation.memory"),
        ("[gpu]\nx = 1\n", "unknown section [gpu]"),
        ("[generation\n", "not valid TOML"),
    ],
)
def test_bad_configuration_names_the_key(tmp_path: Path, text: str, names: str) -> None:
    path = tmp_path / "c.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=names.replace("[", r"\[").replace("]", r"\]")):
        load_settings(path)


def test_bad_environment_value_names_the_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIDEOBOT_WORKER__MAX_ATTEMPTS", "lots")
    with pytest.raises(ConfigError, match="VIDEOBOT_WORKER__MAX_ATTEMPTS"):
        load_settings(ROOT / "config.toml")


def test_missing_explicit_config_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "nope.toml")


def test_an_own_signing_certificate_needs_its_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[provenance]\ncertificate = "/etc/videobot/chain.pem"\n')
    with pytest.raises(ConfigError, match="set both certificate and private_key"):
        load_settings(path)
    monkeypatch.setenv("VIDEOBOT_PROVENANCE__PRIVATE_KEY", "/etc/videobot/key.pem")
    assert load_settings(path).provenance.private_key == "/etc/videobot/key.pem"


@pytest.mark.parametrize("cache", ["off", "first-block", "taylorseer", "mag"])
def test_every_step_cache_is_accepted(tmp_path: Path, cache: str) -> None:
    path = tmp_path / "c.toml"
    path.write_text(f'[generation]\ncache = "{cache}"\n')
    assert load_settings(path).generation.cache == cache


def test_the_bot_signs_with_its_own_chain_or_refuses_a_broken_certificate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.app import App
    from bot.config import Settings

    monkeypatch.chdir(tmp_path)
    own = App(Settings()).signing_credentials()
    assert (tmp_path / "data" / "provenance" / "signing.pem").read_bytes() == own.certificate_chain_pem
    broken = tmp_path / "chain.pem"
    broken.write_text("not a certificate")
    settings = Settings(provenance={"certificate": str(broken), "private_key": str(broken)})  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match=r"provenance: .*chain\.pem"):
        App(settings).signing_credentials()


def test_the_owner_caps_bound_the_defaults_too(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text("[limits]\nper_hour = 100\ncap_per_hour = 60\n")
    with pytest.raises(ConfigError, match="per_hour"):
        load_settings(path)
    path.write_text("[limits]\nper_hour = 0\ncap_per_hour = 60\n")  # "no limit" is above any cap
    with pytest.raises(ConfigError, match="cap_per_hour"):
        load_settings(path)
    path.write_text(
        "[limits]\nper_hour = 0\ncap_per_hour = 0\n[retention]\nprompt_days = 7\nfiles_hours = 2\n"
    )
    settings = load_settings(path)
    assert settings.limits.policy().caps.per_hour == 0 and settings.retention.prompt_days == 7


def test_retention_keeps_prompts_at_least_a_day(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text("[retention]\nprompt_days = 0\n")
    with pytest.raises(ConfigError, match="prompt_days"):
        load_settings(path)
