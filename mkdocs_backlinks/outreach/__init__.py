"""The outreach report, the notes to the people cited, and the lists they go in."""
