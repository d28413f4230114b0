"""Where the service domain meets the others.

Offered to apps to its right (they register in their AppConfig.ready(), since service may not
import them): `register_client_context(provider)` adds facts about the client to the request
page, e.g. the surveys domain's latest satisfaction. `register_inbound_mail_handler(handler)`
shows every inbound e-mail to the handler before it is threaded into requests, e.g. so the
campaigns domain records a reply to one of its messages.

Inbound mail rule: a handler that returns True ("this answers a message of mine") does not take
the message away from service. The client wrote to us and someone must answer, so the message
still opens or joins a request as any other; nothing links the two. Each handler runs in its own
savepoint and a handler that fails is logged and skipped: a fault in another domain must not
stop clients' mail reaching service.

`register_notification_filter(check)` lets another domain veto an e-mail to the client
(the portal: its users' notification settings); `request_reply` asks `notification_wanted`.

Given to apps to its left: `register()` (called from ServiceConfig.ready()) adds the "open
complaints" input to the churn-risk score of the segments domain.

What counts as a complaint: a request that was open at the end of the period (created before
it ends and not resolved or closed by then) and either marked as caused by us (it has an
avoidable-contact reason) or filed under the topic "complaint" / "жалоба".
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

import polars as pl
from django.db import transaction
from django.db.models import Count, Q
from django.utils.functional import Promise

logger = logging.getLogger(__name__)

COMPLAINT_TOPICS = ("complaint", "жалоба")


@dataclass(frozen=True)
class ClientFact:
    """One line of the client panel of the request page."""

    label: str | Promise
    value: str | Promise
    note: str = ""  # small print under the value, e.g. the date
    url: str = ""  # where the reader sees more; empty if the reader may not open it


# (company_id, user viewing the page) -> facts to show; the user decides which links are shown.
ClientContextProvider = Callable[[int, Any], list[ClientFact]]
CLIENT_CONTEXT_PROVIDERS: list[ClientContextProvider] = []


def register_client_context(provider: ClientContextProvider) -> None:
    if provider not in CLIENT_CONTEXT_PROVIDERS:
        CLIENT_CONTEXT_PROVIDERS.append(provider)


def client_facts(company_id: int | None, user: Any) -> list[ClientFact]:
    if company_id is None:
        return []
    facts: list[ClientFact] = []
    for provider in CLIENT_CONTEXT_PROVIDERS:
        facts.extend(provider(company_id, user))
    return facts


# The parsed inbound message -> True when it answered a message of the handler's domain.
InboundMailHandler = Callable[[EmailMessage], bool]
INBOUND_MAIL_HANDLERS: list[InboundMailHandler] = []


def register_inbound_mail_handler(handler: InboundMailHandler) -> None:
    if handler not in INBOUND_MAIL_HANDLERS:
        INBOUND_MAIL_HANDLERS.append(handler)


def inbound_mail_handled(message: EmailMessage) -> bool:
    """Shows the message to every handler (all of them: one message may answer several domains);
    True when at least one handled it."""
    handled = False
    for handler in INBOUND_MAIL_HANDLERS:
        try:
            with transaction.atomic():
                handled = bool(handler(message)) or handled
        except Exception:
            logger.exception(
                "Inbound mail handler %r failed on %s", handler, message.get("Message-ID", "")
            )
    return handled


# (request, kind of e-mail) -> False when the client asked not to get it. kind is one of
# "request_reply", "status_change"; the portal registers its users' notification settings.
NotificationFilter = Callable[[Any, str], bool]
NOTIFICATION_FILTERS: list[NotificationFilter] = []


def register_notification_filter(check: NotificationFilter) -> None:
    if check not in NOTIFICATION_FILTERS:
        NOTIFICATION_FILTERS.append(check)


def notification_wanted(request: Any, kind: str) -> bool:
    return all(check(request, kind) for check in NOTIFICATION_FILTERS)


def complaint_q() -> Q:
    return Q(avoidable_reason__isnull=False) | Q(topic__in=COMPLAINT_TOPICS)


def open_complaints(period_end: dt.date) -> pl.DataFrame:
    """company_id, complaints: the complaints each company had open at the end of the period."""
    from .models import ServiceRequest

    # The same day boundary as the segments loaders (UTC), so every input cuts at one moment.
    # Closing sets resolved_at too and reopening clears it, so resolved_at alone says "open".
    end = dt.datetime.combine(period_end + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
    rows = (
        ServiceRequest.objects.filter(complaint_q(), company__isnull=False, created_at__lt=end)
        .filter(Q(resolved_at__isnull=True) | Q(resolved_at__gte=end))
        .order_by()
        .values("company_id")
        .annotate(n=Count("id"))
        .values_list("company_id", "n")
    )
    return pl.DataFrame(
        list(rows), schema={"company_id": pl.Int64, "complaints": pl.Int64}, orient="row"
    )


def register() -> None:
    from clientdesk.segments.services import register_risk_input

    register_risk_input("complaints", open_complaints)
