"""Desktop Twin: make a digital twin of yourself on your own machine, offline."""

__version__ = "0.1.0"
