"""Cited works: what a cited page says about itself, fetched, extracted and cached."""
