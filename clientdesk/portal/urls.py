from django.urls import URLPattern, path

from .views import appointments, documents, invitation, preferences, requests, team

app_name = "portal"

urlpatterns: list[URLPattern] = [
    path("", requests.home, name="home"),
    path("company/", requests.company_profile, name="company"),
    path("requests/", requests.request_list, name="requests"),
    path("requests/new/", requests.request_new, name="request_new"),
    path("requests/suggest/", requests.suggest, name="suggest"),
    path("requests/<int:pk>/", requests.request_detail, name="request"),
    path("attachments/<int:pk>/", requests.attachment_download, name="attachment"),
    path("appointments/", appointments.appointment_list, name="appointments"),
    path("appointments/new/", appointments.appointment_new, name="appointment_new"),
    path("appointments/slots/", appointments.appointment_slots, name="appointment_slots"),
    path("appointments/<int:pk>/", appointments.appointment_detail, name="appointment"),
    path("appointments/<int:pk>/move/", appointments.appointment_move, name="appointment_move"),
    path(
        "appointments/<int:pk>/cancel/", appointments.appointment_cancel, name="appointment_cancel"
    ),
    # portal accounts, documents, settings (helper "portal")
    path("invitation/<str:token>/", invitation.invitation_accept, name="invitation_accept"),
    path("team/", team.team, name="team"),
    path("documents/", documents.document_list, name="documents"),
    path("documents/<int:pk>/", documents.document_download, name="document"),
    path("preferences/", preferences.preferences, name="preferences"),
    path("company/switch/", preferences.switch_company, name="switch_company"),
    path("staff/", team.staff_index, name="staff_index"),
    path("staff/companies/<int:company_id>/", team.staff_company, name="staff_company"),
    path("staff/documents/<int:pk>/", team.staff_document, name="staff_document"),
]
