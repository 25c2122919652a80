"""One alert as the channels send it: the same words in a webhook body, a Slack message and an email."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Message:
    """`alert_id` is stable for one event (an anomaly episode opening, a budget threshold crossed in a month), so a
    receiver can drop a repeat; `details` holds JSON-ready numbers and names, never request text."""

    alert_id: str
    kind: str  # anomaly | budget | test
    severity: str  # info | minor | major | critical
    title: str
    text: str
    details: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"source": "meterline", "alert_id": self.alert_id, "kind": self.kind, "severity": self.severity,
                "title": self.title, "text": self.text, "details": self.details}
