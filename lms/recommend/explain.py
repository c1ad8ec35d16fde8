"""Reasons in words, in the request's language (helper A fills this in).

Contract:
    def describe(reason: Reason) -> str      # flask_babel gettext; sv is the source language
"""
