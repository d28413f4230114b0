"""Routes of API v1: each app contributes its `api.py` views here."""

from django.urls import include, path

from clientdesk.accounts import api as accounts_api
from clientdesk.centers import api as centers_api
from clientdesk.clients import api as clients_api
from clientdesk.core import api_views as core_api
from clientdesk.segments import api as segments_api
from clientdesk.service import api as service_api

api_v1 = [
    path("", include(accounts_api.urlpatterns)),
    path("", include(centers_api.urlpatterns)),
    path("", include(clients_api.urlpatterns)),
    path("", include(core_api.urlpatterns)),
    path("", include(segments_api.urlpatterns)),
    path("", include(service_api.urlpatterns)),
]
