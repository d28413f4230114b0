"""REST API of the client registry (mounted under /api/v1/).

Reading needs `clients.view`, writing `clients.edit`. Every write goes through
`clientdesk.clients.services`, which validates (INN checksums, phones, uniqueness) and records
the audit trail. Each write serializer lists the fields a caller may set; anything else sent -
the account manager, `search_name`, `completeness`, `merged_into`, timestamps, the company of a
nested object - is ignored, never applied.

Lists use cursor pagination (`next`/`previous` links), which stays fast a million rows deep.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics, serializers, status
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from clientdesk.core.api import BigListPagination
from clientdesk.core.permissions import HasPerm
from clientdesk.core.roles import Perm

from . import search, services
from .models import (
    Channel,
    Company,
    CompanyStatus,
    Contact,
    Contract,
    DecisionRole,
    GroupRole,
    Industry,
    Interaction,
    LegalForm,
    Offering,
    Region,
    RevenueRecord,
    Tag,
)

if TYPE_CHECKING:
    from clientdesk.accounts.models import User

# --- Read serializers ------------------------------------------------------------------------


class CompanySerializer(serializers.ModelSerializer[Company]):
    tags: serializers.PrimaryKeyRelatedField[Tag] = serializers.PrimaryKeyRelatedField(
        many=True, read_only=True
    )

    class Meta:
        model = Company
        fields = [
            "id",
            "legal_name",
            "short_name",
            "legal_form",
            "country",
            "inn",
            "kpp",
            "ogrn",
            "foreign_registration_number",
            "vat_number",
            "external_id",
            "industry",
            "region",
            "employees",
            "annual_revenue",
            "size_band",
            "legal_address",
            "postal_address",
            "office_address",
            "website",
            "email",
            "phone",
            "status",
            "account_manager",
            "tags",
            "parent",
            "group_role",
            "completeness",
            "verified_at",
            "merged_into",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class ContactSerializer(serializers.ModelSerializer[Contact]):
    class Meta:
        model = Contact
        fields = [
            "id",
            "company",
            "last_name",
            "first_name",
            "patronymic",
            "gender",
            "position",
            "department",
            "decision_role",
            "power_of_attorney_number",
            "power_of_attorney_expires",
            "email",
            "phone",
            "preferred_channel",
            "language",
            "left_company",
            "left_at",
            "external_id",
            "completeness",
            "verified_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class InteractionSerializer(serializers.ModelSerializer[Interaction]):
    class Meta:
        model = Interaction
        fields = [
            "id",
            "company",
            "contact",
            "channel",
            "direction",
            "occurred_at",
            "staff",
            "subject",
            "summary",
            "outcome",
            "next_step",
            "next_step_due",
            "source",
            "created_at",
        ]
        read_only_fields = fields


class ContractSerializer(serializers.ModelSerializer[Contract]):
    offerings: serializers.PrimaryKeyRelatedField[Offering] = serializers.PrimaryKeyRelatedField(
        many=True, read_only=True
    )

    class Meta:
        model = Contract
        fields = [
            "id",
            "company",
            "number",
            "title",
            "signed_on",
            "starts_on",
            "ends_on",
            "offerings",
            "value",
            "currency",
            "status",
        ]
        read_only_fields = fields


class RevenueRecordSerializer(serializers.ModelSerializer[RevenueRecord]):
    class Meta:
        model = RevenueRecord
        fields = [
            "id",
            "company",
            "date",
            "amount",
            "currency",
            "amount_base",
            "cost",
            "offering",
            "contract",
            "external_id",
        ]
        read_only_fields = fields


# --- Write serializers: the allowlists -------------------------------------------------------


def _text(max_length: int, **kwargs: Any) -> serializers.CharField:
    return serializers.CharField(max_length=max_length, allow_blank=True, required=False, **kwargs)


class CompanyWriteSerializer(serializers.Serializer[Any]):
    """What a caller may set on a company. Identifiers are checked by the service (checksums)."""

    legal_name = serializers.CharField(max_length=500)
    short_name = _text(200)
    legal_form = serializers.ChoiceField(choices=LegalForm.choices, required=False)
    country = serializers.CharField(max_length=2, required=False)
    inn = _text(20)
    kpp = _text(20)
    ogrn = _text(20)
    foreign_registration_number = _text(64)
    vat_number = _text(32)
    external_id = _text(64)
    industry = serializers.PrimaryKeyRelatedField(
        queryset=Industry.objects.all(), allow_null=True, required=False
    )
    region = serializers.PrimaryKeyRelatedField(
        queryset=Region.objects.all(), allow_null=True, required=False
    )
    employees = serializers.IntegerField(min_value=0, allow_null=True, required=False)
    annual_revenue = serializers.DecimalField(
        max_digits=18, decimal_places=2, allow_null=True, required=False
    )
    legal_address = serializers.CharField(allow_blank=True, required=False)
    postal_address = serializers.CharField(allow_blank=True, required=False)
    office_address = serializers.CharField(allow_blank=True, required=False)
    website = serializers.URLField(allow_blank=True, required=False)
    email = _text(254)
    phone = _text(40)
    status = serializers.ChoiceField(choices=CompanyStatus.choices, required=False)
    tags = serializers.PrimaryKeyRelatedField(queryset=Tag.objects.all(), many=True, required=False)
    # The name shadows Field.parent for the type checker only: DRF moves declared fields away.
    parent = serializers.PrimaryKeyRelatedField(  # type: ignore[assignment]
        queryset=Company.objects.filter(merged_into__isnull=True), allow_null=True, required=False
    )
    group_role = serializers.ChoiceField(
        choices=GroupRole.choices, allow_blank=True, required=False
    )


class ContactWriteSerializer(serializers.Serializer[Any]):
    last_name = serializers.CharField(max_length=100)
    first_name = serializers.CharField(max_length=100)
    patronymic = _text(100)
    gender = serializers.ChoiceField(
        choices=[("m", "m"), ("f", "f")], allow_blank=True, required=False
    )
    position = _text(200)
    department = _text(200)
    decision_role = serializers.ChoiceField(
        choices=DecisionRole.choices, allow_blank=True, required=False
    )
    power_of_attorney_number = _text(64)
    power_of_attorney_expires = serializers.DateField(allow_null=True, required=False)
    email = _text(254)
    phone = _text(40)
    preferred_channel = serializers.ChoiceField(
        choices=Channel.choices, allow_blank=True, required=False
    )
    language = serializers.ChoiceField(choices=[("ru", "ru"), ("en", "en")], required=False)
    external_id = _text(64)
    other_phones = serializers.ListField(child=serializers.CharField(max_length=40), required=False)
    other_emails = serializers.ListField(
        child=serializers.CharField(max_length=254), required=False
    )


class InteractionWriteSerializer(serializers.Serializer[Any]):
    channel = serializers.ChoiceField(choices=Channel.choices)
    direction = serializers.ChoiceField(
        choices=Interaction.Direction.choices, required=False, default="in"
    )
    occurred_at = serializers.DateTimeField(required=False, allow_null=True)
    contact = serializers.PrimaryKeyRelatedField(
        queryset=Contact.objects.filter(erased_at__isnull=True), allow_null=True, required=False
    )
    subject = serializers.CharField(max_length=300)
    summary = serializers.CharField(allow_blank=True, required=False, default="")
    outcome = _text(300, default="")
    next_step = _text(300, default="")
    next_step_due = serializers.DateField(allow_null=True, required=False)


class ContractWriteSerializer(serializers.Serializer[Any]):
    number = serializers.CharField(max_length=64)
    title = _text(300)
    signed_on = serializers.DateField(allow_null=True, required=False)
    starts_on = serializers.DateField(allow_null=True, required=False)
    ends_on = serializers.DateField(allow_null=True, required=False)
    value = serializers.DecimalField(
        max_digits=18, decimal_places=2, allow_null=True, required=False
    )
    currency = serializers.CharField(max_length=3, required=False)
    status = serializers.ChoiceField(choices=Contract.Status.choices, required=False)
    offerings = serializers.PrimaryKeyRelatedField(
        queryset=Offering.objects.all(), many=True, required=False
    )


class RevenueWriteSerializer(serializers.Serializer[Any]):
    date = serializers.DateField()
    amount = serializers.DecimalField(max_digits=16, decimal_places=2)
    currency = serializers.CharField(max_length=3, required=False)
    amount_base = serializers.DecimalField(
        max_digits=16, decimal_places=2, allow_null=True, required=False
    )
    cost = serializers.DecimalField(
        max_digits=16, decimal_places=2, allow_null=True, required=False
    )
    offering = serializers.PrimaryKeyRelatedField(
        queryset=Offering.objects.all(), allow_null=True, required=False
    )
    contract = serializers.PrimaryKeyRelatedField(
        queryset=Contract.objects.all(), allow_null=True, required=False
    )
    external_id = _text(64)


# --- Query parameters ------------------------------------------------------------------------


class CompanyQuery(serializers.Serializer[Any]):
    q = serializers.CharField(
        required=False, help_text=_("Name (any word form, typos tolerated), INN, phone, e-mail.")
    )
    status = serializers.ChoiceField(choices=CompanyStatus.choices, required=False)
    inn = serializers.RegexField(r"^\d{1,12}$", required=False, help_text=_("Exact INN."))
    account_manager = serializers.IntegerField(required=False, min_value=1)
    industry = serializers.IntegerField(required=False, min_value=1)
    region = serializers.IntegerField(required=False, min_value=1)
    size = serializers.CharField(required=False)
    tag = serializers.IntegerField(required=False, min_value=1)
    legal_form = serializers.ChoiceField(choices=LegalForm.choices, required=False)
    completeness_below = serializers.IntegerField(required=False, min_value=0, max_value=101)
    updated_since = serializers.DateTimeField(required=False)


class ContactQuery(serializers.Serializer[Any]):
    q = serializers.CharField(required=False, help_text=_("Name, phone, e-mail or company INN."))
    company = serializers.IntegerField(required=False, min_value=1)
    decision_role = serializers.ChoiceField(choices=DecisionRole.choices, required=False)
    updated_since = serializers.DateTimeField(required=False)


class CompanyScopedQuery(serializers.Serializer[Any]):
    company = serializers.IntegerField(required=False, min_value=1)


class RevenueQuery(CompanyScopedQuery):
    date_from = serializers.DateField(required=False)
    date_to = serializers.DateField(required=False)


def _query(serializer_class: type[serializers.Serializer[Any]], request: Request) -> dict[str, Any]:
    """Validated query parameters: a mistyped filter is a 400, not a silently unfiltered list."""
    query = serializer_class(data=request.query_params)
    query.is_valid(raise_exception=True)
    return dict(query.validated_data)


# --- Permissions -----------------------------------------------------------------------------


_CanEdit = HasPerm(Perm.CLIENTS_EDIT)


class EditToWrite(BasePermission):
    """Reading is left to the other permission classes; anything that writes needs clients.edit."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        return request.method in SAFE_METHODS or _CanEdit().has_permission(request, view)


