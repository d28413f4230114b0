from django.urls import URLPattern, path

from .views import queue, staffing

app_name = "centers"

urlpatterns: list[URLPattern] = [
    path("desk/", queue.desk, name="desk"),
    path("desk/sign-in/", queue.desk_signin, name="desk_signin"),
    path("desk/sign-out/", queue.desk_signout, name="desk_signout"),
    path("desk/call-next/", queue.call_next, name="call_next"),
    path("tickets/<int:pk>/<str:action>/", queue.ticket_action, name="ticket_action"),
    path("staffing/", staffing.staffing, name="staffing"),
    path("<slug:code>/kiosk/", queue.kiosk, name="kiosk"),
    path("<slug:code>/kiosk/ticket/", queue.kiosk_issue, name="kiosk_issue"),
    path("<slug:code>/board/", queue.board, name="board"),
]
