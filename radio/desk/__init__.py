"""The steward desk: the command language (sans-IO), its texts and policy, its rate limits."""
