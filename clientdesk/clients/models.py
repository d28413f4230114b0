"""The client registry: companies, their people, what was said to them and what they bought.

Every later domain reads from here; nothing here knows about them. Other domains write to the
timeline through `clientdesk.clients.services.interaction_record`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class LegalForm(models.TextChoices):
    OOO = "ООО", _("LLC (ООО)")
    AO = "АО", _("JSC (АО)")
    PAO = "ПАО", _("Public JSC (ПАО)")
    NAO = "НАО", _("Non-public JSC (НАО)")
    IP = "ИП", _("Sole proprietor (ИП)")
    GUP = "ГУП", _("State unitary enterprise (ГУП)")
    MUP = "МУП", _("Municipal unitary enterprise (МУП)")
    FGBU = "ФГБУ", _("Federal state budgetary institution (ФГБУ)")
    ANO = "АНО", _("Autonomous non-profit organisation (АНО)")
    NKO = "НКО", _("Non-profit organisation (НКО)")
    FOREIGN = "foreign", _("Foreign company")
    OTHER = "other", _("Other")


class CompanyStatus(models.TextChoices):
    PROSPECT = "prospect", _("Prospect")
    ACTIVE = "active", _("Active")
    DORMANT = "dormant", _("Dormant")
    LOST = "lost", _("Lost")


class SizeBand(models.TextChoices):
    """Russian SME bands (Federal Law 209-FZ): by headcount and annual revenue."""

    MICRO = "micro", _("Micro")
    SMALL = "small", _("Small")
    MEDIUM = "medium", _("Medium")
    LARGE = "large", _("Large")
    UNKNOWN = "", _("Unknown")


class GroupRole(models.TextChoices):
    INDEPENDENT = "", _("Independent")
    HOLDING = "holding", _("Holding (parent)")
    SUBSIDIARY = "subsidiary", _("Subsidiary")
    BRANCH = "branch", _("Branch")


class Industry(models.Model):
    """An OKVED 2 class (e.g. 62.01); `section` is its letter (J), used for coarse grouping."""

    code = models.CharField(_("OKVED code"), max_length=12, unique=True)
    section = models.CharField(_("OKVED section"), max_length=1, db_index=True)
    name = models.CharField(_("name"), max_length=300)
    name_en = models.CharField(_("name (English)"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("industry")
        verbose_name_plural = _("industries")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Region(models.Model):
    """A subject of the Russian Federation (code as in the INN's first two digits) or abroad."""

    code = models.CharField(_("code"), max_length=8, unique=True)
    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=60, unique=True)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Offering(models.Model):
    """A service the company sells; contracts and revenue records refer to it."""

    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("offering")
        verbose_name_plural = _("offerings")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Company(models.Model):
    legal_name = models.CharField(_("legal name"), max_length=500)
    short_name = models.CharField(_("short name"), max_length=200, blank=True)
    legal_form = models.CharField(
        _("legal form"), max_length=10, choices=LegalForm.choices, default=LegalForm.OOO
    )
    country = models.CharField(_("country"), max_length=2, default="RU")
    inn = models.CharField(_("INN"), max_length=12, blank=True, db_index=True)
    kpp = models.CharField(_("KPP"), max_length=9, blank=True)
    ogrn = models.CharField(_("OGRN / OGRNIP"), max_length=15, blank=True)
    foreign_registration_number = models.CharField(
        _("registration number (foreign)"), max_length=64, blank=True
    )
    vat_number = models.CharField(_("VAT number"), max_length=32, blank=True)
    external_id = models.CharField(
        _("external ID"),
        max_length=64,
        blank=True,
        help_text=_("Key of this company in another system (1C, ERP); used by imports."),
    )

    industry = models.ForeignKey(
        Industry, verbose_name=_("industry"), null=True, blank=True, on_delete=models.SET_NULL
    )
    region = models.ForeignKey(
        Region, verbose_name=_("region"), null=True, blank=True, on_delete=models.SET_NULL
    )
    employees = models.PositiveIntegerField(_("employees"), null=True, blank=True)
    annual_revenue = models.DecimalField(
        _("annual revenue, RUB"), max_digits=18, decimal_places=2, null=True, blank=True
    )
    size_band = models.CharField(
        _("size"), max_length=10, choices=SizeBand.choices, blank=True, db_index=True
    )

    legal_address = models.TextField(_("legal address"), blank=True)
    postal_address = models.TextField(_("postal address"), blank=True)
    office_address = models.TextField(_("office address"), blank=True)
    website = models.URLField(_("website"), blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)

    status = models.CharField(
        _("status"),
        max_length=10,
        choices=CompanyStatus.choices,
        default=CompanyStatus.PROSPECT,
        db_index=True,
    )
    account_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("key account manager"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_companies",
        limit_choices_to={"kind": "staff"},
    )
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="+")

    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent company"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="children",
    )
    group_role = models.CharField(
        _("role in group"), max_length=12, choices=GroupRole.choices, blank=True
    )

    # Maintained by services: a normalised name for search, completeness for the quality page.
    search_name = models.CharField(max_length=500, blank=True, db_index=True, editable=False)
    completeness = models.PositiveSmallIntegerField(_("completeness, %"), default=0)
    verified_at = models.DateTimeField(_("last verified"), null=True, blank=True)
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("company")
        verbose_name_plural = _("companies")
        ordering = ["legal_name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["inn", "kpp"],
                condition=~models.Q(inn="") & models.Q(merged_into__isnull=True),
                name="company_unique_inn_kpp",
            ),
            models.UniqueConstraint(
                fields=["external_id"],
                condition=~models.Q(external_id=""),
                name="company_unique_external_id",
            ),
        ]
        indexes = [
            models.Index(fields=["account_manager", "status"]),
            models.Index(fields=["completeness", "id"]),
            models.Index(fields=["updated_at"]),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.short_name or self.legal_name


class DecisionRole(models.TextChoices):
    DECISION_MAKER = "decision_maker", _("Decision maker")
    ECONOMIC_BUYER = "economic_buyer", _("Economic buyer")
    TECHNICAL = "technical", _("Technical evaluator")
    USER = "user", _("User")
    ACCOUNTANT = "accountant", _("Accountant")
    LAWYER = "lawyer", _("Lawyer")
    SIGNATORY = "signatory", _("Signatory")
    OTHER = "other", _("Other")


class Channel(models.TextChoices):
    """Channels through which the company and its clients reach each other."""

    VISIT = "visit", _("Visit to a service center")
    PHONE = "phone", _("Phone")
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS")
    PORTAL = "portal", _("Client portal")
    MEETING = "meeting", _("Meeting")
    TRADE_FAIR = "trade_fair", _("Trade fair")
    LETTER = "letter", _("Letter")
    API = "api", _("API")


class Contact(models.Model):
    company = models.ForeignKey(
        Company, verbose_name=_("company"), on_delete=models.CASCADE, related_name="contacts"
    )
    last_name = models.CharField(_("surname"), max_length=100)
    first_name = models.CharField(_("first name"), max_length=100)
    patronymic = models.CharField(_("patronymic"), max_length=100, blank=True)
    gender = models.CharField(
        _("gender"),
        max_length=1,
        blank=True,
        choices=[("m", pgettext_lazy("gender", "Male")), ("f", pgettext_lazy("gender", "Female"))],
    )
    position = models.CharField(_("position"), max_length=200, blank=True)
    department = models.CharField(_("department"), max_length=200, blank=True)
    decision_role = models.CharField(
        _("role in decisions"), max_length=20, choices=DecisionRole.choices, blank=True
    )
    power_of_attorney_number = models.CharField(
        _("power of attorney No."), max_length=64, blank=True
    )
    power_of_attorney_expires = models.DateField(
        _("power of attorney valid until"), null=True, blank=True
    )
    email = models.EmailField(_("e-mail"), blank=True, db_index=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True, db_index=True)
    preferred_channel = models.CharField(
        _("preferred channel"), max_length=12, choices=Channel.choices, blank=True
    )
    language = models.CharField(
        _("language"), max_length=2, choices=[("ru", "Русский"), ("en", "English")], default="ru"
    )
    left_company = models.BooleanField(_("left the company"), default=False)
    left_at = models.DateField(_("left on"), null=True, blank=True)
    external_id = models.CharField(_("external ID"), max_length=64, blank=True)

    search_name = models.CharField(max_length=300, blank=True, db_index=True, editable=False)
    completeness = models.PositiveSmallIntegerField(_("completeness, %"), default=0)
    verified_at = models.DateTimeField(_("last verified"), null=True, blank=True)
    erased_at = models.DateTimeField(_("personal data erased"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("contact person")
        verbose_name_plural = _("contact persons")
        ordering = ["last_name", "first_name", "id"]
        indexes = [models.Index(fields=["company", "left_company"])]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "external_id"],
                condition=~models.Q(external_id=""),
                name="contact_unique_external_id",
            )
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.last_name, self.first_name, self.patronymic) if p)


