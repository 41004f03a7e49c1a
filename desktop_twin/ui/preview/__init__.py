"""The preview page: the twin live beside its driver."""
