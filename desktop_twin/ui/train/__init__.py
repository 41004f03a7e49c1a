"""The train page: preset, device, start, pause, resume, cancel; progress, curves, samples."""
