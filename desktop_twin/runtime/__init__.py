"""The live path: ONNX Runtime sessions, driving the twin, rendering video. No torch."""
