from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from simple_history.admin import SimpleHistoryAdmin

from .models import Assignment, OrgUnit, Person, School, User


@admin.register(User)
class ClusterwiseUserAdmin(UserAdmin):
    """Superusers reset passwords here (the change-password form)."""


@admin.register(OrgUnit)
class OrgUnitAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name", "level", "depth"]
    list_filter = ["level"]
    search_fields = ["code", "name"]
    readonly_fields = ["path", "depth", "numchild"]


@admin.register(School)
class SchoolAdmin(SimpleHistoryAdmin):
    list_display = ["org_unit", "management", "area", "tribal_area"]
    list_filter = ["management", "area", "tribal_area"]
    search_fields = ["org_unit__code", "org_unit__name"]
    raw_id_fields = ["org_unit"]


class AssignmentInline(admin.TabularInline):
    model = Assignment
    raw_id_fields = ["org_unit"]
    readonly_fields = ["org_path"]
    extra = 0


@admin.register(Person)
class PersonAdmin(SimpleHistoryAdmin):
    list_display = ["name", "phone", "email", "user"]
    search_fields = ["name", "phone", "email"]
    raw_id_fields = ["user"]
    inlines = [AssignmentInline]


@admin.register(Assignment)
class AssignmentAdmin(SimpleHistoryAdmin):
    list_display = ["person", "role", "org_unit", "start_date", "end_date"]
    list_filter = ["role"]
    raw_id_fields = ["person", "org_unit"]
    readonly_fields = ["org_path"]
