"""The project's URLs plus this app's API, until the API is mounted in config/api_urls.py."""

from django.urls import include, path

from clientdesk.config.urls import urlpatterns as project_urlpatterns
from clientdesk.service import api

urlpatterns = [path("api/v1/", include(api.urlpatterns)), *project_urlpatterns]
