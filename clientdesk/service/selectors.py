"""Reads of the service domain: queues, the supervisor's overview, the request page's client
context, and the figures behind the standard reports.

Queues are keyset-paginated on (resolution_due, id): every queue is an index range scan on
(assignee | team, is_open, resolution_due), whatever the table's size.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.http import Http404
from django.utils import timezone

from clientdesk.clients.models import Interaction

from .models import (
    Agent,
    AvoidableReason,
    CallLog,
    RequestMessage,
    Service,
    ServiceRequest,
    SlaEvent,
    Status,
    Unit,
)
from .segmenting import SegmentInfo, segment_of

if TYPE_CHECKING:
    from clientdesk.accounts.models import User

QUEUE_PAGE = 50
# "Due soon": the warning time has passed but the due time has not.


def catalogue(channel: str | None = None) -> QuerySet[Service]:
    """Active services, optionally those that can be had through `channel` (the portal shows
    each one's documents to bring and whether the client must come in person)."""
    qs = Service.objects.filter(is_active=True).select_related("unit").order_by("name")
    if channel:
        # JSON containment is not portable to SQLite; the catalogue is small, so filter here.
        ids = [s.pk for s in qs if not s.channels or channel in s.channels]
        qs = qs.filter(pk__in=ids)
    return qs


def _queue_base() -> QuerySet[ServiceRequest]:
    return ServiceRequest.objects.filter(is_open=True).select_related(
        "company", "contact", "service", "assignee", "team"
    )


def my_queue(user: User) -> QuerySet[ServiceRequest]:
    return _queue_base().filter(assignee=user)


def team_queue(unit: Unit) -> QuerySet[ServiceRequest]:
    return _queue_base().filter(team=unit)


def unassigned_queue(unit: Unit) -> QuerySet[ServiceRequest]:
    return _queue_base().filter(team=unit, assignee__isnull=True)


def triage_queue() -> QuerySet[ServiceRequest]:
    return _queue_base().filter(company__isnull=True)


def units_of(user: User) -> list[Unit]:
    agent = Agent.objects.filter(user=user).first()
    units = list(agent.units.all()) if agent else []
    supervised = list(Unit.objects.filter(supervisor=user))
    return sorted({u.pk: u for u in units + supervised}.values(), key=lambda u: u.name)


@dataclass
class QueuePage:
    rows: list[ServiceRequest]
    next_cursor: str
    has_prev: bool


def _parse_cursor(cursor: str) -> tuple[dt.datetime | None, int] | None:
    try:
        due_text, pk_text = cursor.split("_", 1)
        due = dt.datetime.fromisoformat(due_text) if due_text else None
        return due, int(pk_text)
    except ValueError:
        return None


def queue_page(
    qs: QuerySet[ServiceRequest], *, cursor: str = "", size: int = QUEUE_PAGE
) -> QueuePage:
    """Most urgent first (resolution due, then id); requests with no due time come last."""
    qs = qs.order_by("resolution_due", "id")
    parsed = _parse_cursor(cursor) if cursor else None
    if parsed is not None:
        due, pk = parsed
        if due is None:
            qs = qs.filter(resolution_due__isnull=True, id__gt=pk)
        else:
            qs = qs.filter(
                Q(resolution_due__gt=due)
                | Q(resolution_due=due, id__gt=pk)
                | Q(resolution_due__isnull=True)
            )
    rows = list(qs[: size + 1])
    next_cursor = ""
    if len(rows) > size:
        rows = rows[:size]
        last = rows[-1]
        next_cursor = f"{last.resolution_due.isoformat() if last.resolution_due else ''}_{last.pk}"
    return QueuePage(rows=rows, next_cursor=next_cursor, has_prev=bool(cursor))


def sla_state(request: ServiceRequest, now: dt.datetime) -> str:
    """'paused', 'breached', 'due_soon' or 'ok', for a badge."""
    if request.sla_paused_since is not None:
        return "paused"
    due = request.first_response_due if request.first_response_at is None else None
    if request.resolution_breached or request.first_response_breached:
        return "breached"
    if request.resolution_due and request.resolution_due <= now:
        return "breached"
    if due and due <= now:
        return "breached"
    warn = request.resolution_warn_at
    if request.first_response_at is None and request.response_warn_at:
        warn = min(filter(None, [warn, request.response_warn_at]))
    if warn and warn <= now:
        return "due_soon"
    return "ok"


@dataclass
class QueueCounts:
    open: int = 0
    unassigned: int = 0
    due_soon: int = 0
    breached: int = 0
    paused: int = 0


@dataclass
class UnitRow:
    unit: Unit | None
    counts: QueueCounts
    agents: list[tuple[Any, QueueCounts]] = field(default_factory=list)


def _counts(qs: QuerySet[ServiceRequest], now: dt.datetime, *group: str) -> dict[Any, QueueCounts]:
    """Open requests grouped by `group` (one field, or several: the key is then a tuple)."""
    running = Q(sla_paused_since__isnull=True)
    breached = running & (
        Q(resolution_due__lte=now)
        | Q(first_response_at__isnull=True, first_response_due__lte=now)
        | Q(resolution_breached=True)
    )
    due_soon = (
        running
        & ~breached
        & (
            Q(resolution_warn_at__lte=now)
            | Q(first_response_at__isnull=True, response_warn_at__lte=now)
        )
    )
    rows = (
        qs.filter(is_open=True)
        .order_by()
        .values(*group)
        .annotate(
            open=Count("id"),
            unassigned=Count("id", filter=Q(assignee__isnull=True)),
            due_soon=Count("id", filter=due_soon),
            breached=Count("id", filter=breached),
            paused=Count("id", filter=Q(sla_paused_since__isnull=False)),
        )
    )
    result = {}
    for r in rows:
        key = r[group[0]] if len(group) == 1 else tuple(r[g] for g in group)
        result[key] = QueueCounts(
            r["open"], r["unassigned"], r["due_soon"], r["breached"], r["paused"]
        )
    return result


def supervisor_overview(now: dt.datetime | None = None) -> list[UnitRow]:
    """Every queue with its SLA risk: per unit, and per agent inside each unit (counting the
    agent's requests of that unit only). One grouped query over a covering partial index,
    whatever the number of requests; the unit totals are the sums of its groups."""
    from django.contrib.auth import get_user_model

    now = now or timezone.now()
    by_pair = _counts(ServiceRequest.objects.all(), now, "team_id", "assignee_id")
    by_unit: dict[int | None, QueueCounts] = {}
    for (team, _agent), c in by_pair.items():
        total = by_unit.setdefault(team, QueueCounts())
        total.open += c.open
        total.unassigned += c.unassigned
        total.due_soon += c.due_soon
        total.breached += c.breached
        total.paused += c.paused
    units = {u.pk: u for u in Unit.objects.select_related("supervisor")}
    users = get_user_model().objects.in_bulk({agent for _, agent in by_pair if agent})
    result: list[UnitRow] = []
    for unit_id, counts in sorted(
        by_unit.items(), key=lambda kv: (-kv[1].breached, -kv[1].due_soon, str(kv[0]))
    ):
        row = UnitRow(unit=units.get(unit_id) if unit_id else None, counts=counts)
        row.agents = sorted(
            (
                (users[agent], pair_counts)
                for (team, agent), pair_counts in by_pair.items()
                if team == unit_id and agent in users
            ),
            key=lambda a: (-a[1].breached, -a[1].open),
        )
        result.append(row)
    return result


# --- the request page ------------------------------------------------------------------------
def request_for_page(pk: int) -> ServiceRequest:
    request = (
        ServiceRequest.objects.select_related(
            "company__account_manager",
            "contact",
            "service__unit",
            "assignee",
            "team",
            "sla_policy",
            "repeat_of",
            "avoidable_reason",
        )
        .filter(pk=pk)
        .first()
    )
    if request is None:
        raise Http404
    return request


@dataclass
class ClientContext:
    segment: SegmentInfo | None
    open_requests: list[ServiceRequest]
    recent_interactions: list[Interaction]
    recent_requests_count: int
    satisfaction: Any = None  # filled in by the surveys domain when it exists


def client_context(request: ServiceRequest) -> ClientContext:
    if request.company_id is None:
        return ClientContext(None, [], [], 0)
    open_requests = list(
        ServiceRequest.objects.filter(company_id=request.company_id, is_open=True)
        .exclude(pk=request.pk)
        .select_related("service")
        .order_by("resolution_due")[:10]
    )
    interactions = list(
        Interaction.objects.filter(company_id=request.company_id)
        .select_related("staff", "contact")
        .order_by("-occurred_at", "-id")[:10]
    )
    since = timezone.now() - dt.timedelta(days=90)
    recent = ServiceRequest.objects.filter(
        company_id=request.company_id, created_at__gte=since
    ).count()
    return ClientContext(segment_of(request.company_id), open_requests, interactions, recent)


def thread(request: ServiceRequest) -> list[RequestMessage]:
    return list(
        request.messages.select_related("author", "author_contact").prefetch_related("attachments")
    )


# --- reports ---------------------------------------------------------------------------------
def _period(qs: QuerySet[ServiceRequest], start: dt.date, end: dt.date) -> QuerySet[ServiceRequest]:
    tz = timezone.get_current_timezone()
    return qs.filter(
        created_at__gte=dt.datetime.combine(start, dt.time.min, tzinfo=tz),
        created_at__lt=dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz),
    )


