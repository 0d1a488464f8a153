"""The one HTTP layer: options, the address guard, transport, client, Link headers."""
