from django.urls import URLPattern, path

from .views import requests

app_name = "portal"

urlpatterns: list[URLPattern] = [
    path("", requests.home, name="home"),
    path("company/", requests.company_profile, name="company"),
    path("requests/", requests.request_list, name="requests"),
    path("requests/new/", requests.request_new, name="request_new"),
    path("requests/suggest/", requests.suggest, name="suggest"),
    path("requests/<int:pk>/", requests.request_detail, name="request"),
    path("attachments/<int:pk>/", requests.attachment_download, name="attachment"),
]
