from django.urls import URLPattern, path

from .views import appointments, queue, reports, staffing

app_name = "centers"

urlpatterns: list[URLPattern] = [
    path("desk/", queue.desk, name="desk"),
    path("desk/sign-in/", queue.desk_signin, name="desk_signin"),
    path("desk/sign-out/", queue.desk_signout, name="desk_signout"),
    path("desk/call-next/", queue.call_next, name="call_next"),
    path("tickets/<int:pk>/<str:action>/", queue.ticket_action, name="ticket_action"),
    path("staffing/", staffing.staffing, name="staffing"),
    path("report/", reports.measured_service, name="report"),
    path("appointments/", appointments.appointment_list, name="appointments"),
    path("appointments/new/", appointments.appointment_new, name="appointment_new"),
    path("appointments/slots/", appointments.appointment_slots, name="appointment_slots"),
    path("appointments/<int:pk>/", appointments.appointment_detail, name="appointment"),
    path(
        "appointments/<int:pk>/move/",
        appointments.appointment_reschedule,
        name="appointment_reschedule",
    ),
    path(
        "appointments/<int:pk>/cancel/", appointments.appointment_cancel, name="appointment_cancel"
    ),
    path(
        "appointments/<int:pk>/check-in/",
        appointments.appointment_check_in,
        name="appointment_check_in",
    ),
    path("<slug:code>/kiosk/", queue.kiosk, name="kiosk"),
    path("<slug:code>/kiosk/ticket/", queue.kiosk_issue, name="kiosk_issue"),
    path("<slug:code>/board/", queue.board, name="board"),
]
