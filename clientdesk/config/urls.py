from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog, set_language
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from clientdesk.core import views as core_views
from clientdesk.core.permissions import public, require_staff

from .api_urls import api_v1

admin.site.site_header = "clientdesk"
admin.site.site_title = "clientdesk"

urlpatterns = [
    path("", core_views.root, name="root"),
    path("healthz", core_views.healthz, name="healthz"),
    path("i18n/setlang/", public(set_language), name="set_language"),
    path("i18n/js/", public(JavaScriptCatalog.as_view()), name="javascript-catalog"),
    path("accounts/", include("clientdesk.accounts.urls")),
    path("", include("clientdesk.core.urls")),
    path("clients/", include("clientdesk.clients.urls")),
    path("segments/", include("clientdesk.segments.urls")),
    path("service/", include("clientdesk.service.urls")),
    path("centers/", include("clientdesk.centers.urls")),
    path("staffing/", include("clientdesk.staffing.urls")),
    path("kb/", include("clientdesk.knowledge.urls")),
    path("campaigns/", include("clientdesk.campaigns.urls")),
    path("surveys/", include("clientdesk.surveys.urls")),
    path("portal/", include("clientdesk.portal.urls")),
    path("api/v1/", include((api_v1, "v1"), namespace="v1")),
    path("api/v1/schema/", SpectacularAPIView.as_view(api_version="v1"), name="api-schema"),
    # A person opens the docs in a browser: anonymous goes to the login page, portal users
    # get the 403 page; the schema itself stays a DRF view for token-authenticated clients.
    path(
        "api/v1/docs/",
        require_staff(SpectacularSwaggerView.as_view(url_name="api-schema")),
        name="api-docs",
    ),
    path("admin/", admin.site.urls),
]

handler403 = "clientdesk.core.views.error_403"
handler404 = "clientdesk.core.views.error_404"
handler500 = "clientdesk.core.views.error_500"
