"""The `hehu` command."""
