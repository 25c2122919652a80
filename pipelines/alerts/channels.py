"""Send one alert on one channel: a JSON webhook, a Slack incoming webhook or email over SMTP.

Webhook URLs, header values and SMTP passwords are secrets read from the environment at send time; no error message
(and no chained traceback) ever repeats one, so a DeliveryError can go to logs and to the user as it is.
"""

from __future__ import annotations

import hashlib
import os
import re
import smtplib
import socket
import ssl
from collections.abc import Mapping
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any

import httpx
import orjson

from models.alerts import Channel, EmailChannel, SlackChannel, WebhookChannel
from pipelines.alerts.message import Message

# Only a bare snake_case code (Slack's `invalid_payload`, `channel_not_found` ...) of an error body is repeated: it
# cannot hold a URL, and free text might quote the URL path, which for Slack is the secret.
_ERROR_CODE = re.compile(r"[a-z][a-z0-9_]{0,63}")
_SLACK_FIELDS = 10
_SLACK_VALUE_CHARS = 100
_SMTP_REPLY_CHARS = 200


class DeliveryError(RuntimeError):
    """One line for the user: names the channel (by its configured name and type) and the reason; never a URL,
    token, header value or password."""


def send(channel: Channel, message: Message, env: Mapping[str, str] | None = None) -> None:
    """Deliver `message` on `channel`; return on success, raise DeliveryError on any failure (missing env var,
    connection refused, timeout, non-2xx HTTP status, SMTP error)."""
    env = os.environ if env is None else env
    try:
        if isinstance(channel, WebhookChannel):
            headers = {name: _header(channel, env, variable) for name, variable in channel.headers_env.items()}
            headers |= {"Idempotency-Key": message.alert_id}
            _post(channel, env, message.as_json(), headers)
        elif isinstance(channel, SlackChannel):
            _post(channel, env, _slack_payload(message), {})
        else:
            _email(channel, env, message)
    except DeliveryError:
        raise
    except Exception as exc:
        # Anything unforeseen (a password smtplib cannot encode, say) fails this delivery only, and by its type
        # alone: its message or arguments may hold the secret it choked on.
        raise _fail(channel, f"unexpected {type(exc).__name__}") from None


def _fail(channel: Channel, reason: str) -> DeliveryError:
    return DeliveryError(f"channel {channel.name} ({channel.type}): {reason}")


def _secret(channel: Channel, env: Mapping[str, str], variable: str) -> str:
    value = env.get(variable)
    if not value:
        raise _fail(channel, f"environment variable {variable} is not set")
    return value


def _header(channel: WebhookChannel, env: Mapping[str, str], variable: str) -> str:
    value = _secret(channel, env, variable)
    # httpx would fail on it with an error that quotes the offending character of the secret.
    if not value.isascii() or "\r" in value or "\n" in value:
        raise _fail(channel, f"environment variable {variable} holds a value no HTTP header can carry")
    return value


