"""One module per revision, applied in the order their ``down_revision`` chain gives."""
