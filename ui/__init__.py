"""Streamlit glue shared by the pages: live training panel and friendly errors.

The engine (`explorer/`) never imports streamlit; this package is the only
place besides `app.py` and `pages/` that does.
"""