def _actor(request: Request) -> User:
    # The permission classes admitted only active staff members.
    return cast("User", request.user)


def _company_from_url(view: Any) -> Company:
    return get_object_or_404(Company, pk=view.kwargs["company_id"], merged_into__isnull=True)


# --- Companies -------------------------------------------------------------------------------


def _company_input(company: Company | None, data: dict[str, Any]) -> services.CompanyInput:
    """The service input: the company as it is, overlaid with what the caller sent."""
    base: dict[str, Any] = {}
    if company is not None:
        for name in services.CompanyInput.__dataclass_fields__:
            if name != "tags":
                base[name] = getattr(company, name)
    base.update(data)
    if company is None:
        base["account_manager"] = None
    return services.CompanyInput(**base)


@extend_schema_view(
    get=extend_schema(parameters=[CompanyQuery], responses=CompanySerializer),
    post=extend_schema(request=CompanyWriteSerializer, responses={201: CompanySerializer}),
)
class CompanyList(generics.ListCreateAPIView[Company]):
    """Companies (merged ones excluded), newest first."""

    permission_classes = [HasPerm(Perm.CLIENTS_VIEW), EditToWrite]
    serializer_class = CompanySerializer
    pagination_class = BigListPagination

    def get_queryset(self) -> QuerySet[Company]:
        params = _query(CompanyQuery, self.request)
        qs = search.filter_companies(
            {k: str(v) for k, v in params.items() if k not in {"inn", "updated_since"}}
        ).prefetch_related("tags")
        if "inn" in params:
            qs = qs.filter(inn=params["inn"])
        if "updated_since" in params:
            qs = qs.filter(updated_at__gte=params["updated_since"])
        return qs

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = CompanyWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        company = services.company_create(
            data=_company_input(None, dict(data.validated_data)), by=_actor(request)
        )
        return Response(CompanySerializer(company).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    get=extend_schema(responses=CompanySerializer),
    put=extend_schema(request=CompanyWriteSerializer, responses=CompanySerializer),
    patch=extend_schema(request=CompanyWriteSerializer, responses=CompanySerializer),
)
class CompanyDetail(generics.RetrieveUpdateAPIView[Company]):
    permission_classes = [HasPerm(Perm.CLIENTS_VIEW), EditToWrite]
    serializer_class = CompanySerializer

    def get_queryset(self) -> QuerySet[Company]:
        return search.active_companies().prefetch_related("tags")

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        company = self.get_object()
        partial = kwargs.get("partial", False)
        data = CompanyWriteSerializer(data=request.data, partial=partial)
        data.is_valid(raise_exception=True)
        services.company_update(
            company=company,
            data=_company_input(company, dict(data.validated_data)),
            by=_actor(request),
        )
        return Response(CompanySerializer(self.get_queryset().get(pk=company.pk)).data)