class ContactPoint(models.Model):
    """Every phone and e-mail of a contact, normalised (E.164, lower-case) for search and dedup."""

    class Kind(models.TextChoices):
        PHONE = "phone", _("Phone")
        EMAIL = "email", _("E-mail")

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="points")
    kind = models.CharField(_("kind"), max_length=5, choices=Kind.choices)
    value = models.CharField(_("value"), max_length=254)
    label = models.CharField(_("label"), max_length=40, blank=True)
    is_primary = models.BooleanField(_("primary"), default=False)

    class Meta:
        verbose_name = _("phone or e-mail")
        verbose_name_plural = _("phones and e-mails")
        indexes = [models.Index(fields=["kind", "value"])]
        constraints = [
            models.UniqueConstraint(
                fields=["contact", "kind", "value"], name="contactpoint_unique_per_contact"
            )
        ]

    def __str__(self) -> str:
        return self.value


class ConsentPurpose(models.TextChoices):
    SERVICE = "service", _("Service and contract performance")
    MARKETING = "marketing", _("Marketing communications")
    SURVEYS = "surveys", _("Satisfaction surveys")
    ANALYTICS = "analytics", _("Analytics and profiling")


class ConsentText(models.Model):
    """The exact wording a person agreed to; consents point at a version, never at 'the text'."""

    purpose = models.CharField(_("purpose"), max_length=20, choices=ConsentPurpose.choices)
    version = models.CharField(_("version"), max_length=20)
    language = models.CharField(_("language"), max_length=2, default="ru")
    text = models.TextField(_("text"))
    effective_from = models.DateField(_("effective from"))

    class Meta:
        verbose_name = _("consent text")
        verbose_name_plural = _("consent texts")
        constraints = [
            models.UniqueConstraint(
                fields=["purpose", "version", "language"], name="consenttext_unique_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} v{self.version}"


class Consent(models.Model):
    """Consent to processing personal data (152-FZ, GDPR) for one purpose, optionally one channel.

    Consents are never edited: a withdrawal sets `withdrawn_at`; a renewed consent is a new row.
    """

    class Source(models.TextChoices):
        PAPER = "paper", _("Signed on paper")
        PORTAL = "portal", _("Client portal")
        EMAIL = "email", _("E-mail")
        PHONE = "phone", _("Phone (recorded)")
        CONTRACT = "contract", _("Contract clause")
        IMPORT = "import", _("Import")
        STAFF = "staff", _("Entered by staff")

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="consents")
    purpose = models.CharField(_("purpose"), max_length=20, choices=ConsentPurpose.choices)
    channel = models.CharField(
        _("channel"),
        max_length=12,
        choices=Channel.choices,
        blank=True,
        help_text=_("Empty means every channel."),
    )
    text = models.ForeignKey(
        ConsentText, verbose_name=_("text version"), on_delete=models.PROTECT, null=True
    )
    given_at = models.DateTimeField(_("given"))
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)
    withdrawal_source = models.CharField(
        _("withdrawal source"), max_length=10, choices=Source.choices, blank=True
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        ordering = ["-given_at"]
        indexes = [models.Index(fields=["contact", "purpose", "withdrawn_at"])]

    def __str__(self) -> str:
        return f"{self.contact} — {self.get_purpose_display()}"


class Interaction(models.Model):
    """One entry of a company's timeline: any contact through any channel."""

    class Direction(models.TextChoices):
        INBOUND = "in", _("Inbound")
        OUTBOUND = "out", _("Outbound")

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="interactions")
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="interactions"
    )
    channel = models.CharField(_("channel"), max_length=12, choices=Channel.choices)
    direction = models.CharField(
        _("direction"), max_length=3, choices=Direction.choices, default=Direction.INBOUND
    )
    occurred_at = models.DateTimeField(_("when"), db_index=True)
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("employee"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    subject = models.CharField(_("subject"), max_length=300)
    summary = models.TextField(_("what was discussed"), blank=True)
    outcome = models.CharField(_("outcome"), max_length=300, blank=True)
    next_step = models.CharField(_("next step"), max_length=300, blank=True)
    next_step_due = models.DateField(_("next step due"), null=True, blank=True)
    # Which record of another domain produced the entry ("service.request:42"): the timeline
    # links to it without this app knowing that domain.
    source = models.CharField(_("source"), max_length=80, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("interaction")
        verbose_name_plural = _("interactions")
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["company", "-occurred_at"]),
            models.Index(fields=["contact", "-occurred_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d} {self.subject}"


class Contract(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ACTIVE = "active", _("Active")
        EXPIRED = "expired", _("Expired")
        TERMINATED = "terminated", _("Terminated")

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="contracts")
    number = models.CharField(_("number"), max_length=64)
    title = models.CharField(_("subject"), max_length=300, blank=True)
    signed_on = models.DateField(_("signed"), null=True, blank=True)
    starts_on = models.DateField(_("valid from"), null=True, blank=True)
    ends_on = models.DateField(_("valid until"), null=True, blank=True)
    offerings = models.ManyToManyField(Offering, verbose_name=_("services"), blank=True)
    value = models.DecimalField(_("value"), max_digits=18, decimal_places=2, null=True, blank=True)
    currency = models.CharField(_("currency"), max_length=3, default="RUB")
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )

    class Meta:
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        ordering = ["-signed_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["company", "number"], name="contract_unique_number")
        ]

    def __str__(self) -> str:
        return f"№ {self.number}"


class RevenueRecord(models.Model):
    """Revenue from one client on one date; negative amounts are refunds and credit notes."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="revenue")
    date = models.DateField(_("date"))
    amount = models.DecimalField(_("amount"), max_digits=16, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default="RUB")
    # Converted at the rate of the day, so that analytics add like with like.
    amount_base = models.DecimalField(_("amount, RUB"), max_digits=16, decimal_places=2)
    cost = models.DecimalField(
        _("cost, RUB"), max_digits=16, decimal_places=2, null=True, blank=True
    )
    offering = models.ForeignKey(
        Offering, verbose_name=_("service"), null=True, blank=True, on_delete=models.SET_NULL
    )
    contract = models.ForeignKey(
        Contract, verbose_name=_("contract"), null=True, blank=True, on_delete=models.SET_NULL
    )
    external_id = models.CharField(_("external ID"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("revenue record")
        verbose_name_plural = _("revenue records")
        ordering = ["-date", "-id"]
        indexes = [
            # Covering: the segments recompute reads a company's records in date order from
            # the index alone, so a range of companies is summed in one pass (no sort).
            models.Index(
                fields=["company", "date", "amount_base", "cost"], name="clients_revenue_by_company"
            ),
            models.Index(fields=["date"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["external_id"],
                condition=~models.Q(external_id=""),
                name="revenue_unique_external_id",
            )
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.amount} {self.currency}"


class Todo(models.Model):
    """A piece of work for an account manager: verify a record, call back, follow up."""

    class Kind(models.TextChoices):
        VERIFY = "verify", _("Verify client data")
        FOLLOW_UP = "follow_up", _("Follow up")
        CALL_BACK = "call_back", _("Call back")
        OTHER = "other", _("Other")

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="todos")
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="todos",
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=300)
    due_on = models.DateField(_("due"), null=True, blank=True)
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=80, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("to-do")
        verbose_name_plural = _("to-dos")
        ordering = ["done_at", "due_on", "id"]
        indexes = [models.Index(fields=["assignee", "done_at", "due_on"])]
        constraints = [
            # At most one open verification per company: the staleness job may run twice.
            models.UniqueConstraint(
                fields=["company", "kind"],
                condition=models.Q(done_at__isnull=True, kind="verify"),
                name="todo_one_open_verification",
            )
        ]

    def __str__(self) -> str:
        return self.title


class RegistrySettings(models.Model):
    """What 'complete' and 'current' mean for this company's registry (one row, edited in admin)."""

    company_required_fields = models.JSONField(
        _("required company fields"),
        default=list,
        blank=True,
        help_text=_("Field names counted by the completeness score; empty means the defaults."),
    )
    contact_required_fields = models.JSONField(
        _("required contact fields"), default=list, blank=True
    )
    stale_after_months = models.PositiveSmallIntegerField(
        _("verify records not checked for (months)"), default=12
    )

    class Meta:
        verbose_name = _("registry settings")
        verbose_name_plural = _("registry settings")

    def __str__(self) -> str:
        return str(self._meta.verbose_name)

    @classmethod
    def load(cls) -> RegistrySettings:
        obj, _created = cls.objects.get_or_create(pk=1)
        return obj


class ImportJob(models.Model):
    """One file imported into the registry, with its report; kept as the import log."""

    class Kind(models.TextChoices):
        COMPANIES = "companies", _("Companies")
        CONTACTS = "contacts", _("Contact persons")
        CONTRACTS = "contracts", _("Contracts")
        REVENUE = "revenue", _("Revenue records")

    class Mode(models.TextChoices):
        ALL_OR_NOTHING = "all", _("All or nothing")
        VALID_ONLY = "valid", _("Valid rows only")

    class Status(models.TextChoices):
        UPLOADED = "uploaded", _("Uploaded, waiting for column mapping")
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed, nothing was changed")

    kind = models.CharField(_("what"), max_length=12, choices=Kind.choices)
    file = models.FileField(_("file"), upload_to="imports/%Y/%m/")
    original_name = models.CharField(_("file name"), max_length=255)
    mode = models.CharField(
        _("mode"), max_length=5, choices=Mode.choices, default=Mode.ALL_OR_NOTHING
    )
    mapping = models.JSONField(_("column mapping"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.UPLOADED
    )
    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(_("created"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    rejected = models.PositiveIntegerField(_("rejected"), default=0)
    # [{"row": 12, "column": "ИНН", "message": "..."}], capped so a bad file can't bloat the DB.
    errors = models.JSONField(_("errors"), default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.original_name


class DuplicateCandidate(models.Model):
    """A pair of records that may be one and the same, waiting for a person's decision."""

    class Status(models.TextChoices):
        OPEN = "open", _("To review")
        MERGED = "merged", _("Merged")
        DISMISSED = "dismissed", _("Not a duplicate")

    class Kind(models.TextChoices):
        COMPANY = "company", _("Company")
        CONTACT = "contact", _("Contact person")

    kind = models.CharField(max_length=8, choices=Kind.choices)
    # Lower id first, so that a pair is stored once whichever side found it.
    left_id = models.BigIntegerField()
    right_id = models.BigIntegerField()
    score = models.PositiveSmallIntegerField(_("similarity, %"))
    reasons = models.JSONField(_("why"), default=list)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    found_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("possible duplicate")
        verbose_name_plural = _("possible duplicates")
        ordering = ["-score", "id"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "left_id", "right_id"], name="dup_pair_once"),
            models.CheckConstraint(
                condition=models.Q(left_id__lt=models.F("right_id")), name="dup_pair_ordered"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.left_id}~{self.right_id} ({self.score}%)"


class MergeRecord(models.Model):
    """What a merge did, so that it can be explained afterwards: who, why, what moved where."""

    kind = models.CharField(max_length=8, choices=DuplicateCandidate.Kind.choices)
    survivor_id = models.BigIntegerField(db_index=True)
    merged_id = models.BigIntegerField(db_index=True)
    # The merged record as it was, field by field, and the values the survivor took from it.
    merged_snapshot = models.JSONField(default=dict)
    fields_taken = models.JSONField(default=dict)
    moved = models.JSONField(default=dict, help_text="{'contacts': 3, 'interactions': 12, ...}")
    reason = models.CharField(max_length=300, blank=True)
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    merged_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("merge")
        verbose_name_plural = _("merges")
        ordering = ["-merged_at"]

    def __str__(self) -> str:
        return f"{self.kind} {self.merged_id} → {self.survivor_id}"
