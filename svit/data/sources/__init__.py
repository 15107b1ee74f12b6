"""Registered data sources (``@DATASET_REGISTRY.register``): each turns its annotations into
``VideoRecord`` s or frame samples and hands them to the shared dataset classes."""
