"""Response compression (Flask-Compress): HTML pages and htmx fragments, CSS, JavaScript, JSON
and SVG, with zstd, brotli or gzip as the browser accepts (docs/operations.md: the proxy must not
compress them a second time).

Left as they are:
  - the node sync API (`/sync/…`): it compresses its own bodies (gzip over 4 KiB when the node
    asks, webapp/sync/checkout_views.py; the node gzips what it pushes) and its clients read the
    body they were promised;
  - streamed responses (COMPRESS_STREAMS off: a stream is sent as it is produced), except the
    static files (CSS, JS), which Flask sends through a file wrapper;
  - downloads (Content-Disposition: attachment) and partial content (206, Range): the bytes
    served are the file's bytes;
  - anything under COMPRESS_MIN_SIZE (500 bytes) or already encoded.
"""
from __future__ import annotations

from flask import Flask, request
from flask_compress import Compress

compress = Compress()

MIMETYPES = ["text/html", "text/css", "text/javascript", "application/javascript", "application/json",
             "image/svg+xml"]
UNCOMPRESSED_PATHS = ("/sync/",)


def init_app(app: Flask) -> None:
    app.config.setdefault("COMPRESS_MIMETYPES", MIMETYPES)
    app.config.setdefault("COMPRESS_STREAMS", False)
    app.config["COMPRESS_REGISTER"] = False        # our hook below decides what is compressed
    compress.init_app(app)

    def compress_response(response):
        if (request.path.startswith(UNCOMPRESSED_PATHS) or response.status_code == 206
                or "Content-Range" in response.headers
                or response.headers.get("Content-Disposition", "").lower().startswith("attachment")):
            return response
        if request.endpoint == "static" and response.is_streamed:
            # a static file is sent through a file wrapper (a stream to Flask-Compress): the
            # vendored JS and the CSS are small, read them and compress them like a page
            response.direct_passthrough = False
            response.make_sequence()
        return compress.after_request(response)

    # First in the list, so it runs last: after the unit of work committed (webapp.core.uow), on
    # the final body and headers.
    app.after_request_funcs.setdefault(None, []).insert(0, compress_response)
