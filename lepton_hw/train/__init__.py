"""Training: a YAML config -> dataset -> QKeras model with QAT and pruning -> IR and metrics."""
