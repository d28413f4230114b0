from django.urls import URLPattern, path

from . import views

app_name = "centers"

urlpatterns: list[URLPattern] = [
    path("desk/", views.desk, name="desk"),
    path("desk/sign-in/", views.desk_signin, name="desk_signin"),
    path("desk/sign-out/", views.desk_signout, name="desk_signout"),
    path("desk/call-next/", views.call_next, name="call_next"),
    path("tickets/<int:pk>/<str:action>/", views.ticket_action, name="ticket_action"),
    path("staffing/", views.staffing, name="staffing"),
    path("<slug:code>/kiosk/", views.kiosk, name="kiosk"),
    path("<slug:code>/kiosk/ticket/", views.kiosk_issue, name="kiosk_issue"),
    path("<slug:code>/board/", views.board, name="board"),
]
