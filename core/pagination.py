"""API pagination, kept apart from core.api so DRF settings can import it early."""

from rest_framework.pagination import PageNumberPagination


class Pagination(PageNumberPagination):
    """Numbered pages; clients may ask for up to 500 rows a page."""

    page_size_query_param = "page_size"
    max_page_size = 500
