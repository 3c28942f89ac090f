from django.contrib import admin

from .models import Job, ReadLog


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ["kind", "status", "done", "total", "created_by", "created_at"]
    list_filter = ["kind", "status"]
    readonly_fields = ["preview", "result", "error"]


@admin.register(ReadLog)
class ReadLogAdmin(admin.ModelAdmin):
    """Read-only: the log of who read children's own records."""

    list_display = ["at", "user", "what", "detail", "rows"]
    list_filter = ["what"]
    search_fields = ["user__username", "detail", "org_path"]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
