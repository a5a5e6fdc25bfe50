"""smileback.ingest"""
