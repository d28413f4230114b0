from django.urls import path

from . import views

app_name = "clients"

urlpatterns = [
    path("", views.company_list, name="company_list"),
    path("<int:pk>/", views.company_detail, name="company_detail"),
    path("contacts/", views.contact_list, name="contact_list"),
]
