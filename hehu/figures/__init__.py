"""Figures from the records: metrics, gaps, tracking tables, every place's figures, the shared cache."""
