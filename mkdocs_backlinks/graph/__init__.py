"""Who links to whom: the link graph, the temporary file its rows wait in, the export."""
