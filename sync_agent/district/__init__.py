"""The district (upstream) side: its store, keys and the batch ingest rules."""
