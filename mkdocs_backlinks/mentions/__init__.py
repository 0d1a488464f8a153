"""Incoming mentions: feeds, sanitising, the store and moderation, sources, views."""
