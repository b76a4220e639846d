"""Admin for support staff: disclosure records are browsed here, never written. Templates
load from their files (`load_templates`), filings change only through their services (the
ledger records every state change), and the ledger is append-only."""

from django.contrib import admin

from core.admin import ReadOnlyAdmin
from disclosure.models import (
    Attachment,
    DisclosureTemplate,
    FieldComment,
    Filing,
    FilingEvent,
    FilingValue,
    Notification,
    Review,
)


@admin.register(DisclosureTemplate)
class TemplateAdmin(ReadOnlyAdmin):
    list_display = ("code", "version", "title", "status", "applies_to", "frequency",
                    "activated_at")
    list_filter = ("status", "applies_to")


class ValueInline(admin.TabularInline):
    model = FilingValue
    extra = 0
    can_delete = False
    readonly_fields = ("field", "value", "nd_code", "nd_reason")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Filing)
class FilingAdmin(ReadOnlyAdmin):
    list_display = ("accession_number", "issuer", "template", "period", "status",
                    "submitted_at", "grade")
    list_filter = ("status", "template", "grade")
    search_fields = ("accession_number", "issuer__name", "external_ref")
    list_select_related = ("issuer", "template")
    inlines = [ValueInline]


@admin.register(Attachment)
class AttachmentAdmin(ReadOnlyAdmin):
    list_display = ("name", "filing", "content_type", "size", "sha256", "uploaded_at")


@admin.register(Review)
class ReviewAdmin(ReadOnlyAdmin):
    list_display = ("filing", "reviewer", "started_at", "decision", "decided_at")
    list_filter = ("decision",)


@admin.register(FieldComment)
class CommentAdmin(ReadOnlyAdmin):
    list_display = ("filing", "field", "author", "created_at")


@admin.register(FilingEvent)
class FilingEventAdmin(ReadOnlyAdmin):
    list_display = ("sequence", "filing", "action", "from_status", "to_status", "actor_name",
                    "at")
    list_filter = ("action",)


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ("user", "text", "created_at", "read_at")
