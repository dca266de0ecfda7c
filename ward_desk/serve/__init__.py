"""The desk served to the other counters' browsers (``ward-desk serve``)."""
