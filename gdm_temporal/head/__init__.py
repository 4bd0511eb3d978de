"""The head: a small temporal model over cached feature sequences, and everything that feeds,
trains, stores and runs it.

- `data`: streams, normalisation and windowed reads of the cache;
- `model`: the LSTM head;
- `train`: the training loop (`train(streams, regions, settings, out)`);
- `checkpoint`: saving, loading (weights only) and checking a head against features;
- `inference`: sliding-window scoring of a region;
- `evaluate`: a head's metrics over a manifest's split.
"""
