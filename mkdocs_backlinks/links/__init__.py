"""Links as the build sees them: collection during conversion, URL resolution, snippets."""
