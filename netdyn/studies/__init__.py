"""The seed studies as pipelines: simulate -> analyse -> store -> figure."""
