"""Browser journeys in Chromium (Playwright), and what they share."""

from playwright.sync_api import Locator
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError


def expect_drawn(image: Locator, what: str, timeout_ms: float = 10_000) -> None:
    """Wait until an <img> has loaded with a size: visible is not yet loaded (a broken image
    is complete with no width, so it fails after the timeout)."""
    try:
        image.page.wait_for_function("img => img.complete && img.naturalWidth > 0",
                                     arg=image.element_handle(), timeout=timeout_ms)
    except PlaywrightTimeoutError:
        raise AssertionError(f"{what}: the image was not drawn within "
                             f"{timeout_ms / 1000:.0f} s") from None
