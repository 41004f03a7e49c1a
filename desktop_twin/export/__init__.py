"""Export: torch to ONNX and the .twin bundle."""
