from django.urls import path

from . import views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("company/", views.company_profile, name="company"),
    path("requests/", views.request_list, name="requests"),
    path("requests/new/", views.request_new, name="request_new"),
    path("requests/suggest/", views.suggest, name="suggest"),
    path("requests/<int:pk>/", views.request_detail, name="request"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment"),
]
