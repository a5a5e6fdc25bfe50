"""The alerts service: policy, incident grouping, notifiers and delivery of pages."""
