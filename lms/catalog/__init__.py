"""Catalogue: activities, courses and lessons, sessions, revisions, search and authoring."""
