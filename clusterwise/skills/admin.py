"""Admin views for superusers. Frameworks are changed through their pages (new versions,
never edits of a published one); here they are for looking up."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Assessment, Framework, Skill


@admin.register(Framework)
class FrameworkAdmin(SimpleHistoryAdmin):
    list_display = ["key", "version", "status", "published_at"]
    list_filter = ["status"]
    readonly_fields = ["key", "version", "status", "published_at", "based_on"]


@admin.register(Skill)
class SkillAdmin(admin.ModelAdmin):
    list_display = ["code", "framework", "theme"]
    list_filter = ["framework"]

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return obj is None or not obj.framework.is_frozen


@admin.register(Assessment)
class AssessmentAdmin(SimpleHistoryAdmin):
    list_display = ["member", "round", "kind", "assessor", "assessed_on"]
    list_filter = ["round", "kind", "cohort"]
    raw_id_fields = ["cohort", "member", "assessor"]
