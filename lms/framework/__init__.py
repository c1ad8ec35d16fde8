"""Competence framework: areas, competences, level descriptors, role expectations, subjects."""
