"""The pieces of neurodecode's HTML reports: PNG figures as data URIs, tables, the page."""
import base64
import html
import io
import webbrowser
from pathlib import Path

STYLE = """<style>
.nd-report{font-family:sans-serif;max-width:1100px;margin:1em auto;color:#222}
.nd-report table{border-collapse:collapse;margin:0.8em 0;font-size:90%}
.nd-report td,.nd-report th{border:1px solid #bbb;padding:3px 8px;text-align:left}
.nd-report img{max-width:100%} .nd-report .note{color:#555;font-size:90%}
.nd-report h1{font-size:1.5em} .nd-report h2{font-size:1.2em;margin-top:1.2em}
.nd-report details{margin:0.6em 0} .nd-report summary{cursor:pointer;font-weight:bold}
.nd-report .warning{background:#fff7e0;border-left:4px solid #e0a800;padding:0.4em 0.8em}
</style>"""


def figure_to_png(fig, path=None):
    """A matplotlib figure as a base64 PNG for a data URI (written to ``path`` when given).

    The figure is closed after (the plot functions draw on pyplot figures).

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure.
    path : path-like or None, default=None
        Also write the PNG there.

    Returns
    -------
    png : str
        The PNG, base64-encoded.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from neurodecode.reporting import figure_to_png
    >>> fig, ax = plt.subplots()
    >>> _ = ax.plot([0, 1])
    >>> figure_to_png(fig)[:10]
    'iVBORw0KGg'
    """
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    try:
        fig.savefig(buf, format="png", dpi=110)
    finally:
        plt.close(fig)
    data = buf.getvalue()
    if path is not None:
        Path(path).write_bytes(data)
    return base64.b64encode(data).decode("ascii")


def html_table(header, rows):
    """An HTML table of escaped cells.

    Parameters
    ----------
    header : sequence
        Column titles.
    rows : sequence of sequences
        The cells, row by row.

    Returns
    -------
    table : str
        ``<table>...</table>``.

    Examples
    --------
    >>> from neurodecode.reporting import html_table
    >>> html_table(["a"], [[1], ["<b>"]])
    '<table><thead><tr><th>a</th></tr></thead><tbody><tr><td>1</td></tr><tr><td>&lt;b&gt;</td></tr></tbody></table>'
    """
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>"
                   for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def image_tag(png, alt):
    """An ``<img>`` of a base64 PNG."""
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{png}">'


class Report:
    """A self-contained HTML report: shown inline in notebooks, saved or opened as a page.

    Parameters
    ----------
    title : str
        The page's title.
    body : str
        Its HTML (figures as data URIs: nothing outside the file is read).

    Examples
    --------
    >>> from neurodecode.reporting import Report
    >>> report = Report("a report", "<p>hello</p>")
    >>> "<p>hello</p>" in report._repr_html_()
    True
    """

    def __init__(self, title, body):
        self.title, self.body = str(title), str(body)

    def get_html(self):
        """The whole page.

        Returns
        -------
        page : str
            A self-contained HTML document.
        """
        return (f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>'
                f"{html.escape(self.title)}</title>{STYLE}</head><body><div class=\"nd-report\">"
                f"{self.body}</div></body></html>")

    def _repr_html_(self):
        return f'{STYLE}<div class="nd-report">{self.body}</div>'

    def save_as_html(self, path):
        """Write the page to a file.

        Parameters
        ----------
        path : path-like
            The .html file.

        Returns
        -------
        path : Path
            The file written.
        """
        path = Path(path)
        path.write_text(self.get_html(), encoding="utf-8")
        return path

    def open_in_browser(self, path=None):
        """Save the page and open it in the web browser.

        Parameters
        ----------
        path : path-like or None, default=None
            Where to save it; None: a temporary file.

        Returns
        -------
        path : Path
            The file opened.
        """
        import tempfile

        if path is None:
            path = Path(tempfile.mkdtemp()) / "report.html"
        path = self.save_as_html(path)
        webbrowser.open(path.resolve().as_uri())
        return path

    def __str__(self):
        return self.get_html()
