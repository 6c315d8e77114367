"""呵护 Hehu: the domain of the oversight workbench (records, store, metrics)."""

__version__ = "0.1.0"
