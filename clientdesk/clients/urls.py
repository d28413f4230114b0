"""Staff pages of the registry; each module under views/ brings its own routes."""

from django.urls import include, path

from .views import companies, duplicates, finance, imports, quality, records

app_name = "clients"

urlpatterns = [
    path("", include(companies.urlpatterns)),
    path("", include(records.urlpatterns)),
    path("", include(finance.urlpatterns)),
    path("quality/", include(quality.urlpatterns)),
    path("duplicates/", include(duplicates.urlpatterns)),
    path("imports/", include(imports.urlpatterns)),
]
