"""Upstream entries as configured: base URLs used as given, bad input refused at start-up,
model names mapped, proxies chosen from the environment as documented (docs/integration.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hegui.config import load_settings
from hegui.errors import ConfigError
from hegui.gateway.upstream.connect import ConnectOptions, parse_proxy, proxy_for, ssl_context
from hegui.gateway.upstream.pool import CircuitBreaker, Upstream
from hegui.gateway.upstream.spec import parse_upstream, route_url
from hegui.gateway.upstream.transport import FunctionTransport


@pytest.mark.parametrize(
    ("given", "base", "chat"),
    [
        (
            "https://ark.cn-beijing.volces.com/api/v3",
            "https://ark.cn-beijing.volces.com/api/v3",
            "https://ark.cn-beijing.volces.com/api/v3/chat/completions",
        ),
        (
            "https://open.bigmodel.cn/api/paas/v4/",
            "https://open.bigmodel.cn/api/paas/v4",
            "https://open.bigmodel.cn/api/paas/v4/chat/completions",
        ),
        (
            "https://qianfan.baidubce.com/v2",
            "https://qianfan.baidubce.com/v2",
            "https://qianfan.baidubce.com/v2/chat/completions",
        ),
        ("http://h:8001/v1", "http://h:8001/v1", "http://h:8001/v1/chat/completions"),
        ("HTTP://h:8001/v1//", "http://h:8001/v1", "http://h:8001/v1/chat/completions"),
    ],
)
def test_base_url_is_used_as_given(given: str, base: str, chat: str) -> None:
    spec = parse_upstream(given)
    assert spec.url == base and not spec.assumed_v1
    assert route_url(spec.url, "/v1/chat/completions") == chat
    assert route_url(spec.url, "/v1/models") == base + "/models"


@pytest.mark.parametrize("given", ["http://h:8001", "http://h:8001/"])
def test_a_base_without_a_path_keeps_meaning_v1(given: str) -> None:
    spec = parse_upstream(given)
    assert spec.url == "http://h:8001/v1" and spec.assumed_v1


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ("ftp://h/v1", "must start with http:// or https://"),
        ("h:8001/v1", "must start with http:// or https://"),
        ("http:///v1", "has no host"),
        ("http://h:99999/v1", "invalid port"),
        ("http://h/v1?api-version=2024", "must not have a query or fragment"),
        ("http://h/v1?", "must not have a query or fragment"),
        ("http://h/v1#x", "must not have a query or fragment"),
        ("http://user:pw@h/v1", "must not carry credentials"),
        ("http://h/v1/chat/completions", "must be the base, not an endpoint"),
        ("http://h/api/v3/models/", "must be the base, not an endpoint"),
    ],
)
def test_bad_base_urls_are_config_errors(given: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as info:
        parse_upstream(given)
    assert "pw" not in str(info.value) and "api-version" not in str(info.value)


def test_string_form_options() -> None:
    spec = parse_upstream(
        "http://h/v2 name=qf weight=2 models=a,b map=qwen2.5=ernie-4.0,*=ernie-speed"
        " proxy=http://p:3128 ca_file=/ca.pem verify=false"
    )
    assert spec.name == "qf" and spec.weight == 2 and spec.models == frozenset({"a", "b"})
    assert spec.model_map == {"qwen2.5": "ernie-4.0", "*": "ernie-speed"}
    assert spec.connect == ConnectOptions(proxy="http://p:3128", ca_file="/ca.pem", verify=False)
    for bad, message in [
        ("http://h weight=0", "weight must be positive"),
        ("http://h weight=x", "weight is not a number"),
        ("http://h colour=red", "unknown upstream option 'colour'"),
        ("http://h api_key=sk-1", "unknown upstream option 'api_key'"),  # secrets: tables only
        ("http://h map=a", "CLIENT=UPSTREAM"),
        ("http://h name=a/b", "upstream name"),
        ("http://h verify=maybe", "true or false"),
        ("http://h proxy=socks5://p:1080", "http://host:port proxy"),
    ]:
        with pytest.raises(ConfigError, match=message):
            parse_upstream(bad)


def test_table_form_with_key_headers_and_map() -> None:
    spec = parse_upstream(
        {
            "url": "https://open.bigmodel.cn/api/paas/v4",
            "name": "glm",
            "api_key": "sk-glm",
            "headers": {"X-Tenant": "t1"},
            "model_map": {"*": "glm-4-flash"},
        }
    )
    assert spec.api_key == "sk-glm" and spec.headers == {"x-tenant": "t1"}
    for headers, message in [
        ({"Host": "x"}, "set by the gateway"),
        ({"Content-Length": "1"}, "set by the gateway"),
        ({"X Bad": "1"}, "header name is not valid"),
        ({"X-A": "1\r\nX-B: 2"}, "line break"),
    ]:
        with pytest.raises(ConfigError, match=message):
            parse_upstream({"url": "http://h/v1", "headers": headers})
    with pytest.raises(ConfigError, match="only allowed as a client name"):
        parse_upstream({"url": "http://h/v1", "model_map": {"a": "*"}})
    with pytest.raises(ConfigError, match="upstream url"):
        parse_upstream({"name": "no-url"})


def test_toml_tables_and_strings_mix(tmp_path: Path) -> None:
    cfg = tmp_path / "hegui.toml"
    cfg.write_text(
        """
