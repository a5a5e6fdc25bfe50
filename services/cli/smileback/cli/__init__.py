"""smileback.cli"""
