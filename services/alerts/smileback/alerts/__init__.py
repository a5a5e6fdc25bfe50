"""smileback.alerts"""
