"""Measured service of the service centers: waits and visits, abandonment and no-shows,
first-contact resolution, repeat visits, heat maps by hour and weekday.

How it is computed (the ticket table can be large):

- Counts (tickets, served, no-shows, abandoned, transferred, resolved at first contact, visits
  of known clients) are aggregate queries: one GROUP BY per report, the database does the work.
- Repeat visits: the served visits of known clients in the period (plus the window before it)
  are streamed once as one int64 each (client-service pair number and seconds), and sorted; a
  visit is a repeat when a binary search finds an earlier one within the window. 8 bytes per
  such visit plus a dict of distinct client-service pairs, n·log n; a correlated EXISTS per
  ticket (the obvious SQL) would scan every earlier visit of a big client for each of its
  visits without an index on (company, service, issued) — which the ticket table lacks.
- Durations are streamed: one query fetching only the group key and four timestamps, read in
  chunks of `CHUNK` rows. Each chunk goes into numpy and is added to a histogram per group with
  `BIN_SECONDS` bins up to `MAX_SECONDS` (longer ones fall into the last bin). Means are exact
  (sums), percentiles are read off the histograms, interpolated inside a bin: the error is below
  one bin (10 s). Memory is groups × bins × 8 bytes (168 heat-map cells: 0.5 MB per measure),
  whatever the number of tickets.
- Hours and weekdays are the center's local time (extracted by the database in the center's
  time zone; centers in several zones are read zone by zone).

Definitions: the wait runs from the moment the ticket stands in line (its appointment time, else
its issue) to the call, over tickets called; the service runs from start to finish of tickets
served. Shares of abandonment and no-shows are of tickets issued; first-contact resolution is of
visits served with the answer recorded. A repeat visit is a served visit of a company (or, without
a company, of a contact) who had a served visit for the same service, at any center, in the
`repeat_days` before (default `CENTERS_REPEAT_VISIT_DAYS`, 30).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from django.conf import settings
from django.db.models import (
    Case,
    Count,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    Q,
    QuerySet,
    When,
)
from django.db.models.functions import ExtractHour, ExtractIsoWeekDay
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext_lazy as _

from clientdesk.accounts.models import User
from clientdesk.service.models import Service

from .models import Desk, ServiceCenter, Ticket, TicketState

BIN_SECONDS = 10
MAX_SECONDS = 8 * 3600
BINS = MAX_SECONDS // BIN_SECONDS + 1
CHUNK = 20_000
PERCENTILES = (0.5, 0.9, 0.95)

BREAKDOWNS: dict[str, Any] = {
    "center": _("Center"),
    "service": _("Service"),
    "desk": _("Desk"),
    "operator": _("Operator"),
    "hour": _("Hour"),
    "weekday": _("Weekday"),
}
# Breakdowns read in the center's local time.
_LOCAL = {"hour", "weekday"}


def repeat_days_default() -> int:
    return int(getattr(settings, "CENTERS_REPEAT_VISIT_DAYS", 30))


@dataclass(frozen=True)
class Stats:
    count: int
    mean: float | None
    p50: float | None
    p90: float | None
    p95: float | None

    @property
    def mean_minutes(self) -> float | None:
        return None if self.mean is None else self.mean / 60

    @property
    def p50_minutes(self) -> float | None:
        return None if self.p50 is None else self.p50 / 60

    @property
    def p90_minutes(self) -> float | None:
        return None if self.p90 is None else self.p90 / 60

    @property
    def p95_minutes(self) -> float | None:
        return None if self.p95 is None else self.p95 / 60


EMPTY = Stats(0, None, None, None, None)


@dataclass
class Row:
    key: Any
    label: str = ""
    tickets: int = 0
    served: int = 0
    no_show: int = 0
    abandoned: int = 0
    transferred: int = 0
    fcr_known: int = 0
    fcr_yes: int = 0
    known_client: int = 0
    repeats: int = 0
    wait: Stats = EMPTY
    service: Stats = EMPTY

    @staticmethod
    def _share(part: int, whole: int) -> float | None:
        return part / whole if whole else None

    @property
    def no_show_share(self) -> float | None:
        return self._share(self.no_show, self.tickets)

    @property
    def abandon_share(self) -> float | None:
        return self._share(self.abandoned, self.tickets)

    @property
    def fcr_share(self) -> float | None:
        return self._share(self.fcr_yes, self.fcr_known)

    @property
    def repeat_share(self) -> float | None:
        return self._share(self.repeats, self.known_client)


@dataclass(frozen=True)
class Filters:
    centers: Sequence[ServiceCenter]
    start: dt.date
    end: dt.date
    breakdown: str = "center"
    repeat_days: int = field(default_factory=repeat_days_default)


@dataclass(frozen=True)
class Report:
    filters: Filters
    total: Row
    rows: list[Row]


@dataclass(frozen=True)
class HeatMap:
    """Hour (columns) × weekday (rows) cells, each a Row with volume and waits."""

    hours: list[int]
    weekdays: list[tuple[int, str]]
    cells: dict[tuple[int, int], Row]
    top_volume: int
    top_wait_p90: float

    def cell(self, weekday: int, hour: int) -> Row | None:
        return self.cells.get((weekday, hour))


# Histogram maths (pure) ---------------------------------------------------------------------


def histogram_add(
    hist: np.ndarray[Any, Any],
    sums: np.ndarray[Any, Any],
    groups: np.ndarray[Any, Any],
    seconds: np.ndarray[Any, Any],
) -> None:
    """Adds durations (seconds, NaN = none) of rows in `groups` to per-group histograms."""
    keep = ~np.isnan(seconds)
    groups, seconds = groups[keep], np.clip(seconds[keep], 0, MAX_SECONDS)
    bins = (seconds // BIN_SECONDS).astype(np.int64)
    hist += np.bincount(groups * BINS + bins, minlength=hist.size).reshape(hist.shape)
    sums += np.bincount(groups, weights=seconds, minlength=sums.size)


def stats_from_histogram(counts: np.ndarray[Any, Any], total_seconds: float) -> Stats:
    n = int(counts.sum())
    if n == 0:
        return EMPTY
    cumulative = np.cumsum(counts)
    values = []
    for q in PERCENTILES:
        rank = q * n
        index = int(np.searchsorted(cumulative, rank, side="left"))
        before = cumulative[index - 1] if index else 0
        inside = counts[index]
        fraction = (rank - before) / inside if inside else 0.0
        values.append(float((index + fraction) * BIN_SECONDS))
    return Stats(n, total_seconds / n, values[0], values[1], values[2])


# Queries ------------------------------------------------------------------------------------


def tickets(filters: Filters) -> QuerySet[Ticket]:
    return Ticket.objects.filter(
        center__in=[c.pk for c in filters.centers], day__gte=filters.start, day__lte=filters.end
    )


def _zones(centers: Iterable[ServiceCenter]) -> dict[str, list[int]]:
    zones: dict[str, list[int]] = defaultdict(list)
    for center in centers:
        zones[center.timezone].append(center.pk)
    return zones


def _key_exprs(breakdown: Sequence[str], zone: ZoneInfo) -> dict[str, Any]:
    exprs: dict[str, Any] = {}
    for name in breakdown:
        if name == "hour":
            exprs["k_hour"] = ExtractHour("issued_at", tzinfo=zone)
        elif name == "weekday":
            exprs["k_weekday"] = ExtractIsoWeekDay("issued_at", tzinfo=zone)
        else:
            exprs[f"k_{name}"] = F(f"{name}_id")
    return exprs


_DONE = Q(state=TicketState.DONE)


_KNOWN = Q(company__isnull=False) | Q(contact__isnull=False)


def _counts(qs: QuerySet[Ticket], keys: list[str]) -> list[dict[str, Any]]:
    known = _KNOWN
    return list(
        qs.values(*keys)
        .annotate(
            tickets=Count("pk"),
            served=Count("pk", filter=_DONE),
            no_show=Count("pk", filter=Q(state=TicketState.NO_SHOW)),
            abandoned=Count("pk", filter=Q(state=TicketState.ABANDONED)),
            transferred=Count("pk", filter=Q(state=TicketState.TRANSFERRED)),
            fcr_known=Count("pk", filter=_DONE & Q(first_contact_resolved__isnull=False)),
            fcr_yes=Count("pk", filter=_DONE & Q(first_contact_resolved=True)),
            known_client=Count("pk", filter=_DONE & known),
        )
        .order_by()
    )


class Epoch(Func):
    """Seconds since 1970 of a datetime column, computed by the database: turning millions of
    timestamps into Python datetimes was most of the time of a large report."""

    template = "CAST(EXTRACT(EPOCH FROM %(expressions)s) AS double precision)"
    output_field = FloatField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        # Django keeps SQLite datetimes as UTC text, which julianday() reads natively.
        return self.as_sql(
            compiler,
            connection,
            template="((julianday(%(expressions)s) - 2440587.5) * 86400.0)",
            **extra,
        )


def _between(end: str, start: str) -> Any:
    return ExpressionWrapper(Epoch(end) - Epoch(start), output_field=FloatField())


class _Durations:
    """Wait and service histograms per group key, grown as new keys appear."""

    def __init__(self) -> None:
        self.index: dict[tuple[Any, ...], int] = {}
        self.hist = np.zeros((2, 8, BINS), dtype=np.int64)
        self.sums = np.zeros((2, 8), dtype=np.float64)

    def _grow(self) -> None:
        have = self.hist.shape[1]
        if len(self.index) <= have:
            return
        more = max(len(self.index), have * 2) - have
        self.hist = np.concatenate([self.hist, np.zeros((2, more, BINS), dtype=np.int64)], axis=1)
        self.sums = np.concatenate([self.sums, np.zeros((2, more))], axis=1)

    def add(self, chunk: list[tuple[Any, ...]], width: int) -> None:
        groups = [self.index.setdefault(tuple(row[:width]), len(self.index)) for row in chunk]
        self._grow()
        group_array = np.array(groups, dtype=np.int64)
        waits, services = list(zip(*chunk, strict=True))[width:]
        # None (not served) becomes NaN, which histogram_add leaves out.
        histogram_add(self.hist[0], self.sums[0], group_array, np.array(waits, dtype=np.float64))
        histogram_add(self.hist[1], self.sums[1], group_array, np.array(services, dtype=np.float64))

    def stream(self, qs: QuerySet[Ticket], keys: list[str]) -> None:
        rows = (
            qs.filter(called_at__isnull=False)
            .annotate(
                d_wait=_between("called_at", "queue_at"),
                d_service=Case(
                    When(_DONE, then=_between("finished_at", "started_at")),
                    default=None,
                    output_field=FloatField(),
                ),
            )
            .values_list(*keys, "d_wait", "d_service")
            .order_by()
            .iterator(chunk_size=CHUNK)
        )
        chunk: list[tuple[Any, ...]] = []
        for row in rows:
            chunk.append(row)
            if len(chunk) >= CHUNK:
                self.add(chunk, len(keys))
                chunk = []
        if chunk:
            self.add(chunk, len(keys))

    def total(self) -> tuple[Stats, Stats]:
        used = len(self.index)
        return (
            stats_from_histogram(self.hist[0, :used].sum(axis=0), float(self.sums[0, :used].sum())),
            stats_from_histogram(self.hist[1, :used].sum(axis=0), float(self.sums[1, :used].sum())),
        )

    def results(self) -> dict[tuple[Any, ...], tuple[Stats, Stats]]:
        return {
            key: (
                stats_from_histogram(self.hist[0, i], float(self.sums[0, i])),
                stats_from_histogram(self.hist[1, i], float(self.sums[1, i])),
            )
            for key, i in self.index.items()
        }


def _client_code(company_id: int | None, contact_id: int | None) -> int:
    """A company is the client; a contact without a company stands for itself (negative)."""
    return company_id if company_id is not None else -(contact_id or 0)


class _Visits:
    """Served visits with a known client as sorted int64 codes, (client, service) pair number
    times 2^30 plus seconds since the window start, so that "a visit for the same service in
    the N days before" is two binary searches. Pairs are numbered as they come (a dict of
    distinct client-service pairs), which keeps the codes far from overflowing."""

    SECOND_SPAN = 2**30  # seconds since the window start stay below this (34 years)

    def __init__(self, origin: dt.datetime, days: int) -> None:
        self.pairs: dict[tuple[int, int], int] = {}
        self.keys = np.zeros(0, dtype=np.int64)
        self.origin = origin.timestamp()
        self.window = days * 86400

    @classmethod
    def load(cls, filters: Filters) -> _Visits:
        # Local days may start up to 14 hours off UTC: a day more on each side is enough.
        origin = dt.datetime.combine(
            filters.start - dt.timedelta(days=filters.repeat_days + 1), dt.time(), tzinfo=dt.UTC
        )
        until = dt.datetime.combine(filters.end + dt.timedelta(days=2), dt.time(), tzinfo=dt.UTC)
        visits = cls(origin, filters.repeat_days)
        rows = (
            Ticket.objects.filter(_DONE & _KNOWN, issued_at__gte=origin, issued_at__lt=until)
            .values_list("company_id", "contact_id", "service_id", Epoch("issued_at"))
            .order_by()
            .iterator(chunk_size=CHUNK)
        )
        parts = [np.zeros(0, dtype=np.int64)]
        chunk: list[int] = []
        for company_id, contact_id, service_id, issued in rows:
            pair = (_client_code(company_id, contact_id), service_id)
            number = visits.pairs.setdefault(pair, len(visits.pairs))
            chunk.append(visits.code(number, issued))
            if len(chunk) >= CHUNK:
                parts.append(np.array(chunk, dtype=np.int64))
                chunk = []
        parts.append(np.array(chunk, dtype=np.int64))
        visits.keys = np.sort(np.concatenate(parts))
        return visits

    def code(self, pair_number: int, issued: float) -> int:
        """`issued` in seconds since 1970."""
        return pair_number * self.SECOND_SPAN + int(issued - self.origin)

    def code_of(
        self, company_id: int | None, contact_id: int | None, service_id: int, issued: float
    ) -> int:
        number = self.pairs.get((_client_code(company_id, contact_id), service_id))
        # A visit outside the loaded window cannot be a repeat of anything loaded: -1 is a code
        # below every stored one, so both searches below land at 0.
        return -1 if number is None else self.code(number, issued)

    def is_repeat(self, codes: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        """For visits given as codes: was there one of the same client and service within the
        window before (strictly earlier, so a visit never repeats itself)?"""
        below = np.searchsorted(self.keys, codes, side="left")
        since = np.searchsorted(self.keys, codes - self.window, side="left")
        result: np.ndarray[Any, Any] = (below > since) & (codes >= 0)
        return result


def _repeats(qs: QuerySet[Ticket], keys: list[str], earlier: _Visits) -> dict[tuple[Any, ...], int]:
    counts: dict[tuple[Any, ...], int] = defaultdict(int)
    rows = (
        qs.filter(_DONE & _KNOWN)
        .values_list(*keys, "company_id", "contact_id", "service_id", Epoch("issued_at"))
        .order_by()
        .iterator(chunk_size=CHUNK)
    )
    width = len(keys)
    chunk: list[tuple[Any, ...]] = []

    def flush() -> None:
        codes = np.array(
            [
                earlier.code_of(row[width], row[width + 1], row[width + 2], row[width + 3])
                for row in chunk
            ],
            dtype=np.int64,
        )
        for row, repeat in zip(chunk, earlier.is_repeat(codes), strict=True):
            if repeat:
                counts[tuple(row[:width])] += 1

    for row in rows:
        chunk.append(row)
        if len(chunk) >= CHUNK:
            flush()
            chunk = []
    if chunk:
        flush()
    return counts


_COUNTED = (
    "tickets",
    "served",
    "no_show",
    "abandoned",
    "transferred",
    "fcr_known",
    "fcr_yes",
    "known_client",
    "repeats",
)


def _measure(
    filters: Filters, breakdown: Sequence[str], *, repeats: bool = True
) -> tuple[dict[tuple[Any, ...], Row], Row]:
    """Rows keyed by the breakdown values, and the total: one count query, one duration stream
    and (if asked) one repeat-visit stream per time zone. The total adds the groups' counts and
    histograms, so it costs no query of its own."""
    local = bool(_LOCAL & set(breakdown))
    zones = _zones(filters.centers) if local else {"UTC": [c.pk for c in filters.centers]}
    rows: dict[tuple[Any, ...], Row] = {}
    durations = _Durations()
    earlier = _Visits.load(filters) if repeats else None
    for zone_name, center_ids in zones.items():
        exprs = _key_exprs(breakdown, ZoneInfo(zone_name))
        keys = list(exprs)
        qs = tickets(filters).filter(center__in=center_ids).annotate(**exprs)
        for counted in _counts(qs, keys):
            row = rows.setdefault(tuple(counted[k] for k in keys), Row(key=None))
            for name in _COUNTED[:-1]:
                setattr(row, name, getattr(row, name) + counted[name])
        durations.stream(qs, keys)
        if earlier is not None:
            for key, count in _repeats(qs, keys, earlier).items():
                rows.setdefault(key, Row(key=None)).repeats += count
    for key, (wait, service) in durations.results().items():
        row = rows.setdefault(key, Row(key=None))
        row.wait, row.service = wait, service
    total = Row(key=None)
    for row in rows.values():
        for name in _COUNTED:
            setattr(total, name, getattr(total, name) + getattr(row, name))
    total.wait, total.service = durations.total()
    return rows, total


def _labels(breakdown: str, keys: list[Any]) -> dict[Any, str]:
    ids = [k for k in keys if k is not None]
    if breakdown == "center":
        return {c.pk: c.name for c in ServiceCenter.objects.filter(pk__in=ids)}
    if breakdown == "service":
        return {s.pk: s.name for s in Service.objects.filter(pk__in=ids)}
    if breakdown == "desk":
        return {
            d.pk: f"{d.center.name} · {d}"
            for d in Desk.objects.filter(pk__in=ids).select_related("center")
        }
    if breakdown == "operator":
        return {u.pk: u.get_full_name() or u.username for u in User.objects.filter(pk__in=ids)}
    if breakdown == "hour":
        return {h: f"{h:02d}:00" for h in ids}
    return {d: str(WEEKDAYS[d - 1]) for d in ids}


def measured_service(filters: Filters) -> Report:
    if filters.breakdown not in BREAKDOWNS:
        raise ValueError(f"unknown breakdown {filters.breakdown!r}")
    by_key, total = _measure(filters, [filters.breakdown])
    labels = _labels(filters.breakdown, [k[0] for k in by_key])
    rows = []
    for key, row in by_key.items():
        row.key = key[0]
        row.label = labels.get(key[0], "—") if key[0] is not None else str(_("(none)"))
        rows.append(row)
    if filters.breakdown in _LOCAL:
        rows.sort(key=lambda r: (r.key is None, r.key or 0))
    else:
        rows.sort(key=lambda r: (-r.tickets, r.label))
    total.label = str(_("All"))
    return Report(filters=filters, total=total, rows=rows)


def heat_map(filters: Filters) -> HeatMap:
    cells, _total = _measure(filters, ["weekday", "hour"], repeats=False)
    hours = sorted({h for _d, h in cells}) or list(range(9, 20))
    if hours:
        hours = list(range(min(hours), max(hours) + 1))
    return HeatMap(
        hours=hours,
        weekdays=[(d, str(WEEKDAYS[d - 1])) for d in range(1, 8)],
        cells=cells,
        top_volume=max((c.tickets for c in cells.values()), default=0),
        top_wait_p90=max((c.wait.p90 or 0 for c in cells.values()), default=0.0),
    )


def export_rows(report: Report) -> list[list[Any]]:
    """The table as plain values, for CSV and XLSX (minutes with one decimal, shares in %)."""

    def minutes(value: float | None) -> float | None:
        return None if value is None else round(value / 60, 1)

    def percent(value: float | None) -> float | None:
        return None if value is None else round(100 * value, 1)

    header = [
        str(BREAKDOWNS[report.filters.breakdown]),
        str(_("Tickets")),
        str(_("Served")),
        str(_("No-shows, %")),
        str(_("Left the queue, %")),
        str(_("Wait mean, min")),
        str(_("Wait median, min")),
        str(_("Wait p90, min")),
        str(_("Wait p95, min")),
        str(_("Service mean, min")),
        str(_("Service median, min")),
        str(_("Service p90, min")),
        str(_("Resolved at first contact, %")),
        str(_("Repeat visits, %")),
    ]
    lines: list[list[Any]] = [header]
    for row in [*report.rows, report.total]:
        lines.append(
            [
                row.label,
                row.tickets,
                row.served,
                percent(row.no_show_share),
                percent(row.abandon_share),
                minutes(row.wait.mean),
                minutes(row.wait.p50),
                minutes(row.wait.p90),
                minutes(row.wait.p95),
                minutes(row.service.mean),
                minutes(row.service.p50),
                minutes(row.service.p90),
                percent(row.fcr_share),
                percent(row.repeat_share),
            ]
        )
    return lines
