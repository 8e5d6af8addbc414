from django.http import HttpResponse

from directory import roles
from telegrams.access import role_required


@role_required(roles.LEADER)
def inbox(request):  # replaced by the leader's 待批示 inbox (issue 4)
    return HttpResponse("待批示")
