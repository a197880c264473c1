"""multigrade."""
