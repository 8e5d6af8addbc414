from django.http import HttpResponse

from directory import roles
from telegrams.access import role_required


@role_required(roles.ADMIN)
def log(request):  # replaced by the audit log page (issue 4)
    return HttpResponse("审计日志")