@dataclass
class Rates:
    total: int
    resolved: int
    first_contact: int
    repeats: int
    repeat_visits: int
    avoidable: int
    response_breached: int
    resolution_breached: int

    def pct(self, part: int, whole: int | None = None) -> float:
        whole = self.total if whole is None else whole
        return round(100 * part / whole, 1) if whole else 0.0

    @property
    def fcr_pct(self) -> float:
        return self.pct(self.first_contact, self.resolved)

    @property
    def repeat_pct(self) -> float:
        return self.pct(self.repeats)

    @property
    def avoidable_pct(self) -> float:
        return self.pct(self.avoidable)

    @property
    def sla_met_pct(self) -> float:
        return round(100 - self.pct(self.resolution_breached), 1) if self.total else 0.0


def rates(qs: QuerySet[ServiceRequest]) -> Rates:
    row = qs.order_by().aggregate(
        total=Count("id"),
        resolved=Count("id", filter=Q(resolved_at__isnull=False)),
        first_contact=Count("id", filter=Q(first_contact_resolution=True)),
        repeats=Count("id", filter=Q(repeat_of__isnull=False)),
        repeat_visits=Count("id", filter=Q(is_repeat_visit=True)),
        avoidable=Count("id", filter=Q(avoidable_reason__isnull=False)),
        response_breached=Count("id", filter=Q(first_response_breached=True)),
        resolution_breached=Count("id", filter=Q(resolution_breached=True)),
    )
    return Rates(**row)


