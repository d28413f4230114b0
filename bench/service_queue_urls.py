"""URLs for bench/service_queue.py: the pages the service domain needs and its API, so that
the benchmark does not depend on the state of unrelated apps."""

from django.urls import include, path
from django.views.i18n import set_language

from clientdesk.core import views as core_views
from clientdesk.service import api

urlpatterns = [
    path("", core_views.root, name="root"),
    path("i18n/setlang/", set_language, name="set_language"),
    path("accounts/", include("clientdesk.accounts.urls")),
    path("", include("clientdesk.core.urls")),
    path("clients/", include("clientdesk.clients.urls")),
    path("service/", include("clientdesk.service.urls")),
    path("api/v1/", include(api.urlpatterns)),
]
