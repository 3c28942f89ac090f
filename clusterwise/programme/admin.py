"""Read-mostly admin views for superusers; the programme's pages are where work is done
(they keep the cascade, scope and versions consistent)."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import CoachingVisit, Cohort, CohortMember, FieldAssignment, Submission, Workshop


@admin.register(Cohort)
class CohortAdmin(SimpleHistoryAdmin):
    list_display = ["name", "kind", "framework", "org_unit", "starts_on", "ends_on"]
    list_filter = ["kind"]
    search_fields = ["name"]
    raw_id_fields = ["org_unit", "framework"]
    readonly_fields = ["org_path", "version"]


@admin.register(CohortMember)
class CohortMemberAdmin(SimpleHistoryAdmin):
    list_display = ["person", "role", "cohort", "org_unit", "supported_by", "left_on"]
    list_filter = ["role", "cohort"]
    search_fields = ["person__name", "person__phone"]
    raw_id_fields = ["person", "org_unit", "supported_by", "cohort"]
    readonly_fields = ["org_path"]


@admin.register(Workshop)
class WorkshopAdmin(SimpleHistoryAdmin):
    list_display = ["title", "cohort", "starts_at", "venue"]
    list_filter = ["cohort"]
    raw_id_fields = ["cohort", "org_unit", "theme"]
    filter_horizontal = ["facilitators"]


@admin.register(FieldAssignment)
class FieldAssignmentAdmin(SimpleHistoryAdmin):
    list_display = ["title", "cohort", "due_on"]
    list_filter = ["cohort"]
    raw_id_fields = ["cohort", "theme"]


@admin.register(Submission)
class SubmissionAdmin(SimpleHistoryAdmin):
    list_display = ["field_assignment", "member", "status", "attempt", "submitted_at"]
    list_filter = ["status"]
    raw_id_fields = ["field_assignment", "member", "reviewed_by"]


@admin.register(CoachingVisit)
class CoachingVisitAdmin(SimpleHistoryAdmin):
    list_display = ["crc", "coach", "visited_on", "place"]
    raw_id_fields = ["cohort", "coach", "crc"]
