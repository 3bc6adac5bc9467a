"""A local stand-in for OpenNeuro's S3 bucket: ListObjectsV2 listings (paged) and files
with HTTP Range, served from a folder (tests of fetch_god and of the README)."""
import hashlib
import http.server
import threading
import urllib.parse
from xml.sax.saxutils import escape


class Bucket(http.server.BaseHTTPRequestHandler):
    """An S3 bucket in a folder: ``GET /?list-type=2&prefix=...`` lists (pages of
    ``page`` keys), ``GET /<key>`` serves a file (Range honoured). ``cut`` maps a key to a
    byte count after which the next response for it is cut off (once)."""
    folder = None
    page = 7
    cut = {}
    log = []
    extra = {}  # key -> bytes: listed and served besides the folder's files

    def log_message(self, *args):
        pass

    def do_GET(self):
        path, _, query = self.path.partition("?")
        q = dict(urllib.parse.parse_qsl(query))
        if path == "/" and q.get("list-type") == "2":
            return self._list(q)
        key = urllib.parse.unquote(path.lstrip("/"))
        file = self.folder / key
        if key in self.extra:
            data = self.extra[key]
        elif not file.is_file():
            self.send_error(404)
            return
        else:
            data = file.read_bytes()
        start = 0
        rng = self.headers.get("Range")
        self.log.append((key, rng))
        if rng:
            start = int(rng.removeprefix("bytes=").split("-")[0])
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            self.send_response(200)
        body = data[start:]
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if key in self.cut:
            self.wfile.write(body[:self.cut.pop(key)])
            self.wfile.flush()
            self.connection.shutdown(2)  # the connection drops mid-file
            return
        self.wfile.write(body)

    def _list(self, q):
        prefix, delimiter = q.get("prefix", ""), q.get("delimiter")
        keys = sorted([p.relative_to(self.folder).as_posix()
                       for p in self.folder.rglob("*") if p.is_file()] + list(self.extra))
        keys = [k for k in keys if k.startswith(prefix)]
        if delimiter:
            keys = [k for k in keys if delimiter not in k[len(prefix):]]
        start = int(q.get("continuation-token", 0))
        page = keys[start:start + self.page]
        more = start + self.page < len(keys)
        def content(k):
            return self.extra[k] if k in self.extra else (self.folder / k).read_bytes()

        items = "".join(
            f"<Contents><Key>{escape(k)}</Key><Size>{len(content(k))}</Size>"
            f"<ETag>&quot;{hashlib.md5(content(k)).hexdigest()}&quot;"
            "</ETag></Contents>" for k in page)
        body = ('<?xml version="1.0" encoding="UTF-8"?><ListBucketResult '
                'xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
                f"<Prefix>{escape(prefix)}</Prefix><IsTruncated>{str(more).lower()}"
                "</IsTruncated>" + (f"<NextContinuationToken>{start + self.page}"
                                    "</NextContinuationToken>" if more else "")
                + items + "</ListBucketResult>").encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def serve(folder):
    """Serve ``folder`` (holding ``ds001246/``); returns ``(url, server)``."""
    Bucket.folder = folder
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Bucket)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}", server
