"""The only door through which WeasyPrint may read anything.

A label in a codebook or a data file ends up in the report; if it could name a URL, a
report build could read local files or reach the network. The fetcher serves files under
the allowed folders and stops the rendering at the first other URL (WeasyPrint would
otherwise log a warning and go on without the resource).
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from urllib.parse import unquote, urlsplit

from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

MIME_TYPES = {
    ".css": "text/css",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
}


class RefusedResource(FatalURLFetchingError):
    """A URL outside the allowed folders: fatal, so the PDF is never written."""


class SafeFetcher(URLFetcher):
    """Serves files under the allowed folders; refuses every other URL."""

    def __init__(self, allowed: list[str | Path]) -> None:
        super().__init__(allowed_protocols=("file",), fail_on_errors=True)
        self.allowed = [Path(a).resolve() for a in allowed]
        self.served: list[str] = []
        self.refused: list[str] = []

    def local_path(self, url: str) -> Path | None:
        """The file a URL names, if it is an existing file under an allowed folder."""
        parts = urlsplit(url)
        if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
            return None
        path = Path(unquote(parts.path)).resolve()
        if any(path.is_relative_to(root) for root in self.allowed) and path.is_file():
            return path
        return None

    def fetch(self, url: str, headers: object = None) -> URLFetcherResponse:
        path = self.local_path(url)
        if path is None:
            self.refused.append(url)
            raise RefusedResource(url)
        self.served.append(url)
        mime = MIME_TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0]
        return URLFetcherResponse(
            path.as_uri(),
            path.read_bytes(),
            {"Content-Type": mime or "application/octet-stream"},
        )
