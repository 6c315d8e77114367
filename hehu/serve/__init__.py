"""Serving the pages: JupyterHub hooks, the figure warmer, Voila's XSRF fix."""
