"""Staff pages of the service domain, mounted at /service/."""

from django.urls import include, path

from .views import queues, reports, requests, standards

app_name = "service"

urlpatterns = [
    path("", include(queues.urlpatterns)),
    path("", include(requests.urlpatterns)),
    path("", include(reports.urlpatterns)),
    path("", include(standards.urlpatterns)),
]
