"""The library: the twins on this machine as cards; new, rename, delete; drops to import."""
