from django.contrib import admin

from .models import Person, Unit


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ("name", "short_name", "parent", "active")
    list_filter = ("active",)
    search_fields = ("name", "short_name")
    autocomplete_fields = ("parent",)


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ("full_name", "user", "unit", "title")
    search_fields = ("full_name", "user__username", "unit__name")
    autocomplete_fields = ("unit",)
