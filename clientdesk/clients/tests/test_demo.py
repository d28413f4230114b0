"""The demo data generator: deterministic, valid identifiers, every pattern analytics look for."""

from __future__ import annotations

import datetime
import hashlib
import random
import re
from collections import Counter, defaultdict
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db.models import Count, Max, Min, Sum
from stdnum.ru import inn as inn_std
from stdnum.ru import ogrn as ogrn_std

from clientdesk.accounts.models import User
from clientdesk.accounts.tests.factories import StaffFactory
from clientdesk.clients.demo import _FOREIGN_PHONES, DemoGenerator, generate_demo_data
from clientdesk.clients.models import (
    Company,
    CompanyStatus,
    Consent,
    ConsentPurpose,
    ConsentText,
    Contact,
    ContactPoint,
    Contract,
    GroupRole,
    Industry,
    Interaction,
    LegalForm,
    Offering,
    Region,
    RevenueRecord,
    Tag,
)
from clientdesk.clients.reference import REGIONS, ensure_reference_data
from clientdesk.clients.validators import clean_email, clean_kpp, clean_phone, normalise_name
from clientdesk.core.demo import DEMO_PASSWORD, create_demo_staff
from clientdesk.portal.models import PortalAccount

NOW = datetime.datetime(2026, 3, 15, 12, 0, tzinfo=datetime.UTC)
pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(db):
    return create_demo_staff()


def _digest() -> str:
    """Everything generated, without database ids (they depend on what was there before)."""
    base = Company.objects.aggregate(m=Min("id"))["m"] or 0
    kbase = Contact.objects.aggregate(m=Min("id"))["m"] or 0
    users: dict[int | None, str] = dict(User.objects.values_list("id", "username"))
    h = hashlib.sha256()

    def feed(rows):
        for row in rows:
            h.update(repr(row).encode())

    feed(
        (
            c.legal_name, c.short_name, c.inn, c.kpp, c.ogrn, c.status, c.size_band,
            c.employees, c.annual_revenue, c.legal_address, c.phone, c.email,
            users.get(c.account_manager_id), c.parent_id and c.parent_id - base, c.group_role,
            c.completeness, c.verified_at, c.created_at, c.region_id, c.industry_id,
        )
        for c in Company.objects.order_by("id")
    )  # fmt: skip
    feed(
        (k.company_id - base, k.last_name, k.first_name, k.patronymic, k.position, k.email,
         k.phone, k.decision_role, k.power_of_attorney_number, k.created_at)
        for k in Contact.objects.order_by("id")
    )  # fmt: skip
    feed(ContactPoint.objects.order_by("id").values_list("contact__last_name", "kind", "value"))
    feed(
        (c.contact_id - kbase, c.purpose, c.given_at, c.withdrawn_at)
        for c in Consent.objects.order_by("id")
    )
    feed(
        (r.company_id - base, r.date, r.amount, r.cost, r.offering_id)
        for r in RevenueRecord.objects.order_by("id")
    )
    feed(
        (i.company_id - base, i.channel, i.occurred_at, i.subject, users.get(i.staff_id))
        for i in Interaction.objects.order_by("id")
    )
    return h.hexdigest()


def test_same_seed_gives_same_data_and_another_seed_other_data(staff):
    generate_demo_data(companies=80, seed=7, now=NOW)
    first = _digest()
    Company.objects.all().delete()
    generate_demo_data(companies=80, seed=7, now=NOW)
    assert _digest() == first
    Company.objects.all().delete()
    generate_demo_data(companies=80, seed=8, now=NOW)
    assert _digest() != first


def test_identifiers_are_valid_unique_and_match_the_region(staff):
    generate_demo_data(companies=200, seed=1, now=NOW)
    regions: dict[int | None, str] = dict(Region.objects.values_list("id", "code"))
    pairs: Counter[tuple[str, str]] = Counter()
    for c in Company.objects.select_related("parent"):
        if c.legal_form == LegalForm.FOREIGN:
            assert not c.inn and c.foreign_registration_number
            continue
        if not c.inn:  # a twin typed in without its INN
            continue
        pairs[(c.inn, c.kpp)] += 1
        assert inn_std.is_valid(c.inn), c.inn
        if c.ogrn:
            assert ogrn_std.is_valid(c.ogrn), c.ogrn
        if c.legal_form == LegalForm.IP:
            assert len(c.inn) == 12 and len(c.ogrn) == 15 and c.kpp == ""
            continue
        assert len(c.inn) == 10
        if c.kpp:
            assert clean_kpp(c.kpp) == c.kpp
        if c.group_role == GroupRole.BRANCH:
            assert c.parent is not None
            assert c.inn == c.parent.inn and c.kpp[4:6] == "43"
            assert c.kpp != c.parent.kpp
        else:
            assert c.inn[:2] == regions[c.region_id]
            if c.kpp:
                assert c.kpp[:4] == c.inn[:4]
            if c.ogrn:
                assert len(c.ogrn) == 13 and c.ogrn[3:5] == regions[c.region_id]
    assert pairs and max(pairs.values()) == 1


