import re
from clientdesk.service.tests.test_report_pdf import pdf_text
def test_dbg(make_staff, login_as, db):
    from clientdesk.service.tests.test_report_pdf import make_requests
    from django.urls import reverse
    from clientdesk.core.roles import Role
    from django.test import override_settings
    operator = make_staff(Role.CALL_OPERATOR)
    make_requests(50, assignee=operator, resolved=True)
    with override_settings(SERVICE_REPORT_PDF_COMPRESS=False):
        c = login_as(make_staff(Role.SUPERVISOR)).get(reverse("service:report_operator") + f"?user={operator.pk}&format=pdf", HTTP_ACCEPT_LANGUAGE="en").content
    i = c.find(b"Page")
    for m in re.finditer(rb"\n[^\n]*(Tj|TJ)[^\n]*", c[:200000]):
        pass
    print([l for l in c.split(b"\n") if b"Tj" in l or b"TJ" in l][:40])
    open("/tmp/dbg.pdf","wb").write(c)
