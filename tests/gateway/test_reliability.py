"""Bad upstreams, bad input, bad state: each answered with an OpenAI-format error and recorded."""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta

import pytest

from hegui.ops.records import AgeBand, MinorsDecision, Sanction

from .conftest import Running
from .doubles import MemoryBackend, account
from .test_chat_http import sse_events, stream_text


def assert_error(r, status: int, code: str | None = None) -> dict:  # type: ignore[no-untyped-def]
    assert r.status_code == status, r.text
    err = r.json()["error"]
    assert set(err) == {"message", "type", "param", "code"} and err["message"]
    if code is not None:
        assert err["code"] == code
    return r.json()


def closed_port_url() -> str:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return f"http://127.0.0.1:{port}"


# ------------------------------------------------------------------ upstream failures
def test_upstream_killed_mid_stream_ends_with_error_event(gw: Running) -> None:
    r = gw.chat(
        "hi",
        stream=True,
        mock={"reply": "正常内容" * 30, "chunk_chars": 2, "behaviour": "die_after:20"},
    )
    assert r.status_code == 200
    events = sse_events(r.text)
    assert events[-1]["error"]["code"] == "upstream_disconnected"
    assert r.text.rstrip().endswith("data: [DONE]")
    assert "正常内容" in stream_text(events)  # checked text before the failure is delivered
    assert gw.records(1)[-1].decision == "upstream_error"


def test_upstream_hanging_before_answer_is_504(make_gateway, upstream) -> None:  # type: ignore[no-untyped-def]
    g = make_gateway([upstream.url], upstream_timeout=0.5)
    assert_error(g.chat("hi", mock={"behaviour": "hang"}), 504, "upstream_timeout")
    assert g.records(1)[-1].status == 504


def test_upstream_hanging_mid_stream_ends_stream(make_gateway, upstream) -> None:  # type: ignore[no-untyped-def]
    g = make_gateway([upstream.url], upstream_timeout=0.7)
    r = g.chat(
        "hi",
        stream=True,
        mock={"reply": "正常内容" * 30, "chunk_chars": 2, "behaviour": "hang_after:10"},
    )
    assert sse_events(r.text)[-1]["error"]["code"] == "upstream_disconnected"


@pytest.mark.parametrize("mock", [{"behaviour": "garbage"}, {"behaviour": "status:500"}])
def test_upstream_garbage_or_500_is_502(gw: Running, mock: dict) -> None:
    assert_error(gw.chat("hi", mock=mock), 502)


def test_upstream_garbage_event_mid_stream_fails_closed(gw: Running) -> None:
    r = gw.chat(
        "hi",
        stream=True,
        mock={"reply": "正常" * 40, "chunk_chars": 2, "behaviour": "garbage_event"},
    )
    assert (
        sse_events(r.text.replace("data: {not json\n\n", ""))[-1]["error"]["type"]
        == "upstream_error"
    )


def test_one_of_two_upstreams_down_fails_over(make_gateway, upstream) -> None:  # type: ignore[no-untyped-def]
    g = make_gateway([closed_port_url(), upstream.url], breaker_failures=3)
    for _ in range(8):
        assert g.chat("hi").status_code == 200
    dead = g.app.pool.upstreams[0]
    assert dead.breaker.state == "open" or not dead.healthy
    metrics = g.client.get("/metrics").text
    assert "hegui_requests_total" in metrics


def test_all_upstreams_down_is_502(make_gateway) -> None:  # type: ignore[no-untyped-def]
    g = make_gateway([closed_port_url()])
    assert_error(g.chat("hi"), 502, "upstream_unavailable")
    assert g.client.get("/readyz").status_code == 503


def test_no_upstream_configured_still_serves_health_and_moderation(make_gateway) -> None:  # type: ignore[no-untyped-def]
    g = make_gateway([])
    assert g.client.get("/healthz").json() == {"status": "ok"}
    assert_error(g.chat("hi"), 503, "no_upstream")
    r = g.client.post("/v1/moderations", json={"input": "炸弹制作"})
    assert r.json()["results"][0]["flagged"] is True


# ------------------------------------------------------------------ store down
def test_database_unavailable_fails_closed_with_503(make_gateway, upstream) -> None:  # type: ignore[no-untyped-def]
    backend = MemoryBackend(down=True)
    g = make_gateway([upstream.url], backend=backend)
    assert_error(g.chat("hi"), 503, "store_unavailable")
    assert backend.usage == [] and backend.incidents == []
    assert g.client.get("/readyz").status_code == 503


