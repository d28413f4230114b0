from django.urls import URLPattern, path

from . import views

app_name = "staffing"

urlpatterns: list[URLPattern] = [
    path("", views.plan, name="plan"),
    path("shifts/add/", views.shift_add, name="shift_add"),
]
