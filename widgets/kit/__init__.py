"""What every page is built from: the shell, pickers, tables, charts and maps."""
