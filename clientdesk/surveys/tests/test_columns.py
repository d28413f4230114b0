"""The columnar snapshot gives exactly what reading the tables gives."""

from __future__ import annotations

import numpy as np
import pytest

from clientdesk.surveys import columns as col
from clientdesk.surveys import services
from clientdesk.surveys.models import ColumnSnapshot, Invitation, Response

from .factories import Posted, consenting_contact, make_survey

pytestmark = pytest.mark.django_db


def _answer(survey, contact, nps: int) -> None:
    inv = Invitation.objects.get(survey=survey, contact=contact)
    token = str(inv.token)
    response = services.response_for(invitation=inv, token=token, channel="link")
    services.page_save(response=response, page=1, data=Posted.of(q_Q1=str(nps)), action="next")
    services.page_save(
        response=response, page=2, data=Posted.of(q_Q3="4"), action="submit", invitation=inv
    )


def _same(a: col.Columns, b: col.Columns) -> None:
    assert a.response_ids.tolist() == b.response_ids.tolist()
    assert set(a.values) == set(b.values)
    for key in a.values:
        np.testing.assert_array_equal(a.values[key], b.values[key])
    for name in col.ATTRIBUTES:
        la, ca = a.groups(name)
        lb, cb = b.groups(name)
        assert [la[i] if i >= 0 else "" for i in ca] == [lb[i] if i >= 0 else "" for i in cb]


def test_snapshot_plus_new_responses_equals_reading_the_tables(monkeypatch) -> None:
    monkeypatch.setattr(col, "SNAPSHOT_MIN", 3)
    survey = make_survey()
    contacts = [consenting_contact(decision_role=r) for r in ("user", "technical") * 4]
    services.invite(survey=survey, data=services.AudienceInput(), by=None)
    for i, c in enumerate(contacts[:5]):
        _answer(survey, c, i)
    q_ids = list(survey.questions.values_list("pk", flat=True))
    first = col.load(survey.pk, q_ids)
    assert ColumnSnapshot.objects.get(survey=survey).n == 5
    for i, c in enumerate(contacts[5:]):
        _answer(survey, c, 10 - i)
    merged = col.load(survey.pk, q_ids)
    _same(merged, col.load(survey.pk, q_ids, use_snapshot=False))
    assert merged.n == 8 and first.n == 5
    # A response removed from before the cut-off makes the snapshot stale.
    Response.objects.filter(pk=first.response_ids[0]).delete()
    _same(col.load(survey.pk, q_ids), col.load(survey.pk, q_ids, use_snapshot=False))
