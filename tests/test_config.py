"""Settings: defaults, file and environment sources, errors, and the documentation table."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from hegui.config import Settings, load_settings
from hegui.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]


def test_defaults_need_no_file(tmp_path: Path) -> None:
    settings = load_settings(environ={"HEGUI_CONFIG": str(tmp_path / "absent.toml")})
    assert settings.gateway.port == 8000 and settings.store.url.startswith("sqlite")
    assert settings.store.log_retention_days >= 183


def test_file_then_environment(tmp_path: Path) -> None:
    path = tmp_path / "hegui.toml"
    path.write_text('[gateway]\nport = 9000\nupstreams = ["http://a"]\n', encoding="utf-8")
    settings = load_settings(
        path, environ={"HEGUI_GATEWAY__PORT": "9100", "HEGUI_ENGINE__LEXICONS": '["x.tsv"]'}
    )
    assert settings.gateway.port == 9100
    assert settings.gateway.upstreams == ["http://a"]
    assert settings.engine.lexicons == ["x.tsv"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[gateway]\nport = "many"\n', "gateway.port"),
        ("[gateway]\nnonsense = 1\n", "gateway.nonsense"),
        ("[gateway\n", "hegui.toml"),
    ],
)
def test_bad_file_is_a_config_error_naming_the_setting(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "hegui.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message.replace(".", r"\.")):
        load_settings(path, environ={})


def test_missing_explicit_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_settings(tmp_path / "nope.toml", environ={})


def test_secrets_do_not_print() -> None:
    settings = Settings.model_validate({"store": {"secret_key": "c2VjcmV0"}})
    assert "c2VjcmV0" not in repr(settings) and "c2VjcmV0" not in str(settings.store.secret_key)


def test_every_setting_is_documented() -> None:
    spec = importlib.util.spec_from_file_location(
        "gen_config_doc", ROOT / "scripts" / "gen_config_doc.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    doc = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    assert module.render(doc) == doc, "run: python scripts/gen_config_doc.py"


def test_missing_data_precondition_fails_in_ci_and_skips_elsewhere(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from _pytest.outcomes import Failed, Skipped

    from tests.preconditions import require

    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("HEGUI_REQUIRE_DATA", raising=False)
    require(True, "present")
    with pytest.raises(Skipped):
        require(False, "data missing")
    monkeypatch.setenv("HEGUI_REQUIRE_DATA", "1")
    with pytest.raises(Failed, match="data missing"):
        require(False, "data missing")
    monkeypatch.delenv("HEGUI_REQUIRE_DATA")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(Failed):
        require(False, "data missing")
