"""The shipped renovml model: artifact, manifest and model card (data only)."""
