"""The lab around the engine: lab clusters, git remote, registry, widgets, graphs, exercise checks."""
