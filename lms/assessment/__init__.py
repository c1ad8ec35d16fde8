"""Competence assessment: rounds, self-assessment, the manager conversation, development plans
and learning requests."""