def avoidable_report(start: dt.date, end: dt.date) -> list[dict[str, Any]]:
    """Contacts the company caused, by reason, with the services they came about."""
    qs = _period(ServiceRequest.objects.filter(avoidable_reason__isnull=False), start, end)
    counts = {
        r["avoidable_reason"]: r["n"]
        for r in qs.order_by().values("avoidable_reason").annotate(n=Count("id"))
    }
    by_service: dict[int, list[tuple[str, int]]] = {}
    for r in (
        qs.order_by()
        .values("avoidable_reason", "service__name")
        .annotate(n=Count("id"))
        .order_by("-n")
    ):
        by_service.setdefault(r["avoidable_reason"], []).append((r["service__name"] or "—", r["n"]))
    total = sum(counts.values())
    reasons = AvoidableReason.objects.filter(pk__in=counts)
    return sorted(
        (
            {
                "reason": reason,
                "count": counts[reason.pk],
                "share": round(100 * counts[reason.pk] / total, 1) if total else 0.0,
                "services": by_service.get(reason.pk, [])[:5],
            }
            for reason in reasons
        ),
        key=lambda r: -int(r["count"]),
    )


def period_rates(start: dt.date, end: dt.date, unit: Unit | None = None) -> Rates:
    qs = _period(ServiceRequest.objects.all(), start, end)
    if unit is not None:
        qs = qs.filter(team=unit)
    return rates(qs)


