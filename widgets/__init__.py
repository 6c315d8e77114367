"""The interface: ipywidgets pages over one state object each, built on hehu."""
