"""Alert channels against real servers on 127.0.0.1: an HTTP server for webhooks and Slack, aiosmtpd for email.

The HTTP server answers from a script of responses (status, body, delay) and records every request; the SMTP server
collects every message and every login. No error a channel raises may hold the URL, a header value or a password.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import socket
import threading
import time
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, cast

import orjson
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP as SMTPServer
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session

from models.alerts import EmailChannel, SlackChannel, WebhookChannel
from pipelines.alerts.channels import DeliveryError, send
from pipelines.alerts.message import Message

HOOK_PATH = "/hooks/T0AB12CD/B0EF34GH/q9Zx7Wv5Ut3Sr1"
HEADER_SECRET = "Bearer whk-8Jd02Lq7Rt5Yp3Nc"
SMTP_USER = "alerts@example.com"
SMTP_PASSWORD = "pw-Hq3ZtR8vLm2KxY"
MESSAGE = Message(alert_id="budget:team-a:2025-10:0.8:actual", kind="budget", severity="major",
                  title="Budget team-a at 82% of $1,000.00", text="Month-to-date list cost is $820.00.",
                  details={"budget": "team-a", "amount_usd": 1000.0, "spent_usd": 820.0, "share": 0.82})


def assert_no_secret(error: BaseException, *secrets: str) -> None:
    """Neither the message nor the traceback a logger would print may hold a secret."""
    printed = "".join(traceback.format_exception(error))
    for secret in secrets:
        assert secret not in str(error)
        assert secret not in printed
    # A chained httpx or smtplib exception would be printed under it, URL and all.
    assert error.__cause__ is None and (error.__context__ is None or error.__suppress_context__)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- HTTP --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Seen:
    """One request as the server received it."""

    path: str
    headers: dict[str, str]
    body: Any


class Hook:
    """A webhook receiver: answers from `replies` in order (then 200 "ok") and records every request."""

    def __init__(self) -> None:
        self.requests: list[Seen] = []
        self.replies: list[tuple[int, str, float]] = []
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("content-length", 0)))
                hook.requests.append(Seen(self.path, {k.lower(): v for k, v in self.headers.items()},
                                          orjson.loads(raw)))
                status, body, delay = hook.replies.pop(0) if hook.replies else (200, "ok", 0.0)
                time.sleep(delay)
                payload = body.encode()
                try:
                    self.send_response(status)
                    self.send_header("content-type", "text/plain")
                    self.send_header("content-length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:
                    return  # the client gave up waiting, as the timeout test wants

            def log_message(self, *_: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{HOOK_PATH}"

    def reply(self, status: int, body: str = "", delay: float = 0.0) -> None:
        self.replies.append((status, body, delay))

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def hook() -> Iterator[Hook]:
    server = Hook()
    yield server
    server.close()


def webhook(**extra: Any) -> WebhookChannel:
    return WebhookChannel(type="webhook", name="ops", url_env="OPS_URL", headers_env={"Authorization": "OPS_TOKEN"},
                          **extra)


def test_webhook_posts_the_alert_with_its_idempotency_key(hook: Hook) -> None:
    send(webhook(), MESSAGE, {"OPS_URL": hook.url, "OPS_TOKEN": HEADER_SECRET})

    [seen] = hook.requests
    assert seen.path == HOOK_PATH
    assert seen.body == MESSAGE.as_json()
    assert seen.headers["idempotency-key"] == MESSAGE.alert_id
    assert seen.headers["authorization"] == HEADER_SECRET
    assert seen.headers["user-agent"] == "meterline"
    assert seen.headers["content-type"] == "application/json"


def test_webhook_server_error_names_the_status_without_secrets_then_recovers(hook: Hook) -> None:
    env = {"OPS_URL": hook.url, "OPS_TOKEN": HEADER_SECRET}
    # An error page quoting the URL and the header: none of it may be repeated.
    hook.reply(500, f"internal error at {hook.url} for {HEADER_SECRET}")
    with pytest.raises(DeliveryError) as failed:
        send(webhook(), MESSAGE, env)
    assert str(failed.value) == "channel ops (webhook): HTTP 500"
    assert_no_secret(failed.value, hook.url, HOOK_PATH, HEADER_SECRET)

    send(webhook(), MESSAGE, env)
    assert len(hook.requests) == 2
    assert hook.requests[0].body == hook.requests[1].body
    assert {seen.headers["idempotency-key"] for seen in hook.requests} == {MESSAGE.alert_id}


def test_webhook_connection_refused() -> None:
    url = f"http://127.0.0.1:{free_port()}{HOOK_PATH}"
    with pytest.raises(DeliveryError) as failed:
        send(webhook(), MESSAGE, {"OPS_URL": url, "OPS_TOKEN": HEADER_SECRET})
    assert str(failed.value) == "channel ops (webhook): connection refused"
    assert_no_secret(failed.value, url, HOOK_PATH, HEADER_SECRET)


def test_webhook_timeout(hook: Hook) -> None:
    hook.reply(200, "ok", delay=2.0)
    started = time.monotonic()
    with pytest.raises(DeliveryError) as failed:
        send(webhook(timeout_seconds=0.5), MESSAGE, {"OPS_URL": hook.url, "OPS_TOKEN": HEADER_SECRET})
    assert time.monotonic() - started < 1.5
    assert str(failed.value) == "channel ops (webhook): timed out after 0.5 s"
    assert_no_secret(failed.value, hook.url, HOOK_PATH, HEADER_SECRET)


def test_webhook_url_that_is_not_http() -> None:
    env = {"OPS_URL": "ftp://user:pw-in-url@example.com/x", "OPS_TOKEN": HEADER_SECRET}
    with pytest.raises(DeliveryError, match=r"OPS_URL does not hold an http:// or https:// URL") as failed:
        send(webhook(), MESSAGE, env)
    assert_no_secret(failed.value, "pw-in-url", HEADER_SECRET)


def test_webhook_header_value_that_cannot_be_sent() -> None:
    env = {"OPS_URL": "http://127.0.0.1:9/x", "OPS_TOKEN": "sécret-Wq2\n"}
    with pytest.raises(DeliveryError) as failed:
        send(webhook(), MESSAGE, env)
    assert str(failed.value) == ("channel ops (webhook): environment variable OPS_TOKEN holds a value no HTTP header "
                                 "can carry")


@pytest.mark.parametrize(("channel", "env", "variable"), [
    (webhook(), {"OPS_TOKEN": HEADER_SECRET}, "OPS_URL"),
    (webhook(), {"OPS_URL": "http://127.0.0.1:9/x", "OPS_TOKEN": ""}, "OPS_TOKEN"),
    (SlackChannel(type="slack", name="team", url_env="SLACK_URL"), {}, "SLACK_URL"),
    (EmailChannel(type="email", name="mail", host="127.0.0.1", sender="m@example.com", to=["a@example.com"],
                  username_env="SMTP_USER", password_env="SMTP_PASSWORD"), {"SMTP_USER": SMTP_USER}, "SMTP_PASSWORD"),
], ids=["webhook-url", "webhook-header-empty", "slack-url", "email-password"])
def test_missing_env_var_names_the_variable(channel: Any, env: dict[str, str], variable: str) -> None:
    with pytest.raises(DeliveryError) as failed:
        send(channel, MESSAGE, env)
    assert str(failed.value) == f"channel {channel.name} ({channel.type}): environment variable {variable} is not set"


# --- Slack -------------------------------------------------------------------------------------------------------


def slack() -> SlackChannel:
    return SlackChannel(type="slack", name="team", url_env="SLACK_URL")


def test_slack_posts_text_and_blocks(hook: Hook) -> None:
    details = {f"key_{index}": "x" * 500 for index in range(15)}
    message = Message("a1", "anomaly", "minor", "Spend jump on gpt-4.1", "Yesterday cost $120 <expected $40>", details)
    send(slack(), message, {"SLACK_URL": hook.url})

    [seen] = hook.requests
    assert seen.body["text"] == "*Spend jump on gpt-4.1*\nYesterday cost $120 &lt;expected $40&gt;"
    blocks = seen.body["blocks"]
    assert blocks[0] == {"type": "header", "text": {"type": "plain_text", "text": "Spend jump on gpt-4.1"}}
    assert "Yesterday cost $120" in blocks[1]["text"]["text"]
    fields = blocks[2]["fields"]
    assert len(fields) == 10
    assert fields[0]["text"].startswith("*key_0*\nxxx")
    assert all(len(field["text"]) < 200 for field in fields)


def test_slack_error_code_is_repeated_but_not_the_url(hook: Hook) -> None:
    hook.reply(400, "invalid_payload")
    with pytest.raises(DeliveryError) as failed:
        send(slack(), MESSAGE, {"SLACK_URL": hook.url})
    assert str(failed.value) == "channel team (slack): HTTP 400 invalid_payload"
    assert_no_secret(failed.value, hook.url, HOOK_PATH)

    hook.reply(404, f"no route to {HOOK_PATH}")
    with pytest.raises(DeliveryError) as failed:
        send(slack(), MESSAGE, {"SLACK_URL": hook.url})
    assert str(failed.value) == "channel team (slack): HTTP 404"


# --- email -------------------------------------------------------------------------------------------------------


class Mailbox:
    """Collects what aiosmtpd receives, and every login it sees (accepting only SMTP_USER / SMTP_PASSWORD)."""

    def __init__(self) -> None:
        self.envelopes: list[tuple[str, list[str], bytes]] = []
        self.logins: list[str] = []

    async def handle_DATA(self, server: SMTPServer, session: Session, envelope: Envelope) -> str:
        content = envelope.content if isinstance(envelope.content, bytes) else (envelope.content or "").encode()
        self.envelopes.append((envelope.mail_from or "", list(envelope.rcpt_tos), content))
        return "250 OK"

    def authenticate(self, server: SMTPServer, session: Session, envelope: Envelope, mechanism: str,
                     auth_data: Any) -> AuthResult:
        assert isinstance(auth_data, LoginPassword)
        self.logins.append(auth_data.login.decode())
        accepted = auth_data.login.decode() == SMTP_USER and auth_data.password.decode() == SMTP_PASSWORD
        return AuthResult(success=accepted, handled=False)

    def messages(self) -> list[EmailMessage]:
        # The default policy parses to EmailMessage; the stubs only promise its base class.
        return [cast(EmailMessage, email.message_from_bytes(content, policy=email.policy.default))
                for _, _, content in self.envelopes]


@pytest.fixture
def smtp() -> Iterator[tuple[Mailbox, int]]:
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port, authenticator=mailbox.authenticate,
                            auth_require_tls=False)
    controller.start()
    yield mailbox, port
    controller.stop()


def mail(port: int, **extra: Any) -> EmailChannel:
    return EmailChannel(**{"type": "email", "name": "mail", "host": "127.0.0.1", "port": port, "security": "none",
                           "sender": "meterline@example.com", "to": ["a@example.com", "b@example.com"],
                           "timeout_seconds": 5, **extra})


def test_email_delivers_one_message(smtp: tuple[Mailbox, int]) -> None:
    mailbox, port = smtp
    send(mail(port), MESSAGE, {})

    [(sender, recipients, _)] = mailbox.envelopes
    assert sender == "meterline@example.com"
    assert recipients == ["a@example.com", "b@example.com"]
    [received] = mailbox.messages()
    assert received["Subject"] == "[meterline] Budget team-a at 82% of $1,000.00"
    assert received["From"] == "meterline@example.com"
    assert received["To"] == "a@example.com, b@example.com"
    body = received.get_content().replace("\r\n", "\n")
    assert body.startswith("Month-to-date list cost is $820.00.\n\n")
    assert "spent_usd: 820.0\n" in body
    assert mailbox.logins == []


def test_email_message_id_is_the_same_for_the_same_alert(smtp: tuple[Mailbox, int]) -> None:
    mailbox, port = smtp
    send(mail(port), MESSAGE, {})
    send(mail(port), MESSAGE, {})
    send(mail(port), Message("other-alert", "test", "info", "Test", "A test alert."), {})

    first, repeat, other = (received["Message-ID"] for received in mailbox.messages())
    assert first == repeat == f"<{hashlib.sha256(MESSAGE.alert_id.encode()).hexdigest()[:32]}@meterline>"
    assert other != first


def test_email_logs_in_with_the_configured_credentials(smtp: tuple[Mailbox, int]) -> None:
    mailbox, port = smtp
    channel = mail(port, username_env="SMTP_USER", password_env="SMTP_PASSWORD")
    send(channel, MESSAGE, {"SMTP_USER": SMTP_USER, "SMTP_PASSWORD": SMTP_PASSWORD})

    assert mailbox.logins == [SMTP_USER]
    assert len(mailbox.envelopes) == 1


def test_email_wrong_password_fails_without_the_password(smtp: tuple[Mailbox, int]) -> None:
    mailbox, port = smtp
    channel = mail(port, username_env="SMTP_USER", password_env="SMTP_PASSWORD")
    wrong = "pw-wrong-Tb7Xc1Qe"
    with pytest.raises(DeliveryError) as failed:
        send(channel, MESSAGE, {"SMTP_USER": SMTP_USER, "SMTP_PASSWORD": wrong})

    assert str(failed.value).startswith("channel mail (email): login refused, SMTP 535")
    assert_no_secret(failed.value, wrong)
    assert SMTP_USER in mailbox.logins
    assert mailbox.envelopes == []


def test_email_starttls_not_offered(smtp: tuple[Mailbox, int]) -> None:
    mailbox, port = smtp
    with pytest.raises(DeliveryError) as failed:
        send(mail(port, security="starttls"), MESSAGE, {})
    assert str(failed.value) == "channel mail (email): STARTTLS extension not supported by server."
    assert mailbox.envelopes == []


def test_email_to_a_closed_port() -> None:
    port = free_port()
    with pytest.raises(DeliveryError) as failed:
        send(mail(port), MESSAGE, {})
    assert str(failed.value) == f"channel mail (email): cannot reach 127.0.0.1:{port}: connection refused"
