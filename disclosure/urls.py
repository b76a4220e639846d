from django.urls import path

from disclosure import views

app_name = "disclosure"

urlpatterns = [
    path("templates/", views.TemplateListView.as_view(), name="template-list"),
    path("templates/<slug:code>/v<int:version>/", views.TemplateDetailView.as_view(),
         name="template-detail"),
    path("filings/", views.FilingSearchView.as_view(), name="filing-list"),
    path("filings/export.csv", views.FilingExportView.as_view(), name="filing-export"),
    path("filings/mine/", views.MyFilingsView.as_view(), name="mine"),
    path("filings/new/", views.FilingCreateView.as_view(), name="filing-create"),
    path("filings/<int:pk>/", views.FilingDetailView.as_view(), name="filing-detail"),
    path("filings/<int:pk>/edit/", views.FilingEditView.as_view(), name="filing-edit"),
    path("filings/<int:pk>/attachments/", views.AttachmentUploadView.as_view(),
         name="attachment-upload"),
    path("filings/<int:pk>/attachments/<int:attachment_pk>/",
         views.AttachmentDownloadView.as_view(), name="attachment-download"),
    path("filings/<int:pk>/attachments/<int:attachment_pk>/delete/",
         views.AttachmentDeleteView.as_view(), name="attachment-delete"),
    path("filings/<int:pk>/submit/", views.FilingSubmitView.as_view(), name="filing-submit"),
    path("filings/<int:pk>/withdraw/", views.FilingWithdrawView.as_view(),
         name="filing-withdraw"),
    path("filings/<int:pk>/amend/", views.FilingAmendView.as_view(), name="filing-amend"),
    path("filings/<int:pk>/receipt/", views.ReceiptView.as_view(), name="filing-receipt"),
    path("filings/<int:pk>/receipt.json", views.ReceiptView.as_view(), {"fmt": "json"},
         name="filing-receipt-json"),
    path("filings/<int:pk>/data.<str:fmt>", views.FilingDataView.as_view(), name="filing-data"),
    path("filings/<int:pk>/review/start/", views.ReviewStartView.as_view(),
         name="review-start"),
    path("filings/<int:pk>/review/comment/", views.CommentView.as_view(), name="review-comment"),
    path("filings/<int:pk>/review/decide/", views.DecideView.as_view(), name="review-decide"),
    path("review/", views.ReviewQueueView.as_view(), name="queue"),
    path("runs/", views.RunsView.as_view(), name="runs"),
    path("sdg/<str:subject>/<int:pk>/", views.SdgView.as_view(), name="sdg"),
    path("sdg/<str:subject>/<int:pk>/trend.<str:fmt>", views.SdgTrendView.as_view(),
         name="sdg-trend"),
    path("runs/<int:pk>/", views.RunProgressView.as_view(), name="run-progress"),
    path("bundle/import/", views.BundleImportView.as_view(), name="bundle-import"),
    path("notifications/", views.NotificationListView.as_view(), name="notifications"),
]
