"""Training: datasets, the twin models, losses and the trainer. Imports torch."""
