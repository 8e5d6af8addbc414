from django import template

from stats import format

register = template.Library()
register.filter("duration", format.duration)
register.filter("percent", format.percent)


@register.filter
def get_item(mapping: dict, key):
    return mapping.get(key)
