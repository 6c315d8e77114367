"""One module a page; a page imports the kit, never another page."""
