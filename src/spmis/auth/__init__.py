"""Access control: actors, roles, geographic scopes, field encryption."""