@dataclass
class OperatorDay:
    user: Any
    day: dt.date
    created: int
    replies: int
    notes: int
    resolved: int
    first_contact: int
    calls: int
    call_seconds: int
    open_now: int
    breached_now: int
    resolved_requests: list[ServiceRequest]


def operator_daily(user: User, day: dt.date) -> OperatorDay:
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(day, dt.time.min, tzinfo=tz)
    end = start + dt.timedelta(days=1)
    messages = RequestMessage.objects.filter(author=user, created_at__gte=start, created_at__lt=end)
    msg_counts = {r["kind"]: r["n"] for r in messages.values("kind").annotate(n=Count("id"))}
    resolved = list(
        ServiceRequest.objects.filter(assignee=user, resolved_at__gte=start, resolved_at__lt=end)
        .select_related("company", "service")
        .order_by("resolved_at")[:500]
    )
    calls = CallLog.objects.filter(agent=user, started_at__gte=start, started_at__lt=end)
    call_row = calls.aggregate(n=Count("id"), s=Sum("duration_seconds"))
    seconds = int(call_row["s"] or 0)
    now = timezone.now()
    mine = ServiceRequest.objects.filter(assignee=user, is_open=True)
    return OperatorDay(
        user=user,
        day=day,
        created=ServiceRequest.objects.filter(
            created_by=user, created_at__gte=start, created_at__lt=end
        ).count(),
        replies=msg_counts.get(RequestMessage.Kind.REPLY, 0),
        notes=msg_counts.get(RequestMessage.Kind.NOTE, 0),
        resolved=len(resolved),
        first_contact=sum(1 for r in resolved if r.first_contact_resolution),
        calls=call_row["n"],
        call_seconds=seconds,
        open_now=mine.count(),
        breached_now=mine.filter(
            Q(resolution_due__lte=now) | Q(resolution_breached=True),
            sla_paused_since__isnull=True,
        ).count(),
        resolved_requests=resolved,
    )


@dataclass
class UnitMonth:
    unit: Unit
    year: int
    month: int
    rates: Rates
    by_service: list[dict[str, Any]]
    by_channel: list[dict[str, Any]]
    by_day: list[dict[str, Any]]
    by_agent: list[dict[str, Any]]
    escalations: int


def unit_monthly(unit: Unit, year: int, month: int) -> UnitMonth:
    start = dt.date(year, month, 1)
    end = (start + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    qs = _period(ServiceRequest.objects.filter(team=unit), start, end)
    stats = {
        "n": Count("id"),
        "resolved": Count("id", filter=Q(resolved_at__isnull=False)),
        "fcr": Count("id", filter=Q(first_contact_resolution=True)),
        "breached": Count("id", filter=Q(resolution_breached=True)),
        "repeats": Count("id", filter=Q(repeat_of__isnull=False)),
    }

    def rows(grouped: QuerySet[Any, Any], *, key: str = "-n") -> list[dict[str, Any]]:
        found = [dict(r) for r in grouped.annotate(**stats)]
        if key == "-n":
            return sorted(found, key=lambda r: -int(r["n"]))
        return sorted(found, key=lambda r: r[key])

    by_service = rows(qs.order_by().values("service__name"))
    by_channel = rows(qs.order_by().values("channel"))
    by_day = rows(
        qs.order_by()
        .annotate(day=TruncDate("created_at", tzinfo=timezone.get_current_timezone()))
        .values("day"),
        key="day",
    )
    by_agent = rows(
        qs.order_by().values("assignee__last_name", "assignee__first_name", "assignee__username")
    )
    escalations = SlaEvent.objects.filter(
        request__team=unit,
        kind=SlaEvent.Kind.ESCALATION,
        at__date__gte=start,
        at__date__lte=end,
    ).count()
    return UnitMonth(
        unit, year, month, rates(qs), by_service, by_channel, by_day, by_agent, escalations
    )


STATUS_LABELS = dict(Status.choices)
