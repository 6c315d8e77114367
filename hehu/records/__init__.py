"""Records and where they live: the store (SQLAlchemy), vocabularies, places, the demo."""