def test_phones_and_emails_are_valid(staff):
    generate_demo_data(companies=120, seed=2, now=NOW)
    phones = list(Company.objects.exclude(phone="").values_list("phone", flat=True))
    phones += list(Contact.objects.exclude(phone="").values_list("phone", flat=True))
    assert len(phones) > 200
    for phone in phones:
        assert clean_phone(phone) == phone
    emails = list(Contact.objects.exclude(email="").values_list("email", flat=True))
    for email in emails:
        assert clean_email(email) == email
    assert all(re.fullmatch(r"[a-z0-9._-]+@[a-z0-9.-]+", e) for e in emails)
    # Every phone and e-mail of a contact is also a contact point, for search and dedup.
    for contact in Contact.objects.prefetch_related("points"):
        values = {p.value for p in contact.points.all()}
        assert {v for v in (contact.phone, contact.email) if v} <= values


def test_names_are_consistent(staff):
    generate_demo_data(companies=150, seed=3, now=NOW)
    for c in Company.objects.all():
        assert c.search_name == normalise_name(c.legal_name)
        if c.legal_form in {LegalForm.OOO, LegalForm.AO} and c.group_role != GroupRole.BRANCH:
            assert c.short_name in c.legal_name.replace('"', "«", 1).replace('"', "»", 1) or (
                c.status == CompanyStatus.PROSPECT  # a twin with a typo or upper case
            )
    for k in Contact.objects.all():
        if not k.patronymic:
            continue
        if k.gender == "f":
            assert k.patronymic.endswith(("вна", "чна")), k.full_name
        else:
            assert k.patronymic.endswith(("вич", "ич")), k.full_name
        assert k.search_name == normalise_name(k.full_name)
    positions = set(Contact.objects.values_list("position", flat=True))
    assert {"Генеральный директор", "Главный бухгалтер"} <= positions
    signatories = Contact.objects.filter(decision_role="signatory")
    assert signatories.exclude(power_of_attorney_number="").exists()


