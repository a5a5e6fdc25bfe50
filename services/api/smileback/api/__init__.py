"""smileback.api"""
