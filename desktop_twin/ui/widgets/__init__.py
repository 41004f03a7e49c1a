"""Small widgets the pages are built from."""