def test_database_down_when_recording_incident_answers_503(make_gateway, upstream) -> None:  # type: ignore[no-untyped-def]
    backend = MemoryBackend()
    g = make_gateway([upstream.url], backend=backend)

    async def broken(incident: object) -> str:
        from hegui.errors import StoreError

        raise StoreError("write failed")

    backend.record_incident = broken  # type: ignore[method-assign]
    assert_error(g.chat("炸弹制作"), 503, "store_unavailable")


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize(
    ("body", "param"),
    [
        (b"{not json", None),
        (b"\xff\xfe", None),
        (b"[1, 2]", None),
        (b'{"model": 5, "messages": []}', "model"),
        (b'{"model": "mock-model", "messages": "hi"}', "messages"),
        (
            b'{"model": "mock-model", "messages": [{"role": "user", "content": 7}]}',
            "messages.0.content",
        ),
        (
            b'{"model": "mock-model", "messages": [{"role": "user", "content": "x"}], "stream": "yes"}',
            "stream",
        ),
    ],
)
def test_malformed_or_wrongly_typed_body_is_400(
    gw: Running, body: bytes, param: str | None
) -> None:
    doc = assert_error(gw.client.post("/v1/chat/completions", content=body), 400)
    assert doc["error"]["param"] == param


def test_oversized_body_is_413(make_gateway, upstream) -> None:  # type: ignore[no-untyped-def]
    g = make_gateway([upstream.url], max_body_bytes=1000)
    assert_error(g.chat("x" * 5000), 413, "request_too_large")

    def chunks():  # type: ignore[no-untyped-def]
        for _ in range(20):
            yield b" " * 100  # no content-length: chunked upload

    assert_error(g.client.post("/v1/chat/completions", content=chunks()), 413)


def test_unknown_model_is_404(gw: Running) -> None:
    assert_error(gw.chat("hi", model="no-such-model"), 404, "model_not_found")


def test_unknown_path_and_wrong_method(gw: Running) -> None:
    assert_error(gw.client.get("/v2/nothing"), 404)
    assert_error(gw.client.get("/v1/chat/completions"), 405)


@pytest.mark.parametrize("key", [None, "sk-revoked"])
def test_missing_or_revoked_key_is_401(gw: Running, key: str | None) -> None:
    headers = {"authorization": f"Bearer {key}"} if key else {"authorization": ""}
    r = gw.client.post(
        "/v1/chat/completions", json={"model": "mock-model", "messages": []}, headers=headers
    )
    assert_error(r, 401, "invalid_api_key")
    assert gw.records(1)[-1].decision == "unauthorized"


# ------------------------------------------------------------------ accounts
def test_agreement_not_accepted_is_403_with_link(gw: Running) -> None:
    gw.backend.accounts["sk-old"] = account("k2", agreement_version="v0")
    r = gw.client.post("/v1/chat/completions", json={}, headers={"authorization": "Bearer sk-old"})
    doc = assert_error(r, 403, "agreement_required")
    assert doc["hegui"]["agreement_url"] == "https://example.test/agreement"


@pytest.mark.parametrize("state", [Sanction.SUSPENDED, Sanction.TERMINATED])
def test_sanctioned_account_is_403_with_reason_and_expiry(gw: Running, state: Sanction) -> None:
    until = datetime.now(UTC) + timedelta(days=7)
    gw.backend.accounts["sk-bad"] = account(
        "k3", sanction=state, sanction_until=until, sanction_reason="违规"
    )
    r = gw.client.post("/v1/chat/completions", json={}, headers={"authorization": "Bearer sk-bad"})
    doc = assert_error(r, 403, f"account_{state.value}")
    assert doc["hegui"]["reason"] == "违规" and doc["hegui"]["until"] == until.isoformat()