# --- Contacts --------------------------------------------------------------------------------


def _contact_input(contact: Contact | None, data: dict[str, Any]) -> services.ContactInput:
    base: dict[str, Any] = {}
    if contact is not None:
        for name in services.ContactInput.__dataclass_fields__:
            if name not in {"other_phones", "other_emails"}:
                base[name] = getattr(contact, name)
    base.update(data)
    return services.ContactInput(**base)


@extend_schema_view(get=extend_schema(parameters=[ContactQuery]))
class ContactList(generics.ListAPIView[Contact]):
    """Contact persons of all companies (erased ones excluded)."""

    permission_classes = [HasPerm(Perm.CLIENTS_VIEW)]
    serializer_class = ContactSerializer
    pagination_class = BigListPagination

    def get_queryset(self) -> QuerySet[Contact]:
        params = _query(ContactQuery, self.request)
        qs = search.filter_contacts({k: str(v) for k, v in params.items() if k != "updated_since"})
        if "updated_since" in params:
            qs = qs.filter(updated_at__gte=params["updated_since"])
        return qs


@extend_schema_view(
    get=extend_schema(responses=ContactSerializer),
    put=extend_schema(request=ContactWriteSerializer, responses=ContactSerializer),
    patch=extend_schema(request=ContactWriteSerializer, responses=ContactSerializer),
)
class ContactDetail(generics.RetrieveUpdateAPIView[Contact]):
    permission_classes = [HasPerm(Perm.CLIENTS_VIEW), EditToWrite]
    serializer_class = ContactSerializer

    def get_queryset(self) -> QuerySet[Contact]:
        return search.active_contacts()

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        contact = self.get_object()
        data = ContactWriteSerializer(data=request.data, partial=kwargs.get("partial", False))
        data.is_valid(raise_exception=True)
        contact = services.contact_update(
            contact=contact,
            data=_contact_input(contact, dict(data.validated_data)),
            by=_actor(request),
        )
        return Response(ContactSerializer(contact).data)


