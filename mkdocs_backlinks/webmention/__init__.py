"""Sending webmentions: endpoint discovery, planning, the live check and delivery."""
