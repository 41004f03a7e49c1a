"""The face pipeline through ONNX Runtime: detection, landmarks, alignment, sketch."""
