"""The one HTTP layer: options, address guard, DNS, transport, per-host turns, results, client."""
