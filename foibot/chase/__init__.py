"""chase."""
