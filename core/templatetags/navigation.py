from django import template

from core.navigation import back_url as _back_url

register = template.Library()


@register.simple_tag(takes_context=True)
def back_url(context) -> str:
    """`{% back_url %}`: where "← 返回" leads (core.navigation.back_url)."""
    return _back_url(context["request"])
