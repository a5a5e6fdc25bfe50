"""smileback.scorer"""
