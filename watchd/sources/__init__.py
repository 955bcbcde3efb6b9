"""Sources: folders, feeds and pages, one module each, registered by their YAML key."""
