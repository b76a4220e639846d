from django.urls import path

from deals import views

app_name = "deals"

urlpatterns = [
    path("", views.DealSearchView.as_view(), name="deal-list"),
    path("export.<str:fmt>", views.DealExportView.as_view(), name="deal-export"),
    path("new/", views.DealCreateView.as_view(), name="deal-create"),
    path("<int:pk>/", views.DealDetailView.as_view(), name="deal-detail"),
    path("<int:pk>/capital-stack.<str:fmt>", views.CapitalStackChartView.as_view(),
         name="capital-stack"),
    path("<int:pk>/projected-cash-flow.<str:fmt>", views.ProjectedCashFlowChartView.as_view(),
         name="projected-cash-flow"),
    path("<int:pk>/risk-trend.<str:fmt>", views.RiskTrendChartView.as_view(), name="risk-trend"),
    path("issuer/<int:pk>/risk/", views.IssuerRiskView.as_view(), name="issuer-risk"),
    path("issuer/<int:pk>/risk.<str:fmt>", views.IssuerRiskView.as_view(),
         name="issuer-risk-trend"),
    path("<int:deal_pk>/edit/", views.DealUpdateView.as_view(), name="deal-update"),
    path("<int:deal_pk>/transition/", views.TransitionView.as_view(), name="deal-transition"),
    path("<int:deal_pk>/tranches/new/", views.TrancheFormView.as_view(), name="tranche-create"),
    path("<int:deal_pk>/tranches/<int:pk>/edit/", views.TrancheFormView.as_view(),
         name="tranche-update"),
    path("<int:deal_pk>/tranches/<int:pk>/delete/", views.TrancheDeleteView.as_view(),
         name="tranche-delete"),
    path("<int:deal_pk>/enhancements/new/", views.EnhancementFormView.as_view(),
         name="enhancement-create"),
    path("<int:deal_pk>/enhancements/<int:pk>/delete/", views.EnhancementDeleteView.as_view(),
         name="enhancement-delete"),
    path("<int:deal_pk>/pool/", views.PoolView.as_view(), name="pool"),
    path("<int:deal_pk>/pool/<int:pk>/remove/", views.PoolRemoveView.as_view(),
         name="pool-remove"),
    path("<int:deal_pk>/reports/new/", views.ServicerReportView.as_view(), name="report-create"),
]
