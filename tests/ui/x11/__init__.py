"""Programs the drag-and-drop tests run on an Xvfb display: the application, a stand-in file
manager, and a pointer moved through the X server's XTEST extension (as xdotool does)."""
