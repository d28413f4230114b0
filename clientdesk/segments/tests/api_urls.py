"""The project's URLs plus the segments API, until it is mounted in config/api_urls.py."""

from django.urls import include, path

from clientdesk.config.urls import urlpatterns as base
from clientdesk.segments import api

urlpatterns = [path("api/v1/", include(api.urlpatterns)), *base]