[gateway]
upstream_api_key = "sk-shared"

[[gateway.upstreams]]
url = "https://ark.cn-beijing.volces.com/api/v3"
name = "ark"
api_key = "sk-ark"
model_map = { "qwen2.5" = "doubao-1-5-pro-32k-250115" }
""",
        encoding="utf-8",
    )
    settings = load_settings(cfg, environ={})
    (entry,) = settings.gateway.upstreams
    assert not isinstance(entry, str) and "sk-ark" not in repr(entry)  # a SecretStr
    assert parse_upstream(entry).api_key == "sk-ark"
    env = {"HEGUI_GATEWAY__UPSTREAMS": '["http://a:1/v1", {"url": "http://b:2/api/v3"}]'}
    mixed = load_settings(None, environ={**env, "HEGUI_CONFIG": str(tmp_path / "none.toml")})
    assert [parse_upstream(u).url for u in mixed.gateway.upstreams] == [
        "http://a:1/v1",
        "http://b:2/api/v3",
    ]


def _upstream(**entry: object) -> Upstream:
    spec = parse_upstream({"url": "http://h/v1", **entry})
    dummy = FunctionTransport(lambda *a: None)  # type: ignore[arg-type,return-value]
    return Upstream(spec, CircuitBreaker(), "u", dummy, api_key="sk-shared")


def test_model_map_explicit_then_listed_then_default() -> None:
    up = _upstream(model_map={"qwen2.5": "glm-4-plus", "*": "glm-4-flash"})
    up.discovered = frozenset({"glm-4-plus", "glm-4-flash", "glm-4-air"})
    assert up.upstream_model("qwen2.5") == "glm-4-plus"  # explicit
    assert up.upstream_model("glm-4-air") == "glm-4-air"  # the upstream lists it: unchanged
    assert up.upstream_model("gpt-4o") == "glm-4-flash"  # anything else: the default
    assert up.serves("gpt-4o") and up.serves("qwen2.5")
    plain = _upstream()
    plain.discovered = frozenset({"glm-4-air"})
    assert plain.upstream_model("x") == "x" and not plain.serves("x") and plain.serves("glm-4-air")
    only_explicit = _upstream(model_map={"qwen2.5": "glm-4-plus"})
    only_explicit.discovered = frozenset({"glm-4-plus"})
    assert only_explicit.serves("qwen2.5") and not only_explicit.serves("gpt-4o")


def test_headers_per_upstream_key_wins_and_configured_headers_win_last() -> None:
    assert _upstream().headers["authorization"] == "Bearer sk-shared"
    assert _upstream(api_key="sk-own").headers["authorization"] == "Bearer sk-own"
    custom = _upstream(api_key="sk-own", headers={"Authorization": "Token abc", "X-Org": "o"})
    assert custom.headers["authorization"] == "Token abc" and custom.headers["x-org"] == "o"


def test_proxy_choice_follows_the_environment_rules() -> None:
    env = {"http": "http://p:3128", "https": "http://u:p%40ss@ps:8080", "no": "internal.cn,.corp"}
    default = ConnectOptions()
    assert proxy_for("http", "api.example.cn", 80, default, env) == parse_proxy("http://p:3128")
    via = proxy_for("https", "api.example.cn", 443, default, env)
    assert via is not None and (via.host, via.port) == ("ps", 8080)
    assert via.authorization == "Basic dTpwQHNz"  # u:p@ss, percent-decoded
    assert proxy_for("https", "internal.cn", 443, default, env) is None  # NO_PROXY name
    assert proxy_for("https", "llm.corp", 443, default, env) is None  # NO_PROXY suffix
    for loopback in ("127.0.0.1", "localhost", "::1", "127.0.0.2"):
        assert proxy_for("http", loopback, 80, default, env) is None
    assert proxy_for("https", "x.cn", 443, default, {"http": "http://p:1"}) is None  # per scheme
    assert proxy_for("https", "x.cn", 443, default, {**env, "no": "*"}) is None
    # The upstream's own proxy wins over the environment, loopback included; "" means direct.
    own = ConnectOptions(proxy="http://own:1")
    assert proxy_for("http", "127.0.0.1", 80, own, env) == parse_proxy("http://own:1")
    assert proxy_for("https", "api.example.cn", 443, ConnectOptions(proxy=""), env) is None
    with pytest.raises(ConfigError, match="HTTPS_PROXY"):
        proxy_for("https", "x.cn", 443, default, {"https": "socks5://s:1080"})


def test_unreadable_tls_files_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="ca_file cannot be loaded"):
        ssl_context(ConnectOptions(ca_file=str(tmp_path / "missing.pem")))
    (tmp_path / "junk.pem").write_text("not a certificate")
    with pytest.raises(ConfigError, match="client_cert cannot be loaded"):
        ssl_context(ConnectOptions(client_cert=str(tmp_path / "junk.pem")))
    with pytest.raises(ConfigError, match="without client_cert"):
        ssl_context(ConnectOptions(client_key=str(tmp_path / "junk.pem")))


@pytest.mark.parametrize(
    ("upstream", "message"),
    [
        ("http://127.0.0.1:1/v1?key=sk-secret", "must not have a query or fragment"),
        ("http://127.0.0.1:1/v1 ca_file=/nonexistent/ca.pem", "ca_file cannot be loaded"),
        ("http://127.0.0.1:1/v1 proxy=https://p:1", "http://host:port proxy"),
    ],
)
def test_serve_refuses_bad_upstreams_with_exit_2(
    upstream: str,
    message: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from hegui.cli import main

    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as info:
        main(["serve", "--upstream", upstream, "--get", "/healthz"])
    err = capsys.readouterr().err
    assert info.value.code == 2 and message in err and len(err.strip().splitlines()) == 1
    assert "sk-secret" not in err


def test_serve_refuses_a_proxy_from_the_environment_it_cannot_speak(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from hegui.cli import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("https_proxy", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.setenv("HTTPS_PROXY", "socks5://10.0.0.1:1080")
    with pytest.raises(SystemExit) as info:
        main(["serve", "--upstream", "https://open.bigmodel.cn/api/paas/v4", "--get", "/healthz"])
    err = capsys.readouterr().err
    assert info.value.code == 2 and "HTTPS_PROXY must be an http://host:port proxy URL" in err


def test_a_typo_in_an_upstream_table_names_the_key(tmp_path: Path) -> None:
    cfg = tmp_path / "hegui.toml"
    cfg.write_text('[[gateway.upstreams]]\nurl = "http://a/v1"\napi_kye = "x"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"gateway\.upstreams\.0\.table\.api_kye: Extra inputs"):
        load_settings(cfg, environ={})