def _root_causes(exc: BaseException) -> list[BaseException]:
    """httpx wraps httpcore's exception, which wraps the socket's: only the socket's says why a connect failed."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def _connect_reason(exc: BaseException) -> str:
    for cause in _root_causes(exc):
        reason = _known_reason(cause)
        if reason:
            return reason
    return "could not connect"


def _post(channel: WebhookChannel | SlackChannel, env: Mapping[str, str], payload: dict[str, Any],
          headers: dict[str, str]) -> None:
    url = _secret(channel, env, channel.url_env)
    secrets = [url, *headers.values()]
    # str() keeps a Decimal or a date a caller left in `details` from failing the send after the alert was decided.
    body = orjson.dumps(payload, default=str)
    headers = {**headers, "Content-Type": "application/json", "User-Agent": "meterline"}
    timeout = channel.timeout_seconds
    # Every `from None` below: an httpx exception's text and its chain carry the URL.
    try:
        response = httpx.post(url, content=body, headers=headers, timeout=timeout)
    except (httpx.InvalidURL, httpx.UnsupportedProtocol):
        raise _fail(channel, f"{channel.url_env} does not hold an http:// or https:// URL") from None
    except httpx.TimeoutException:
        raise _fail(channel, f"timed out after {timeout:g} s") from None
    except httpx.ConnectError as exc:
        raise _fail(channel, _connect_reason(exc)) from None
    except httpx.HTTPError as exc:
        raise _fail(channel, f"request failed ({type(exc).__name__})") from None
    if response.is_success:
        return
    reason = f"HTTP {response.status_code}"
    code = response.text.strip()
    if _ERROR_CODE.fullmatch(code) and not any(secret in code for secret in secrets):
        reason += f" {code}"
    raise _fail(channel, reason)


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _short(value: Any, limit: int) -> str:
    text = str(value)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _slack_payload(message: Message) -> dict[str, Any]:
    # `text` is what notifications and clients without blocks show; the blocks are the message as posted.
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": _short(message.title, 150) or "meterline"}},
    ]
    if message.text:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": _short(_slack_escape(message.text),
                                                                                    3000)}})
    fields = [{"type": "mrkdwn", "text": f"*{_slack_escape(_short(key, 50))}*\n"
                                         f"{_slack_escape(_short(value, _SLACK_VALUE_CHARS))}"}
              for key, value in list(message.details.items())[:_SLACK_FIELDS]]
    if fields:
        blocks.append({"type": "section", "fields": fields})
    text = f"*{_slack_escape(message.title)}*\n{_slack_escape(message.text)}"
    return {"text": text, "blocks": blocks}


def _email_message(channel: EmailChannel, message: Message) -> EmailMessage:
    mail = EmailMessage()
    # A header may not hold a line break; a title with one would otherwise fail the send.
    mail["Subject"] = "[meterline] " + " ".join(message.title.split())
    mail["From"] = channel.sender
    mail["To"] = ", ".join(channel.to)
    mail["Date"] = formatdate(localtime=True)
    # The same alert always gets the same Message-ID, so a mail system or a reader can spot a repeat delivery.
    mail["Message-ID"] = f"<{hashlib.sha256(message.alert_id.encode()).hexdigest()[:32]}@meterline>"
    lines = [f"{key}: {value}" for key, value in message.details.items()]
    mail.set_content("\n\n".join(part for part in (message.text, "\n".join(lines)) if part) + "\n")
    return mail


def _email(channel: EmailChannel, env: Mapping[str, str], message: Message) -> None:
    login: tuple[str, str] | None = None
    if channel.username_env and channel.password_env:
        login = (_secret(channel, env, channel.username_env), _secret(channel, env, channel.password_env))
    mail = _email_message(channel, message)
    context = ssl.create_default_context()
    try:
        smtp = (smtplib.SMTP_SSL(channel.host, channel.port, timeout=channel.timeout_seconds, context=context)
                if channel.security == "ssl" else
                smtplib.SMTP(channel.host, channel.port, timeout=channel.timeout_seconds))
        with smtp:
            if channel.security == "starttls":
                smtp.starttls(context=context)
            if login:
                smtp.login(*login)
            # Recipients refused one by one do not fail the send: the others have the mail, and a retry would
            # send it to them again while an address that will never work would keep it pending forever.
            smtp.send_message(mail)
    except smtplib.SMTPException as exc:
        raise _fail(channel, _smtp_reason(exc, login[1] if login else None)) from None
    except TimeoutError:
        raise _fail(channel, f"timed out after {channel.timeout_seconds:g} s") from None
    except OSError as exc:
        raise _fail(channel, f"cannot reach {channel.host}:{channel.port}: {_os_reason(exc)}") from None


def _known_reason(exc: BaseException) -> str | None:
    """The short reason for the socket failures a user can act on."""
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, socket.gaierror):
        return "cannot resolve the host"
    if isinstance(exc, ssl.SSLError):
        return "TLS handshake failed"
    return None


def _os_reason(exc: OSError) -> str:
    return _known_reason(exc) or exc.strerror or type(exc).__name__


def _smtp_reason(exc: smtplib.SMTPException, password: str | None) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "every recipient was refused"
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return "the server closed the connection"
    if isinstance(exc, smtplib.SMTPResponseException):
        reply = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        # The reply is the server's free text: a careless server might echo what it was sent.
        if password:
            reply = reply.replace(password, "[redacted]")
        prefix = "login refused, " if isinstance(exc, smtplib.SMTPAuthenticationError) else ""
        return f"{prefix}SMTP {exc.smtp_code} {_short(' '.join(reply.split()), _SMTP_REPLY_CHARS)}".rstrip()
    # Otherwise smtplib's own words, e.g. "STARTTLS extension not supported by server."
    return _short(str(exc), _SMTP_REPLY_CHARS) or type(exc).__name__
