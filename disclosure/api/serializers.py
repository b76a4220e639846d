from rest_framework import serializers

from disclosure.choices import Decision
from disclosure.models import Attachment, DisclosureTemplate, FieldComment, Filing, Notification


class TemplateSerializer(serializers.ModelSerializer):
    key = serializers.CharField(read_only=True)

    class Meta:
        model = DisclosureTemplate
        fields = ["id", "key", "code", "version", "title", "jurisdiction", "description",
                  "applies_to", "frequency", "due_days", "status", "sdg_targets",
                  "definition_sha256", "activated_at", "definition"]
        read_only_fields = fields


class AnswerSerializer(serializers.Serializer):
    field = serializers.CharField(max_length=64)
    value = serializers.CharField(allow_blank=True, required=False, default="",
                                  max_length=20000)
    nd_code = serializers.CharField(allow_blank=True, required=False, default="",
                                    max_length=16)
    nd_reason = serializers.CharField(allow_blank=True, required=False, default="",
                                      max_length=1000)


class AttachmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Attachment
        fields = ["id", "name", "field", "content_type", "size", "sha256", "uploaded_at"]
        read_only_fields = fields


class FilingSerializer(serializers.ModelSerializer):
    issuer_name = serializers.CharField(source="issuer.name", read_only=True)
    template_key = serializers.CharField(source="template.key", read_only=True)
    amends_accession = serializers.CharField(source="amends.accession_number", read_only=True,
                                             default=None)
    url = serializers.SerializerMethodField()

    class Meta:
        model = Filing
        fields = ["id", "accession_number", "issuer", "issuer_name", "deal", "template",
                  "template_key", "period", "period_end", "due_date", "status", "amends",
                  "amends_accession", "submitted_at", "decided_at", "grade", "completeness",
                  "content_sha256", "url"]
        read_only_fields = ["accession_number", "period_end", "due_date", "status", "amends",
                            "submitted_at", "decided_at", "grade", "completeness",
                            "content_sha256"]

    def get_url(self, filing) -> str:
        request = self.context.get("request")
        url = filing.get_absolute_url()
        return request.build_absolute_uri(url) if request else url


class FilingDetailSerializer(FilingSerializer):
    values = AnswerSerializer(many=True, read_only=True)
    attachments = AttachmentSerializer(many=True, read_only=True)

    class Meta(FilingSerializer.Meta):
        fields = [*FilingSerializer.Meta.fields, "values", "attachments"]


class AnswersSerializer(serializers.Serializer):
    answers = AnswerSerializer(many=True)


class ReportSerializer(serializers.Serializer):
    """A draft's validation report, as the form shows it."""

    valid = serializers.BooleanField(source="is_valid")
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))
    completeness = serializers.FloatField()
    grade = serializers.CharField()


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True, required=False, default="",
                                   max_length=1000)


class CommentSerializer(serializers.ModelSerializer):
    author = serializers.CharField(source="author.username", read_only=True, default=None)

    class Meta:
        model = FieldComment
        fields = ["id", "field", "text", "author", "created_at"]
        read_only_fields = ["author", "created_at"]


class DecisionSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=Decision.choices)
    reasons = serializers.CharField(allow_blank=True, required=False, default="",
                                    max_length=4000)


class UploadSerializer(serializers.Serializer):
    file = serializers.FileField()
    field = serializers.CharField(allow_blank=True, required=False, default="", max_length=64)


class NotificationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Notification
        fields = ["id", "text", "url", "filing", "created_at", "read_at"]
        read_only_fields = fields
