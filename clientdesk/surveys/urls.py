from django.urls import URLPattern, path

from clientdesk.accounts.throttle import throttle_token_guesses

from . import answer_views, views

app_name = "surveys"

urlpatterns: list[URLPattern] = [
    path("", views.survey_list, name="list"),
    path("new/", views.survey_create, name="create"),
    path("<int:pk>/", views.survey_detail, name="detail"),
    path("<int:pk>/edit/", views.survey_edit, name="edit"),
    path("<int:pk>/status/", views.survey_status, name="status"),
    path("<int:pk>/questions/add/", views.question_add, name="question_add"),
    path(
        "<int:pk>/questions/<int:question_pk>/delete/",
        views.question_delete,
        name="question_delete",
    ),
    path("<int:pk>/servqual/", views.servqual_add, name="servqual_add"),
    path("<int:pk>/ipa/", views.ipa_add, name="ipa_add"),
    path("<int:pk>/invite/", views.invite, name="invite"),
    path("<int:pk>/next-wave/", views.next_wave, name="next_wave"),
    path("<int:pk>/preview/", views.preview, name="preview"),
    path("<int:pk>/report/", views.report, name="report"),
    path("<int:pk>/report.pdf", views.report_pdf_view, name="report_pdf"),
    path("<int:pk>/responses/", views.responses, name="responses"),
    path("<int:pk>/follow-ups/", views.follow_ups, name="follow_ups"),
    path("<int:pk>/import/", views.import_view, name="import"),
    path(
        "r/<str:token>/",
        throttle_token_guesses("survey_link")(answer_views.answer),
        name="answer",
    ),
    path("portal/", answer_views.portal_list, name="portal_list"),
    path("portal/<int:pk>/", answer_views.portal_answer, name="portal_answer"),
]
