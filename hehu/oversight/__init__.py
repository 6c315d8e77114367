"""The oversight itself: inspections and recommendations, a report's claims, briefings."""
