"""Documents people take away: HTML, Word, packs and spreadsheets (figures already disclosed)."""