@extend_schema_view(
    get=extend_schema(responses=ContactSerializer),
    post=extend_schema(request=ContactWriteSerializer, responses={201: ContactSerializer}),
)
class CompanyContactList(generics.ListCreateAPIView[Contact]):
    """The contact persons of one company; POST adds one to it."""

    permission_classes = [HasPerm(Perm.CLIENTS_VIEW), EditToWrite]
    serializer_class = ContactSerializer
    pagination_class = BigListPagination

    def get_queryset(self) -> QuerySet[Contact]:
        return search.active_contacts().filter(company_id=self.kwargs.get("company_id"))

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        company = _company_from_url(self)
        data = ContactWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        contact = services.contact_create(
            company=company,
            data=_contact_input(None, dict(data.validated_data)),
            by=_actor(request),
        )
        return Response(ContactSerializer(contact).data, status=status.HTTP_201_CREATED)


# --- Interactions ----------------------------------------------------------------------------


@extend_schema_view(
    get=extend_schema(responses=InteractionSerializer),
    post=extend_schema(request=InteractionWriteSerializer, responses={201: InteractionSerializer}),
)
class CompanyInteractionList(generics.ListCreateAPIView[Interaction]):
    """A company's timeline; POST records a contact made by the caller."""

    permission_classes = [HasPerm(Perm.CLIENTS_VIEW), EditToWrite]
    serializer_class = InteractionSerializer
    pagination_class = BigListPagination

    def get_queryset(self) -> QuerySet[Interaction]:
        return Interaction.objects.filter(company_id=self.kwargs.get("company_id"))

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        company = _company_from_url(self)
        data = InteractionWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        interaction = services.interaction_record(
            company=company, staff=_actor(request), **data.validated_data
        )
        return Response(InteractionSerializer(interaction).data, status=status.HTTP_201_CREATED)


