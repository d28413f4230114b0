from django.urls import URLPattern, path

from .views import public, staff

app_name = "campaigns"

urlpatterns: list[URLPattern] = [
    path("", staff.campaign_list, name="list"),
    path("new/", staff.campaign_edit, name="create"),
    path("<int:pk>/", staff.campaign_detail, name="detail"),
    path("<int:pk>/edit/", staff.campaign_edit, name="edit"),
    path("<int:pk>/variants/<int:variant_pk>/", staff.variant_edit, name="variant"),
    path("<int:pk>/approve/", staff.campaign_approve, name="approve"),
    path("<int:pk>/audience/", staff.audience, name="audience"),
    path("<int:pk>/schedule/", staff.campaign_schedule, name="schedule"),
    path("<int:pk>/pause/", staff.campaign_pause, name="pause"),
    path("<int:pk>/resend-unknown/", staff.campaign_resend_unknown, name="resend_unknown"),
    path("<int:pk>/preview/<int:recipient_pk>/", staff.preview, name="preview"),
    path("<int:pk>/results/", staff.results, name="results"),
    path("<int:pk>/letters.pdf", staff.letters_pdf, name="letters_pdf"),
    path("cases/", staff.case_list, name="case_list"),
    path("cases/new/", staff.case_edit, name="case_create"),
    path("cases/<int:pk>/", staff.case_edit, name="case_edit"),
    path("my-clients/", staff.touches, name="touches"),
    path("my-clients/<int:recipient_pk>/note/", staff.touch_note, name="touch_note"),
    path("my-clients/<int:recipient_pk>/reply/", staff.touch_reply, name="touch_reply"),
    path("talking-points/<int:recipient_pk>.pdf", staff.talking_points_pdf, name="talking_points"),
    path("t/o/<str:token>.gif", public.open_pixel, name="open"),
    path("t/c/<str:token>/<int:index>/", public.click, name="click"),
    path("u/<str:token>/", public.unsubscribe, name="unsubscribe"),
]