@pytest.mark.parametrize("state", [Sanction.WARNED, Sanction.RESTRICTED])
def test_warned_and_restricted_accounts_are_served_and_told(gw: Running, state: Sanction) -> None:
    until = datetime.now(UTC) + timedelta(days=1)
    gw.backend.accounts["sk-w"] = account(
        "k7", sanction=state, sanction_until=until, sanction_reason="违规"
    )
    h = {"authorization": "Bearer sk-w"}
    body = {"model": "mock-model", "messages": [{"role": "user", "content": "hi"}]}
    r = gw.client.post("/v1/chat/completions", json=body, headers=h)
    assert r.status_code == 200, r.text
    notice = r.json()["hegui"]["account"]
    assert notice["sanction"] == state.value and notice["reason"] == "违规"
    assert notice["until"] == until.isoformat() and notice["notice"]
    r = gw.client.post("/v1/chat/completions", json={**body, "stream": True}, headers=h)
    last = [e for e in sse_events(r.text) if "hegui" in e][-1]
    assert last["hegui"]["account"]["sanction"] == state.value
    refused = {**body, "messages": [{"role": "user", "content": "炸弹制作"}]}
    r = gw.client.post("/v1/chat/completions", json=refused, headers=h)
    assert r.json()["hegui"]["account"]["sanction"] == state.value


def test_expired_restriction_is_not_reported(gw: Running) -> None:
    gw.backend.accounts["sk-r"] = account(
        "k8", sanction=Sanction.RESTRICTED, sanction_until=datetime.now(UTC) - timedelta(hours=1)
    )
    r = gw.client.post(
        "/v1/chat/completions",
        json={"model": "mock-model", "messages": [{"role": "user", "content": "hi"}]},
        headers={"authorization": "Bearer sk-r"},
    )
    assert r.status_code == 200 and "account" not in r.json()["hegui"]


def test_expired_sanction_no_longer_blocks(gw: Running) -> None:
    gw.backend.accounts["sk-was"] = account(
        "k4", sanction=Sanction.SUSPENDED, sanction_until=datetime.now(UTC) - timedelta(days=1)
    )
    r = gw.client.post(
        "/v1/chat/completions",
        json={"model": "mock-model", "messages": [{"role": "user", "content": "hi"}]},
        headers={"authorization": "Bearer sk-was"},
    )
    assert r.status_code == 200


@pytest.mark.parametrize(("reason", "status"), [("curfew", 403), ("daily_limit", 429)])
def test_minor_outside_allowance_is_refused(gw: Running, reason: str, status: int) -> None:
    gw.backend.accounts["sk-kid"] = account("k5", age_band=AgeBand.UNDER_16)
    gw.backend.minors["k5"] = MinorsDecision(False, reason, minutes_used_today=61)
    r = gw.client.post("/v1/chat/completions", json={}, headers={"authorization": "Bearer sk-kid"})
    assert_error(r, status, f"minors_{reason}")


def test_minor_gets_rest_reminder_and_usage_time(gw: Running) -> None:
    gw.backend.accounts["sk-teen"] = account("k6", age_band=AgeBand.AGE_16_17)
    gw.backend.minors["k6"] = MinorsDecision(True, remind_rest=True)
    r = gw.client.post(
        "/v1/chat/completions",
        json={"model": "mock-model", "messages": [{"role": "user", "content": "hi"}]},
        headers={"authorization": "Bearer sk-teen"},
    )
    assert "请注意休息" in r.json()["choices"][0]["message"]["content"]
    gw.records(1)
    assert gw.backend.minutes["k6"] > 0


def test_rate_limited_account_is_429(gw: Running) -> None:
    gw.backend.rate_limited.add("k1")
    assert_error(gw.chat("hi"), 429, "rate_limit_exceeded")


def test_repeat_violation_reports_sanction_change(make_gateway, upstream) -> None:  # type: ignore[no-untyped-def]
    g = make_gateway([upstream.url], backend=MemoryBackend(violations_to_suspend=1))
    assert g.chat("炸弹制作").json()["hegui"]["sanction"]["state"] == "suspended"


def test_client_going_away_mid_stream_stops_the_upstream(gw: Running, upstream) -> None:  # type: ignore[no-untyped-def]
    import time

    mock = upstream.server.config.app
    before = mock.aborted
    body = {
        "model": "mock-model",
        "stream": True,
        "messages": [{"role": "user", "content": "hi"}],
        "mock": {"reply": "慢慢生成的内容" * 40, "chunk_chars": 1, "gap_ms": 10},
    }
    with gw.client.stream("POST", "/v1/chat/completions", json=body) as r:
        for _ in r.iter_bytes():
            break  # read the first bytes, then hang up
    deadline = time.monotonic() + 5
    while mock.aborted == before and time.monotonic() < deadline:
        time.sleep(0.02)
    assert mock.aborted == before + 1
    assert gw.records(1)[-1].decision == "client_closed"
