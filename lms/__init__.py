"""Lärlyft: a microlearning portal for public-sector culture organisations."""