# --- Contracts and revenue -------------------------------------------------------------------


@extend_schema_view(get=extend_schema(parameters=[CompanyScopedQuery]))
class ContractList(generics.ListAPIView[Contract]):
    permission_classes = [HasPerm(Perm.CLIENTS_VIEW)]
    serializer_class = ContractSerializer
    pagination_class = BigListPagination

    def get_queryset(self) -> QuerySet[Contract]:
        params = _query(CompanyScopedQuery, self.request)
        qs = Contract.objects.prefetch_related("offerings")
        if "company" in params:
            qs = qs.filter(company_id=params["company"])
        return qs


class ContractDetail(generics.RetrieveAPIView[Contract]):
    permission_classes = [HasPerm(Perm.CLIENTS_VIEW)]
    serializer_class = ContractSerializer
    queryset = Contract.objects.prefetch_related("offerings")


@extend_schema_view(
    get=extend_schema(responses=ContractSerializer),
    post=extend_schema(request=ContractWriteSerializer, responses={201: ContractSerializer}),
)
class CompanyContractList(generics.ListCreateAPIView[Contract]):
    permission_classes = [HasPerm(Perm.CLIENTS_VIEW), EditToWrite]
    serializer_class = ContractSerializer
    pagination_class = BigListPagination

    def get_queryset(self) -> QuerySet[Contract]:
        return Contract.objects.filter(company_id=self.kwargs.get("company_id")).prefetch_related(
            "offerings"
        )

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        company = _company_from_url(self)
        data = ContractWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        contract = services.contract_create(
            company=company, data=services.ContractInput(**data.validated_data), by=_actor(request)
        )
        return Response(ContractSerializer(contract).data, status=status.HTTP_201_CREATED)


@extend_schema_view(get=extend_schema(parameters=[RevenueQuery]))
class RevenueList(generics.ListAPIView[RevenueRecord]):
    permission_classes = [HasPerm(Perm.CLIENTS_VIEW)]
    serializer_class = RevenueRecordSerializer
    pagination_class = BigListPagination

    def get_queryset(self) -> QuerySet[RevenueRecord]:
        params = _query(RevenueQuery, self.request)
        qs = RevenueRecord.objects.all()
        if "company" in params:
            qs = qs.filter(company_id=params["company"])
        if "date_from" in params:
            qs = qs.filter(date__gte=params["date_from"])
        if "date_to" in params:
            qs = qs.filter(date__lte=params["date_to"])
        return qs


@extend_schema_view(
    get=extend_schema(responses=RevenueRecordSerializer),
    post=extend_schema(request=RevenueWriteSerializer, responses={201: RevenueRecordSerializer}),
)
class CompanyRevenueList(generics.ListCreateAPIView[RevenueRecord]):
    permission_classes = [HasPerm(Perm.CLIENTS_VIEW), EditToWrite]
    serializer_class = RevenueRecordSerializer
    pagination_class = BigListPagination

    def get_queryset(self) -> QuerySet[RevenueRecord]:
        return RevenueRecord.objects.filter(company_id=self.kwargs.get("company_id"))

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        company = _company_from_url(self)
        data = RevenueWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        record = services.revenue_record_create(
            company=company, data=services.RevenueInput(**data.validated_data), by=_actor(request)
        )
        return Response(RevenueRecordSerializer(record).data, status=status.HTTP_201_CREATED)


urlpatterns = [
    path("companies/", CompanyList.as_view(), name="company-list"),
    path("companies/<int:pk>/", CompanyDetail.as_view(), name="company-detail"),
    path(
        "companies/<int:company_id>/contacts/",
        CompanyContactList.as_view(),
        name="company-contact-list",
    ),
    path(
        "companies/<int:company_id>/interactions/",
        CompanyInteractionList.as_view(),
        name="company-interaction-list",
    ),
    path(
        "companies/<int:company_id>/contracts/",
        CompanyContractList.as_view(),
        name="company-contract-list",
    ),
    path(
        "companies/<int:company_id>/revenue/",
        CompanyRevenueList.as_view(),
        name="company-revenue-list",
    ),
    path("contacts/", ContactList.as_view(), name="contact-list"),
    path("contacts/<int:pk>/", ContactDetail.as_view(), name="contact-detail"),
    path("contracts/", ContractList.as_view(), name="contract-list"),
    path("contracts/<int:pk>/", ContractDetail.as_view(), name="contract-detail"),
    path("revenue/", RevenueList.as_view(), name="revenue-list"),
]
