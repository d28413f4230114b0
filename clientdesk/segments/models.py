"""Segments of clients: settings, per-cell service policies, runs and their snapshots, rules.

A `SegmentRun` computes every segmentation for one period end and stores one `CompanySegment`
row per company. The *current* segment of a company is its row in the latest completed run
(latest period end, then latest finish); `selectors.segment_of` is the way to read it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

ABC_CHOICES = [("A", "A"), ("B", "B"), ("C", "C")]
XYZ_CHOICES = [("X", "X"), ("Y", "Y"), ("Z", "Z")]


class RfmSegment(models.TextChoices):
    CHAMPIONS = "champions", _("Champions")
    LOYAL = "loyal", _("Loyal")
    PROMISING = "promising", _("Promising")
    CANT_LOSE = "cant_lose", _("Can't lose them")
    AT_RISK = "at_risk", _("At risk")
    HIBERNATING = "hibernating", _("Hibernating")
    LOST = "lost", _("Lost")


class Lifecycle(models.TextChoices):
    NEW = "new", _("New")
    GROWING = "growing", _("Growing")
    STABLE = "stable", _("Stable")
    DECLINING = "declining", _("Declining")
    DORMANT = "dormant", _("Dormant")
    LOST = "lost", _("Lost")
    PROSPECT = "prospect", _("Prospect (no revenue)")


class SegmentationSettings(models.Model):
    """Thresholds of every method (one row). Defaults are the textbook ones."""

    period_months = models.PositiveSmallIntegerField(_("analysis period, months"), default=12)
    history_months = models.PositiveSmallIntegerField(
        _("history loaded for trends, months"),
        default=24,
        help_text=_("Monthly revenue loaded before the period end; at least the period."),
    )
    abc_a = models.FloatField(_("A: share of revenue, %"), default=80)
    abc_b = models.FloatField(_("B: next share of revenue, %"), default=15)
    xyz_x = models.FloatField(_("X: coefficient of variation up to, %"), default=10)
    xyz_y = models.FloatField(_("Y: coefficient of variation up to, %"), default=25)
    xyz_min_months = models.PositiveSmallIntegerField(_("fewest months for X or Y"), default=3)
    rfm_bins = models.JSONField(
        _("RFM bins"),
        default=dict,
        blank=True,
        help_text=_(
            'Empty: quintiles. Or {"r": [30, 90, 180, 365], "f": [2, 4, 8, 16], '
            '"m": [10000, 100000, 1000000, 10000000]}.'
        ),
    )
    new_months = models.PositiveSmallIntegerField(
        _("new: first purchase within, months"), default=6
    )
    dormant_months = models.PositiveSmallIntegerField(
        _("dormant: no purchase for, months"), default=4
    )
    lost_months = models.PositiveSmallIntegerField(_("lost: no purchase for, months"), default=12)
    trend_months = models.PositiveSmallIntegerField(_("trend window, months"), default=6)
    trend_threshold = models.FloatField(_("growing / declining from, %"), default=20)
    risk_weights = models.JSONField(
        _("churn-risk weights"),
        default=dict,
        blank=True,
        help_text=_(
            'e.g. {"revenue_drop": 35, "silence": 30, "complaints": 20, "satisfaction": 15}'
        ),
    )
    at_risk_threshold = models.PositiveSmallIntegerField(_("at risk from score"), default=60)
    value_horizon_months = models.PositiveSmallIntegerField(
        _("expected value horizon, months"), default=36
    )
    value_discount_rate = models.FloatField(_("discount rate, % a year"), default=15)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("segmentation settings")
        verbose_name_plural = _("segmentation settings")

    def __str__(self) -> str:
        return str(self._meta.verbose_name)

    @classmethod
    def load(cls) -> SegmentationSettings:
        obj, _created = cls.objects.get_or_create(pk=1)
        return obj


class CellPolicy(models.Model):
    """How clients of one ABC-XYZ cell are served; service standards and routing read it."""

    class Tier(models.IntegerChoices):
        PLATINUM = 1, _("Tier 1: dedicated team")
        GOLD = 2, _("Tier 2: priority")
        SILVER = 3, _("Tier 3: standard")
        BASIC = 4, _("Tier 4: self-service")

    abc = models.CharField("ABC", max_length=1, choices=ABC_CHOICES)
    xyz = models.CharField("XYZ", max_length=1, choices=XYZ_CHOICES)
    policy = models.TextField(_("service policy"), blank=True)
    tier = models.PositiveSmallIntegerField(_("service tier"), choices=Tier.choices, default=3)
    response_hours = models.PositiveSmallIntegerField(
        _("first response within, hours"), null=True, blank=True
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("cell policy")
        verbose_name_plural = _("cell policies")
        ordering = ["abc", "xyz"]
        constraints = [
            models.UniqueConstraint(fields=["abc", "xyz"], name="cellpolicy_one_per_cell")
        ]

    def __str__(self) -> str:
        return f"{self.abc}{self.xyz}"


class SegmentRun(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")
        SUPERSEDED = "superseded", _("Replaced by a later run")

    period_end = models.DateField(_("period end"), db_index=True)
    period_months = models.PositiveSmallIntegerField(_("months"), default=12)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    progress = models.PositiveSmallIntegerField(_("progress, %"), default=0)
    stage = models.CharField(_("stage"), max_length=120, blank=True)
    companies = models.PositiveIntegerField(_("companies"), default=0)
    alerts = models.PositiveIntegerField(_("alerts sent"), default=0)
    # Aggregates for the overview page (Pareto points, cell counts, grids): one read per page.
    summary = models.JSONField(default=dict, blank=True)
    timings = models.JSONField(default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("segmentation run")
        verbose_name_plural = _("segmentation runs")
        ordering = ["-period_end", "-finished_at", "-id"]

    def __str__(self) -> str:
        return f"{self.period_end:%Y-%m} #{self.pk}"


class Cluster(models.Model):
    run = models.ForeignKey(SegmentRun, on_delete=models.CASCADE, related_name="clusters")
    number = models.PositiveSmallIntegerField(_("cluster"))
    size = models.PositiveIntegerField(_("companies"))
    centroid = models.JSONField(default=dict)  # feature -> z-score
    means = models.JSONField(default=dict)  # feature -> mean in natural units
    description = models.CharField(_("description"), max_length=300)

    class Meta:
        verbose_name = _("cluster")
        verbose_name_plural = _("clusters")
        ordering = ["run", "number"]
        constraints = [
            models.UniqueConstraint(fields=["run", "number"], name="cluster_unique_number")
        ]

    def __str__(self) -> str:
        return f"{self.number}: {self.description}"


class CompanySegment(models.Model):
    """Where one company stood in one run. Written in bulk by the run; never edited."""

    # No single-column indexes: (run, company) and (company, run) below serve both lookups,
    # and every index costs time when a run writes a million rows. No foreign-key constraints
    # in the database either: the rows are derived, written by one function from the ids it
    # has just read, and checking a million of them per run cost ~3 s on SQLite and ~15 s on
    # PostgreSQL (a trigger per row). Django still cascades deletes of companies and runs; a
    # company deleted while a run is being written leaves a row that joins to nothing and goes
    # with its run.
    run = models.ForeignKey(
        SegmentRun, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    company = models.ForeignKey(
        "clients.Company",
        on_delete=models.CASCADE,
        related_name="segments",
        db_index=False,
        db_constraint=False,
    )
    revenue = models.FloatField(_("revenue, RUB"), default=0)
    margin = models.FloatField(_("margin, RUB"), null=True, blank=True)
    abc = models.CharField("ABC", max_length=1, blank=True)
    abc_margin = models.CharField(_("ABC by margin"), max_length=1, blank=True)
    xyz = models.CharField("XYZ", max_length=1, blank=True)
    cv = models.FloatField(_("coefficient of variation, %"), null=True, blank=True)
    recency_days = models.IntegerField(_("days since last purchase"), null=True, blank=True)
    frequency = models.IntegerField(_("purchases"), default=0)
    r = models.PositiveSmallIntegerField("R", null=True, blank=True)
    f = models.PositiveSmallIntegerField("F", null=True, blank=True)
    m = models.PositiveSmallIntegerField("M", null=True, blank=True)
    rfm_segment = models.CharField(
        _("RFM segment"), max_length=12, choices=RfmSegment.choices, blank=True
    )
    lifecycle = models.CharField(_("lifecycle"), max_length=10, choices=Lifecycle.choices)
    trend_pct = models.FloatField(_("trend, %"), null=True, blank=True)
    cluster = models.PositiveSmallIntegerField(_("cluster"), null=True, blank=True)
    churn_risk = models.PositiveSmallIntegerField(_("churn risk"), default=0)
    risk_reasons = models.JSONField(_("risk reasons"), default=list, blank=True)
    value_historic = models.FloatField(_("historic value, RUB"), default=0)
    value_expected = models.FloatField(_("expected value, RUB"), default=0)

    class Meta:
        verbose_name = _("company segment")
        verbose_name_plural = _("company segments")
        constraints = [
            models.UniqueConstraint(fields=["run", "company"], name="companysegment_once_per_run")
        ]
        indexes = [
            models.Index(fields=["run", "abc", "xyz"]),
            models.Index(fields=["run", "rfm_segment"]),
            models.Index(fields=["run", "lifecycle"]),
            models.Index(fields=["run", "churn_risk"]),
            models.Index(fields=["company", "run"]),
        ]

    def __str__(self) -> str:
        return f"{self.company_id} {self.abc}{self.xyz} {self.rfm_segment}"


class RuleSegment(models.Model):
    """A saved filter over companies and their current segments, evaluated live (see rules.py)."""

    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="rule_segments"
    )
    shared = models.BooleanField(_("shared with colleagues"), default=False)
    # {"match": "all" | "any", "conditions": [{"field": "abc", "op": "in", "value": ["A"]}]}
    rules = models.JSONField(_("conditions"), default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("rule segment")
        verbose_name_plural = _("rule segments")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name
