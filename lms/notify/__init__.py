"""Telling people things: in-app notifications, mail preferences, digests, mail templates."""
