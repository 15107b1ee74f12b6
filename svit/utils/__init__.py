"""Small shared helpers (registries, logging, distributed utilities)."""
