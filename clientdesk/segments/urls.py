from django.urls import URLPattern

from .views import urlpatterns as view_patterns

app_name = "segments"

urlpatterns: list[URLPattern] = list(view_patterns)
