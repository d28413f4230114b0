from django.urls import path

from . import views

app_name = "knowledge"

urlpatterns = [
    path("", views.index, name="index"),
    path("manage/", views.manage, name="manage"),
    path("manage/new/", views.article_edit, name="article_new"),
    path("manage/<int:pk>/edit/", views.article_edit, name="article_edit"),
    path("manage/categories/new/", views.category_new, name="category_new"),
    path("<slug:slug>/", views.article, name="article"),
    path("<slug:slug>/feedback/", views.feedback, name="feedback"),
]
