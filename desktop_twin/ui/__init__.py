"""The PySide6 application: pages, widgets and workers. The only layer that imports Qt."""