def test_revenue_has_the_shapes_segmentation_looks_for(staff):
    generate_demo_data(companies=200, seed=4, now=NOW)
    last_month = datetime.date(2026, 2, 28)
    six_months_ago = datetime.date(2025, 9, 1)
    totals = dict(
        RevenueRecord.objects.values("company")
        .annotate(s=Sum("amount_base"))
        .values_list("company", "s")
    )
    recent = set(
        RevenueRecord.objects.filter(date__gte=six_months_ago).values_list("company", flat=True)
    )
    by_status = defaultdict(set)
    for cid, status in Company.objects.values_list("id", "status"):
        by_status[status].add(cid)
    assert all(by_status[s] for s in CompanyStatus.values)
    # Prospects never bought; dormant and lost clients bought, but not in the last 6 months.
    assert not by_status[CompanyStatus.PROSPECT] & set(totals)
    for status in (CompanyStatus.DORMANT, CompanyStatus.LOST):
        assert by_status[status] & set(totals)
        assert not by_status[status] & recent
    assert len(by_status[CompanyStatus.ACTIVE] & recent) > 0.9 * len(
        by_status[CompanyStatus.ACTIVE]
    )
    assert RevenueRecord.objects.filter(amount__lt=0).exists()  # refunds
    assert RevenueRecord.objects.aggregate(d=Max("date"))["d"] <= last_month
    assert RevenueRecord.objects.aggregate(d=Min("date"))["d"] >= datetime.date(2024, 3, 1)
    # Heavy tail: the top fifth of clients bring most of the money.
    values = sorted((v for v in totals.values() if v > 0), reverse=True)
    assert sum(values[: len(values) // 5]) > Decimal("0.5") * sum(values)
    # Margins can be computed, and new clients started within the last months.
    assert not RevenueRecord.objects.filter(amount__gt=0, cost=None).exists()
    firsts = RevenueRecord.objects.values("company").annotate(first=Min("date"))
    assert any(f["first"] >= datetime.date(2025, 10, 1) for f in firsts)
    assert Contract.objects.filter(status=Contract.Status.TERMINATED).exists()


def test_groups_twins_consents_and_timeline_exist(staff):
    generate_demo_data(companies=150, seed=5, now=NOW)
    assert Company.objects.filter(group_role=GroupRole.HOLDING).exists()
    assert Company.objects.filter(group_role=GroupRole.SUBSIDIARY, parent__isnull=False).exists()
    assert Company.objects.filter(group_role=GroupRole.BRANCH, parent__isnull=False).exists()
    # A near-duplicate: the same short name twice, once as a prospect without KPP.
    names = Counter(normalise_name(n) for n in Company.objects.values_list("short_name", flat=True))
    twins = Company.objects.filter(status=CompanyStatus.PROSPECT, kpp="", legal_form=LegalForm.OOO)
    assert any(names[normalise_name(c.short_name)] > 1 for c in twins) or twins.exists()
    people = Counter(
        (k.company_id, k.last_name.replace("ё", "е"), k.email) for k in Contact.objects.all()
    )
    assert max(people.values()) >= 2
    purposes = Counter(Consent.objects.values_list("purpose", flat=True))
    assert purposes[ConsentPurpose.SERVICE] > purposes[ConsentPurpose.MARKETING] > 0
    assert Consent.objects.filter(withdrawn_at__isnull=False).exists()
    assert set(Interaction.objects.values_list("channel", flat=True)) >= {
        "phone",
        "email",
        "meeting",
    }
    assert Interaction.objects.filter(staff__username__in=["kam", "kam2"]).exists()
    assert set(Company.objects.values_list("account_manager__username", flat=True)) >= {
        "kam", "kam2", "supervisor",
    }  # fmt: skip
    assert Company.objects.filter(verified_at__lt=NOW - datetime.timedelta(days=365)).exists()
    assert Company.objects.filter(verified_at__gte=NOW - datetime.timedelta(days=90)).exists()


def test_size_band_follows_headcount_and_turnover(staff):
    generate_demo_data(companies=150, seed=6, now=NOW)
    order = ["micro", "small", "medium", "large"]
    for c in Company.objects.exclude(size_band=""):
        staff_band = next(
            (
                b
                for b, limit in zip(order, (15, 100, 250), strict=False)
                if (c.employees or 0) <= limit
            ),
            "large",
        )
        money_band = next(
            (
                b
                for b, limit in zip(order, (120e6, 800e6, 2e9), strict=False)
                if float(c.annual_revenue or 0) <= limit
            ),
            "large",
        )
        assert c.size_band == max(staff_band, money_band, key=order.index)


def test_second_run_appends_new_companies_without_clashes(staff):
    generate_demo_data(companies=60, seed=1, now=NOW)
    generate_demo_data(companies=60, seed=1, now=NOW)
    assert Company.objects.count() == 120
    clashes = (
        Company.objects.exclude(inn="").values("inn", "kpp").annotate(n=Count("id")).filter(n__gt=1)
    )
    assert not clashes.exists()


def test_reference_data_loads_alone_and_is_idempotent(db):
    first = ensure_reference_data()
    assert first["regions"] == len(REGIONS) == 89
    assert Region.objects.count() == 89
    assert Region.objects.get(code="77").name == "Москва"
    assert 60 <= Industry.objects.count() <= 90
    assert Industry.objects.filter(code="62.01", section="J").exists()
    assert Offering.objects.count() >= 12 and Tag.objects.exists()
    assert set(ConsentText.objects.values_list("purpose", flat=True)) == set(ConsentPurpose.values)
    assert not any(ensure_reference_data().values())
    assert not Company.objects.exists()


def test_demo_command_creates_portal_users_of_two_companies(db):
    call_command("demo", companies=60, seed=3, verbosity=0)
    accounts = list(
        PortalAccount.objects.filter(role=PortalAccount.Role.ADMIN).select_related(
            "user", "company", "contact"
        )
    )
    assert sorted(a.user.username for a in accounts) == ["client1", "client2"]
    assert accounts[0].company_id != accounts[1].company_id
    # client1's company also has a member, invited by its administrator.
    member = PortalAccount.objects.get(role=PortalAccount.Role.MEMBER)
    assert member.company_id == next(a for a in accounts if a.user.username == "client1").company_id
    for account in accounts:
        assert account.role == PortalAccount.Role.ADMIN
        assert account.user.kind == User.Kind.PORTAL and account.user.role == ""
        assert account.user.check_password(DEMO_PASSWORD)
        assert account.contact is not None
        assert account.contact.company_id == account.company_id
    assert Company.objects.count() == 60
    # Run again: more companies, the same sign-ins.
    call_command("demo", companies=10, seed=3, verbosity=0)
    assert Company.objects.count() == 70
    assert PortalAccount.objects.count() == 3


def test_demo_command_if_empty_leaves_a_used_database_alone(db):
    StaffFactory()
    call_command("demo", "--if-empty", companies=20, verbosity=0)
    assert not Company.objects.exists()
    assert not User.objects.filter(username="kam").exists()


def test_phone_numbers_of_every_region_and_country_are_valid():
    generator = DemoGenerator(seed=1)
    generator.rng = random.Random(1)
    for info in REGIONS:
        for _ in range(20):
            phone = generator._landline(info)
            assert clean_phone(phone) == phone, (info.code, phone)
    for template in _FOREIGN_PHONES.values():
        for _ in range(20):
            phone = template.format(generator.rng.randrange(10**5, 10**6))
            assert clean_phone(phone, region="RU") == phone


def test_nothing_is_dated_after_now(staff):
    generate_demo_data(companies=100, seed=9, now=NOW)
    assert Company.objects.aggregate(m=Max("verified_at"))["m"] <= NOW
    assert Company.objects.aggregate(m=Max("created_at"))["m"] <= NOW
    assert Contact.objects.aggregate(m=Max("left_at"))["m"] <= NOW.date()
    assert Consent.objects.aggregate(m=Max("given_at"))["m"] <= NOW
    assert Consent.objects.aggregate(m=Max("withdrawn_at"))["m"] <= NOW
    assert Interaction.objects.aggregate(m=Max("occurred_at"))["m"] <= NOW
    for consent in Consent.objects.exclude(withdrawn_at=None):
        assert consent.withdrawn_at is not None and consent.withdrawn_at > consent.given_at
