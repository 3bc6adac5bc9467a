"""Self-contained HTML reports of fitted estimators (as nilearn's ``generate_report``), and
the HTML pieces the demo's report is built from."""
from ._html import Report, figure_to_png, html_table
from ._estimators import decoder_report, encoder_report

__all__ = ["Report", "decoder_report", "encoder_report", "figure_to_png", "html_table"]
