"""Capture: cameras and video files, microphones and audio tracks, recording."""
