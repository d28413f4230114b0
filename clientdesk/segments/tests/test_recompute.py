"""The recompute end to end on a small database: snapshots, current segment, alerts, claim."""

from __future__ import annotations

import datetime as dt

import pytest

from clientdesk.clients.models import Interaction, RevenueRecord, Todo
from clientdesk.clients.tests.factories import CompanyFactory
from clientdesk.core.roles import Role
from clientdesk.segments import selectors, services
from clientdesk.segments.models import CompanySegment, SegmentRun
from clientdesk.segments.tests.factories import monthly, revenue

pytestmark = pytest.mark.django_db

END = dt.date(2025, 12, 31)


@pytest.fixture
def book(make_staff):
    kam = make_staff(Role.ACCOUNT_MANAGER)
    big = CompanyFactory(account_manager=kam)
    steady = CompanyFactory(account_manager=kam)
    small = CompanyFactory()
    prospect = CompanyFactory()
    monthly(big, 2025, range(1, 13), 100_000, cost=60_000)
    monthly(steady, 2025, range(1, 13), 10_000)
    revenue(small, dt.date(2025, 3, 1), 500)
    return {"kam": kam, "big": big, "steady": steady, "small": small, "prospect": prospect}


def test_recompute_writes_one_row_per_company_and_becomes_current(book) -> None:
    run = services.recompute_segments(period_end=END)
    assert run.status == SegmentRun.Status.DONE
    assert run.progress == 100
    assert CompanySegment.objects.filter(run=run).count() == 4
    big = selectors.segment_of(book["big"].pk)
    assert big is not None
    assert (big.abc, big.xyz, big.abc_margin) == ("A", "X", "A")
    assert big.revenue == pytest.approx(1_200_000)
    steady = selectors.segment_of(book["steady"].pk)
    assert steady is not None
    assert steady.abc == "B" and steady.xyz == "X"
    small = selectors.segment_of(book["small"].pk)
    assert small is not None
    assert small.abc == "C" and small.lifecycle == "dormant" and small.abc_margin == ""
    prospect = selectors.segment_of(book["prospect"].pk)
    assert prospect is not None
    assert prospect.abc == "" and prospect.lifecycle == "prospect" and prospect.churn_risk == 0
    assert set(selectors.companies_in(abc="A", xyz="X")) == {book["big"]}
    assert run.summary["clients"] == 3


def test_running_a_claimed_run_twice_does_the_work_once(book) -> None:
    run = services.recompute_segments(period_end=END)
    again = services.run_segmentation(run_id=run.pk)
    assert again.pk == run.pk
    assert CompanySegment.objects.filter(run=run).count() == 4


def test_rerun_for_same_period_replaces_the_snapshot(book) -> None:
    first = services.recompute_segments(period_end=END)
    second = services.recompute_segments(period_end=END)
    first.refresh_from_db()
    assert first.status == SegmentRun.Status.SUPERSEDED
    assert not CompanySegment.objects.filter(run=first).exists()
    assert selectors.current_run() == second


def test_client_leaving_a_and_becoming_at_risk_alerts_its_manager(book) -> None:
    services.recompute_segments(period_end=dt.date(2025, 6, 30))
    # big stops buying after June; steady grows: big falls out of A and goes silent.
    monthly(book["steady"], 2025, range(7, 13), 400_000)
    Interaction.objects.create(
        company=book["steady"],
        channel="phone",
        occurred_at=dt.datetime(2025, 12, 1, tzinfo=dt.UTC),
        subject="call",
    )
    RevenueRecord.objects.filter(company=book["big"], date__gt=dt.date(2025, 6, 30)).delete()
    run = services.recompute_segments(period_end=END)
    todos = Todo.objects.filter(company=book["big"], source__startswith=f"segments.run:{run.pk}")
    kinds = sorted(t.source.rsplit(":", 1)[-1] for t in todos)
    assert kinds == ["at_risk", "left_a"]
    assert all(t.assignee == book["kam"] and t.kind == Todo.Kind.FOLLOW_UP for t in todos)
    assert run.alerts == 2
    assert run.summary["migration"]["abc"]
    # A rerun of the same period sends nothing new: the open to-dos stand.
    rerun = services.recompute_segments(period_end=END)
    assert rerun.alerts == 0


def test_failed_run_keeps_no_rows_and_says_why(book, monkeypatch) -> None:
    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "build_summary", boom)
    with pytest.raises(RuntimeError):
        services.recompute_segments(period_end=END)
    run = SegmentRun.objects.get()
    assert run.status == SegmentRun.Status.FAILED and "disk full" in run.error
    assert not CompanySegment.objects.exists()
    assert selectors.current_run() is None


def test_background_task_runs_the_queued_run(book, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        run = services.start_recompute(period_end=END, by=None)
        assert run.status == SegmentRun.Status.QUEUED
    run.refresh_from_db()
    assert run.status == SegmentRun.Status.DONE
