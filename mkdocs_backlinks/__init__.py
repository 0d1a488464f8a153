"""MkDocs plugin for backlink-aware publishing.

Records the links every page makes, renders credits and backlinks sections, and exports the
link graph; later layers add outreach notes and webmentions on top of the same graph.
"""

__version__ = "0.1.0"
