"""What the credits and backlinks sections show, how they render, their templates."""
